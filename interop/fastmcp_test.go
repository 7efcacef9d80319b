package interop_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/internal/pgtest"
	"github.com/kvgen/kvgen/kv"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// table is the table FastMCP is configured with in these tests; the client
// collection is the shipped schema's, FastMCP's own.
const (
	table   = "oauth_clients"
	clients = oauthclients.DefaultCollection
)

// shared is one database, with the Go store and the Python store on its table.
type shared struct {
	ctx  context.Context
	url  string
	pool *pgxpool.Pool
	key  string
	ring *kv.KeyRing
	gost *oauthclients.Store
	py   *pyKV
}

func newShared(t *testing.T) *shared {
	t.Helper()
	ctx := context.Background()
	url := pgtest.URL(t)
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := oauthclients.CreateTable(ctx, pool); err != nil {
		t.Fatal(err)
	}
	key := newKey(t)
	s := &shared{ctx: ctx, url: url, pool: pool, key: key}
	s.ring = ring(t, key)
	s.gost = newGoStore(t, pool, s.ring)
	s.py = startPyKV(t, url, table, key)
	return s
}

func newKey(t *testing.T) string {
	t.Helper()
	k, err := kv.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// ring is the key ring of keys, the first of which encrypts.
func ring(t *testing.T, keys ...string) *kv.KeyRing {
	t.Helper()
	r, err := kv.ParseKeys(strings.Join(keys, ","))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func newGoStore(t *testing.T, pool *pgxpool.Pool, enc kv.Encrypter) *oauthclients.Store {
	t.Helper()
	s, err := oauthclients.New(pool, oauthclients.Options{Encrypter: enc})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// pyClient is a client registration as FastMCP writes it: the pydantic dump
// of OAuthClientInformationFull plus the proxy's fields, absent values as
// null, and a member from a newer SDK that the Go schema does not know.
func pyClient(id string) map[string]any {
	return map[string]any{
		"redirect_uris":                 []any{"http://127.0.0.1:33418/callback", "cursor://anysphere.cursor-retrieval/oauth/callback"},
		"token_endpoint_auth_method":    "client_secret_post",
		"grant_types":                   []any{"authorization_code", "refresh_token"},
		"response_types":                []any{"code"},
		"scope":                         "read write",
		"client_name":                   "Claude Code (kvgen-interop) 世界 🌍",
		"client_uri":                    nil,
		"logo_uri":                      nil,
		"contacts":                      nil,
		"tos_uri":                       nil,
		"policy_uri":                    nil,
		"jwks_uri":                      nil,
		"jwks":                          nil,
		"software_id":                   "claude-code",
		"software_version":              "2.0.1",
		"client_id":                     id,
		"client_secret":                 "s3cr3t-" + id,
		"client_id_issued_at":           float64(1764547200),
		"client_secret_expires_at":      float64(0),
		"cimd_document":                 nil,
		"allowed_redirect_uri_patterns": nil,
		"cimd_fetched_at":               nil,
		"sdk_future_member":             map[string]any{"nested": []any{1.5, "x", nil, true}},
	}
}

// goClient is a client registration as a Go server makes it.
func goClient(id string) oauthclients.Client {
	return oauthclients.Client{
		ClientID:                id,
		ClientSecret:            kv.Secret("go-secret-" + id),
		RedirectURIs:            []string{"https://app.example.com/cb"},
		TokenEndpointAuthMethod: "client_secret_basic",
		GrantTypes:              []string{"authorization_code", "refresh_token"},
		ResponseTypes:           []string{"code"},
		ClientName:              "Go registered " + id,
		Contacts:                []string{"ops@example.com"},
		JWKS:                    json.RawMessage(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`),
		ClientIDIssuedAt:        time.Unix(1764547200, 0),
		CimdFetchedAt:           ptr(1764547200.25),
	}
}

func ptr[T any](v T) *T { return &v }

// decode turns JSON from the Python side into a map (nil for null).
func decode(t *testing.T, raw json.RawMessage) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("python returned %s: %v", raw, err)
	}
	return m
}

// checkFastMCPTypes fails unless every member that FastMCP's models read
// has the JSON type they expect (pydantic refuses, say, an envelope object
// where client_secret's string belongs).
func checkFastMCPTypes(t *testing.T, m map[string]any) {
	t.Helper()
	kinds := map[string]string{
		"redirect_uris": "list", "token_endpoint_auth_method": "string", "grant_types": "list",
		"response_types": "list", "scope": "string", "client_name": "string", "client_uri": "string",
		"logo_uri": "string", "contacts": "list", "tos_uri": "string", "policy_uri": "string",
		"jwks_uri": "string", "jwks": "object", "software_id": "string", "software_version": "string",
		"client_id": "string", "client_secret": "string", "client_id_issued_at": "integer",
		"client_secret_expires_at": "integer", "cimd_document": "object",
		"allowed_redirect_uri_patterns": "list", "cimd_fetched_at": "number",
	}
	for name, kind := range kinds {
		v, ok := m[name]
		if !ok || v == nil {
			continue
		}
		var good bool
		switch kind {
		case "list":
			_, good = v.([]any)
		case "string":
			_, good = v.(string)
		case "object":
			_, good = v.(map[string]any)
		case "number":
			_, good = v.(float64)
		case "integer":
			f, isNum := v.(float64)
			good = isNum && f == float64(int64(f))
		}
		if !good {
			t.Errorf("%s is %T %v; FastMCP's model wants a %s", name, v, v, kind)
		}
	}
	if m["redirect_uris"] == nil || m["client_id"] == nil {
		t.Errorf("redirect_uris and client_id are required by FastMCP's model: %v", m)
	}
}

func mustEncode(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func toMap(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, w := toMap(t, mustEncode(t, got)), toMap(t, mustEncode(t, want))
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got %s\nwant %s", what, mustEncode(t, g), mustEncode(t, w))
	}
}

var errNotFound = errors.New("not found")

// goGet reads a client with the typed store.
func (s *shared) goGet(t *testing.T, id string) (oauthclients.Client, error) {
	t.Helper()
	c, ok, err := s.gost.Get(s.ctx, id)
	if err == nil && !ok {
		err = fmt.Errorf("%s: %w", id, errNotFound)
	}
	return c, err
}
