package oauthclients_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/internal/pgtest"
	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/kvtest"
)

// These tests exercise this repository's own generated store: the output
// of kvgen on schema/oauth_clients.yaml, compiled and run against a real
// PostgreSQL.

func TestMain(m *testing.M) { pgtest.Main(m) }

func newRing(t testing.TB, keys ...string) *kv.KeyRing {
	t.Helper()
	if len(keys) == 0 {
		k, err := kv.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		keys = []string{k}
	}
	joined := ""
	for i, k := range keys {
		if i > 0 {
			joined += ","
		}
		joined += k
	}
	ring, err := kv.ParseKeys(joined)
	if err != nil {
		t.Fatal(err)
	}
	return ring
}

func newKey(t testing.TB) string {
	t.Helper()
	k, err := kv.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newTable(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool := pgtest.New(t)
	if err := oauthclients.CreateTable(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	return pool
}

func newStore(t testing.TB, pool *pgxpool.Pool, enc kv.Encrypter) *oauthclients.Store {
	t.Helper()
	s, err := oauthclients.New(pool, oauthclients.Options{Encrypter: enc})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// client returns a valid, distinct record; its ClientID is left for the key.
func client(i int) oauthclients.Client {
	fetched := 1764000000.25 + float64(i)
	return oauthclients.Client{
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
		CimdDocument: &oauthclients.ClientCimdDocument{
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
func sameClient(a, b oauthclients.Client) bool {
	a.ClientID, b.ClientID = "", ""
	if a.ClientSecret != b.ClientSecret {
		return false
	}
	var ja, jb any
	return unmarshalOf(a, &ja) == nil && unmarshalOf(b, &jb) == nil && reflect.DeepEqual(ja, jb)
}

func unmarshalOf(c oauthclients.Client, into *any) error {
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, into)
}

func invalidClient() oauthclients.Client {
	return oauthclients.Client{TokenEndpointAuthMethod: "magic"} // no redirect_uris, unknown method
}

func TestConformancePostgres(t *testing.T) {
	ring := newRing(t)
	kvtest.Run(t, kvtest.Suite[oauthclients.Client]{
		New:               func(t *testing.T) kv.Store[oauthclients.Client] { return newStore(t, newTable(t), ring).KV() },
		Value:             client,
		Equal:             sameClient,
		Invalid:           invalidClient,
		DefaultCollection: oauthclients.DefaultCollection,
	})
}

// TestConformancePostgresICU runs the suite on a database whose collation is
// ICU's en-US, where ORDER BY key is not byte order: its ordering
// (KeysOrder, KeysPaging) and lock order (ConcurrentBatches) cases must hold
// whatever the collation.
func TestConformancePostgresICU(t *testing.T) {
	ring := newRing(t)
	kvtest.Run(t, kvtest.Suite[oauthclients.Client]{
		New:               func(t *testing.T) kv.Store[oauthclients.Client] { return newStore(t, newICUTable(t), ring).KV() },
		Value:             client,
		Equal:             sameClient,
		Invalid:           invalidClient,
		DefaultCollection: oauthclients.DefaultCollection,
	})
}

func TestConformanceUntypedPostgres(t *testing.T) {
	ring := newRing(t)
	kvtest.RunJSON(t, kvtest.Suite[map[string]any]{
		New:               func(t *testing.T) kv.Store[map[string]any] { return newStore(t, newTable(t), ring).Untyped() },
		DefaultCollection: oauthclients.DefaultCollection,
	})
}

func TestConformanceMemory(t *testing.T) {
	ring := newRing(t)
	kvtest.Run(t, kvtest.Suite[oauthclients.Client]{
		New: func(t *testing.T) kv.Store[oauthclients.Client] {
			s, err := oauthclients.NewMemory(oauthclients.Options{Encrypter: ring})
			if err != nil {
				t.Fatal(err)
			}
			return s.KV()
		},
		Value:             client,
		Equal:             sameClient,
		Invalid:           invalidClient,
		DefaultCollection: oauthclients.DefaultCollection,
	})
}

func TestTypedMethods(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, newTable(t), newRing(t))
	var all []oauthclients.Client
	for i := range 5 {
		c := client(i)
		c.ClientID = fmt.Sprintf("client-%d", i)
		all = append(all, c)
	}
	if err := s.PutMany(ctx, all[:4]); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, all[4]); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.Get(ctx, "client-2")
	if err != nil || !ok || !sameClient(got, all[2]) || got.ClientID != "client-2" {
		t.Fatalf("Get = %+v, %v, %v", got, ok, err)
	}
	if !got.VerifyRegistrationAccessToken("rat-2") || got.VerifyRegistrationAccessToken("rat-3") {
		t.Fatal("VerifyRegistrationAccessToken does not tell the right token from a wrong one")
	}
	entries, err := s.GetMany(ctx, []string{"client-4", "nope", "client-0"})
	if err != nil || len(entries) != 3 || !entries[0].Found || entries[1].Found || !entries[2].Found || entries[2].Value.ClientID != "client-0" {
		t.Fatalf("GetMany = %+v, %v", entries, err)
	}
	page1, err := s.List(ctx, "", 2)
	if err != nil || len(page1) != 2 || page1[0].ClientID != "client-0" || page1[1].ClientID != "client-1" {
		t.Fatalf("List page 1 = %v, %v", ids(page1), err)
	}
	page2, err := s.List(ctx, page1[1].ClientID, 10)
	if err != nil || !reflect.DeepEqual(ids(page2), []string{"client-2", "client-3", "client-4"}) {
		t.Fatalf("List page 2 = %v, %v", ids(page2), err)
	}
	n, err := s.DeleteMany(ctx, []string{"client-0", "client-1", "nope"})
	if err != nil || n != 2 {
		t.Fatalf("DeleteMany = %d, %v", n, err)
	}
	if ok, err := s.Delete(ctx, "client-2"); err != nil || !ok {
		t.Fatalf("Delete = %v, %v", ok, err)
	}
}

func ids(cs []oauthclients.Client) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ClientID
	}
	return out
}

// TestConformanceBehindPgBouncer runs the suite through a real PgBouncer in
// transaction pooling mode, on pools in pgx's default exec mode (the
// statement cache), each test's store on a new pool of the same PgBouncer:
// a redeploy, after which cached statements used to fail with 42P05.
func TestConformanceBehindPgBouncer(t *testing.T) {
	ring := newRing(t)
	kvtest.Run(t, kvtest.Suite[oauthclients.Client]{
		New: func(t *testing.T) kv.Store[oauthclients.Client] {
			dsn := pgtest.BouncerURL(t)
			deploy := func(conns int32) *pgxpool.Pool {
				cfg, err := pgxpool.ParseConfig(dsn)
				if err != nil {
					t.Fatal(err)
				}
				cfg.MaxConns = conns
				pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(pool.Close)
				return pool
			}
			// The first deployment runs every kind of statement on one
			// server connection, and leaves it to PgBouncer.
			first := deploy(1)
			ctx := context.Background()
			if err := oauthclients.CreateTable(ctx, first); err != nil {
				t.Fatal(err)
			}
			warm := newStore(t, first, ring)
			r := client(0)
			r.ClientID = "warm-up"
			if err := warm.Put(ctx, r); err != nil {
				t.Fatal(err)
			}
			if _, err := warm.GetMany(ctx, []string{"warm-up"}); err != nil {
				t.Fatal(err)
			}
			if _, err := warm.Delete(ctx, "warm-up"); err != nil {
				t.Fatal(err)
			}
			first.Close()
			return newStore(t, deploy(4), ring).KV()
		},
		Value:             client,
		Equal:             sameClient,
		Invalid:           invalidClient,
		DefaultCollection: oauthclients.DefaultCollection,
	})
}

func TestCheckTable(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	err := oauthclients.CheckTable(ctx, pool)
	if err == nil || !strings.Contains(err.Error(), "oauth_clients") || !strings.Contains(err.Error(), "CreateTable") {
		t.Fatalf("CheckTable on an empty database = %v; want an error naming the table and CreateTable", err)
	}
	if err := oauthclients.CreateTable(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if err := oauthclients.CheckTable(ctx, pool); err != nil {
		t.Fatalf("CheckTable after CreateTable = %v", err)
	}
	if _, err := pool.Exec(ctx, `ALTER TABLE oauth_clients DROP COLUMN expires_at`); err != nil {
		t.Fatal(err)
	}
	if err := oauthclients.CheckTable(ctx, pool); err == nil || !strings.Contains(err.Error(), "expires_at") {
		t.Fatalf("CheckTable without expires_at = %v; want an error naming the column", err)
	}
}

// TestValidationBeforeWrite: every failing field is named, and nothing is
// written; a NUL character, which jsonb refuses, is caught here too.
func TestValidationBeforeWrite(t *testing.T) {
	ctx := context.Background()
	pool := newTable(t)
	s := newStore(t, pool, newRing(t))
	c := client(1)
	c.ClientID = "c1"
	c.ClientName = "bad\x00name"
	c.RedirectURIs = []string{"https://ok.example.com/cb", "not a url"}
	c.TokenEndpointAuthMethod = "magic"
	c.CimdDocument.ClientID = ""
	err := s.Put(ctx, c)
	var ve *kv.ValidationError
	if !errors.Is(err, kv.ErrInvalid) || !errors.As(err, &ve) {
		t.Fatalf("Put = %v, want ErrInvalid", err)
	}
	want := []string{"redirect_uris[1]", "token_endpoint_auth_method", "client_name", "cimd_document.client_id"}
	for _, p := range want {
		if !slices.Contains(ve.Paths(), p) {
			t.Errorf("paths %v lack %s", ve.Paths(), p)
		}
	}
	if n := countRows(t, pool); n != 0 {
		t.Fatalf("%d rows written despite the validation error", n)
	}
	good := client(2)
	good.ClientID = "c2"
	if err := s.PutMany(ctx, []oauthclients.Client{good, c}); !errors.Is(err, kv.ErrInvalid) || countRows(t, pool) != 0 {
		t.Fatalf("PutMany with one invalid record = %v, %d rows; want ErrInvalid and none", err, countRows(t, pool))
	}
}

func countRows(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM oauth_clients`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A member the schema does not know is kept across a read-modify-write, but
// one named like the encryption envelope's would make every reader take the
// whole stored value for an envelope, and the record could never be read
// again: Put refuses it, and writes nothing.
func TestEnvelopeNamedMemberRefused(t *testing.T) {
	ctx := context.Background()
	pool := newTable(t)
	s := newStore(t, pool, newRing(t))
	for _, name := range []string{"__encrypted_data__", "__encryption_version__"} {
		var c oauthclients.Client
		body := `{"client_id":"c1","redirect_uris":["https://ok.example.com/cb"],"x-kept":1,"` + name + `":"zz"}`
		if err := json.Unmarshal([]byte(body), &c); err != nil {
			t.Fatalf("%s: a request with the member does not parse: %v", name, err)
		}
		err := s.Put(ctx, c)
		var ve *kv.ValidationError
		if !errors.As(err, &ve) || !slices.Equal(ve.Paths(), []string{name}) {
			t.Fatalf("Put with a member %s = %v; want ErrInvalid at that path alone", name, err)
		}
		if n := countRows(t, pool); n != 0 {
			t.Fatalf("%s: %d rows written despite the validation error", name, n)
		}
	}
}

// insertRaw writes a row as another program would, past the store.
func insertRaw(t *testing.T, pool *pgxpool.Pool, collection, key, value string) {
	t.Helper()
	if _, err := pool.Exec(context.Background(),
		`INSERT INTO oauth_clients (collection, key, value, created_at) VALUES ($1, $2, $3::jsonb, now())`,
		collection, key, value); err != nil {
		t.Fatalf("inserting %s: %v", key, err)
	}
}
