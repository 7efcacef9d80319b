package fieldsclients_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvgen/kvgen/internal/goonly/fieldsclients"
	"github.com/kvgen/kvgen/internal/pgtest"
	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/kvtest"
)

// These tests exercise what encryption: fields alone does: sensitive fields
// sealed in place, the rest readable and indexed.

func TestMain(m *testing.M) { pgtest.Main(m) }

func newTable(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool := pgtest.New(t)
	if err := fieldsclients.CreateTable(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	return pool
}

// newRing parses keys (the first encrypts), or makes a ring of one new key.
func newRing(t testing.TB, keys ...string) *kv.KeyRing {
	t.Helper()
	if len(keys) == 0 {
		keys = []string{newKey(t)}
	}
	ring, err := kv.ParseKeys(strings.Join(keys, ","))
	if err != nil {
		t.Fatal(err)
	}
	return ring
}

func newStore(t testing.TB, pool *pgxpool.Pool, enc kv.Encrypter) *fieldsclients.Store {
	t.Helper()
	s, err := fieldsclients.New(pool, fieldsclients.Options{Encrypter: enc})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func clientOf(id string, softwareID string) fieldsclients.Client {
	return fieldsclients.Client{
		ClientID:     id,
		RedirectURIs: []string{"https://app.example.com/callback"},
		SoftwareID:   softwareID,
		ClientSecret: kv.Secret("secret-" + id),
	}
}

// client returns a valid, distinct record; its ClientID is left for the key.
func client(i int) fieldsclients.Client {
	fetched := 1764000000.25 + float64(i)
	return fieldsclients.Client{
		RedirectURIs:            []string{fmt.Sprintf("https://app%d.example.com/callback", i), "http://localhost:6274/oauth/callback"},
		TokenEndpointAuthMethod: "client_secret_post",
		GrantTypes:              []string{"authorization_code", "refresh_token"},
		ResponseTypes:           []string{"code"},
		Scope:                   "openid mcp:tools",
		ClientName:              fmt.Sprintf("Client %d — ünïcødé 🌍", i),
		Contacts:                []string{"ops@example.com"},
		JWKS:                    json.RawMessage(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"abc"}]}`),
		SoftwareID:              fmt.Sprintf("sw-%d", i%3),
		ClientSecret:            kv.Secret(fmt.Sprintf("secret-%d", i)),
		ClientIDIssuedAt:        time.Unix(1764000000+int64(i), 0).UTC(),
		CimdFetchedAt:           &fetched,
		CimdDocument: &fieldsclients.ClientCimdDocument{
			ClientID:                "https://cimd.example.com/client.json",
			ClientName:              "CIMD",
			TokenEndpointAuthMethod: "none",
			RedirectURIs:            []string{"https://*.example.com/cb"},
		},
		RegistrationAccessToken: kv.Hash(fmt.Sprintf("rat-%d", i)),
	}
}

// sameClient compares records as JSON (PostgreSQL normalises raw JSON
// members), with their secrets and without the key field.
func sameClient(a, b fieldsclients.Client) bool {
	a.ClientID, b.ClientID = "", ""
	if a.ClientSecret != b.ClientSecret {
		return false
	}
	var ja, jb any
	return unmarshalOf(a, &ja) == nil && unmarshalOf(b, &jb) == nil && reflect.DeepEqual(ja, jb)
}

func unmarshalOf(c fieldsclients.Client, into *any) error {
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, into)
}

// faultRecord is the record of version v (> 0) under key.
func faultRecord(key string, v int) fieldsclients.Client {
	c := client(v)
	c.ClientID = key
	c.SoftwareVersion = strconv.Itoa(v)
	return c
}

func ids(cs []fieldsclients.Client) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ClientID
	}
	return out
}

// TestFindBySoftwareID: the finder of an indexed field returns the unexpired
// records with that value, ascending by key, secrets opened.
func TestFindBySoftwareID(t *testing.T) {
	ctx := context.Background()
	ring := newRing(t)
	s := newStore(t, newTable(t), ring)
	for i := range 5 {
		if err := s.Put(ctx, clientOf(fmt.Sprintf("client-%d", i), fmt.Sprintf("sw-%d", i%3))); err != nil {
			t.Fatal(err)
		}
	}
	found, err := s.FindBySoftwareID(ctx, "sw-1")
	if err != nil || !reflect.DeepEqual(ids(found), []string{"client-1", "client-4"}) {
		t.Fatalf("FindBySoftwareID = %v, %v", ids(found), err)
	}
	if found[0].ClientSecret.Reveal() != "secret-client-1" {
		t.Errorf("FindBySoftwareID did not open the secret")
	}
	if none, err := s.FindBySoftwareID(ctx, "sw-none"); err != nil || len(none) != 0 {
		t.Errorf("FindBySoftwareID of an unused value = %v, %v", ids(none), err)
	}
}

// TestConformance runs the KV conformance suite on the fields-mode store.
func TestConformance(t *testing.T) {
	ring := newRing(t)
	kvtest.Run(t, kvtest.Suite[fieldsclients.Client]{
		New:               func(t *testing.T) kv.Store[fieldsclients.Client] { return newStore(t, newTable(t), ring).KV() },
		Value:             client,
		Equal:             sameClient,
		Invalid:           func() fieldsclients.Client { return fieldsclients.Client{TokenEndpointAuthMethod: "magic"} },
		DefaultCollection: fieldsclients.DefaultCollection,
	})
}
