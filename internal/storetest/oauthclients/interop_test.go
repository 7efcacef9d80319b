package oauthclients_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/kvtest"
)

// pyRow is one row that py-key-value-aio 0.4.4 wrote (kv/testdata).
type pyRow struct {
	Collection string          `json:"collection"`
	Key        string          `json:"key"`
	Value      string          `json:"value"`
	TTL        *float64        `json:"ttl"`
	CreatedAt  *time.Time      `json:"created_at"`
	ExpiresAt  *time.Time      `json:"expires_at"`
	Plaintext  json.RawMessage `json:"plaintext"`
}

// pyRows reads the rows and the two test keys ("current,previous").
func pyRows(t *testing.T) ([]pyRow, string) {
	t.Helper()
	f, err := os.Open("../../../kv/testdata/pykv-0.4.4-rows.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var head struct {
		Keys struct{ Current, Previous string } `json:"keys"`
	}
	var rows []pyRow
	for n := 0; sc.Scan(); n++ {
		if n == 0 {
			if err := json.Unmarshal(sc.Bytes(), &head); err != nil {
				t.Fatal(err)
			}
			continue
		}
		var r pyRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows, head.Keys.Current + "," + head.Keys.Previous
}

// insertAsIs writes the rows exactly as Python stored them.
func insertAsIs(t *testing.T, pool *pgxpool.Pool, rows []pyRow) {
	t.Helper()
	for _, r := range rows {
		_, err := pool.Exec(context.Background(),
			`INSERT INTO oauth_clients (collection, key, value, ttl, created_at, expires_at) VALUES ($1, $2, $3::jsonb, $4, $5, $6)`,
			r.Collection, r.Key, r.Value, r.TTL, r.CreatedAt, r.ExpiresAt)
		if err != nil {
			t.Fatal(err)
		}
	}
}

func jsonObject(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%v in %s", err, data)
	}
	return m
}

// TestPythonRowsRead reads every row py-key-value wrote, as it is in the
// table, with the key ring current,previous: the client records through the
// typed store, every row through the untyped view.
func TestPythonRowsRead(t *testing.T) {
	ctx := context.Background()
	rows, keys := pyRows(t)
	pool := newTable(t)
	insertAsIs(t, pool, rows)
	s := newStore(t, pool, newRing(t, keys))

	// a plaintext store of the same schema writes what the typed store read,
	// so the record can be compared with Python's dict as JSON
	plain, err := oauthclients.NewWithBackend(kv.NewMemory(), oauthclients.Options{AllowPlaintext: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		want := jsonObject(t, r.Plaintext)
		got, ok, err := s.Untyped().Get(ctx, r.Collection, r.Key)
		if err != nil || !ok {
			t.Fatalf("untyped Get(%s) = %v, %v", r.Key, ok, err)
		}
		if !kvtest.JSONEqual(got, want) {
			t.Errorf("untyped %s = %v, want %v", r.Key, got, want)
		}
		if r.Collection != oauthclients.DefaultCollection {
			continue
		}
		c, ok, err := s.Get(ctx, r.Key)
		if err != nil || !ok {
			t.Fatalf("Get(%s) = %v, %v", r.Key, ok, err)
		}
		if c.ClientID != r.Key || c.ClientSecret.Reveal() != want["client_secret"] && want["client_secret"] != nil {
			t.Errorf("Get(%s): client_id %q, secret differs from Python's", r.Key, c.ClientID)
		}
		if err := plain.Put(ctx, c); err != nil {
			t.Fatal(err)
		}
		raw, _, err := plain.Untyped().Get(ctx, "", r.Key)
		if err != nil {
			t.Fatal(err)
		}
		// Go writes every field of its schema; those Python's dict lacks are null
		for name, v := range raw {
			if _, ok := want[name]; !ok {
				if v != nil {
					t.Errorf("typed %s, written back, has %s = %v, which Python did not write", r.Key, name, v)
				}
				delete(raw, name)
			}
		}
		if !kvtest.JSONEqual(raw, want) {
			t.Errorf("typed %s, written back, = %v\nwant %v", r.Key, raw, want)
		}
	}
	if n := s.PlaintextReads(); n != 2 { // vec-plain-1, by the untyped view and the typed store
		t.Errorf("PlaintextReads = %d, want 2 (vec-plain-1 read twice)", n)
	}
	// the 50-year ttl Python set reads back through TTL
	e, err := s.KV().TTL(ctx, "", "vec-client-3")
	if err != nil || !e.Found || !e.Expires || e.TTL < 49*365*24*time.Hour {
		t.Errorf("TTL(vec-client-3) = %+v, %v; want about 50 years", e, err)
	}
}

// TestPythonDecodesGoRows checks that what the Go store writes in value
// mode (the untyped view over any collection) is what Python's
// FernetEncryptionWrapper reads: the envelope decoded as
// py-key-value-aio 0.4.4 decodes it.
func TestPythonDecodesGoRows(t *testing.T) {
	ctx := context.Background()
	_, keys := pyRows(t)
	ring := newRing(t, keys)
	pool := newTable(t)
	s := newStore(t, pool, ring)
	value := map[string]any{"txn_id": "t-1", "n": json.Number("42"), "note": "Hello 世界 🌍"}
	if err := s.Untyped().Put(ctx, "mcp-oauth-transactions", "t-1", value, 15*time.Minute); err != nil {
		t.Fatal(err)
	}
	var stored string
	var ttl float64
	if err := pool.QueryRow(ctx, `SELECT value::text, ttl FROM oauth_clients WHERE key = 't-1'`).Scan(&stored, &ttl); err != nil {
		t.Fatal(err)
	}
	if ttl != 900 {
		t.Errorf("ttl column = %v, want 900 seconds", ttl)
	}
	plaintext := decodeAsPython(t, ring, stored)
	if !kvtest.JSONEqual(jsonObject(t, plaintext), value) {
		t.Errorf("Python would read %s", plaintext)
	}
}

// decodeAsPython decodes as FernetEncryptionWrapper does: an object of
// exactly the two envelope keys, version 1, standard base64 of a Fernet token.
func decodeAsPython(t *testing.T, ring *kv.KeyRing, stored string) []byte {
	t.Helper()
	var env map[string]any
	if err := json.Unmarshal([]byte(stored), &env); err != nil {
		t.Fatal(err)
	}
	if len(env) != 2 || env["__encryption_version__"] != float64(1) {
		t.Fatalf("envelope %s: want exactly __encrypted_data__ and version 1", stored)
	}
	data, _ := env["__encrypted_data__"].(string)
	token, err := stdBase64(data)
	if err != nil || len(token) < 6 || string(token[:6]) != "gAAAAA" {
		t.Fatalf("__encrypted_data__ is not the standard base64 of a Fernet token: %v", err)
	}
	plain, err := ring.Decrypt(token)
	if err != nil {
		t.Fatal(err)
	}
	return plain
}

// TestUnknownFieldsKept: members this schema does not know (a newer MCP SDK,
// another program) survive a read-modify-write; the record is written back
// sealed as a whole.
func TestUnknownFieldsKept(t *testing.T) {
	ctx := context.Background()
	pool := newTable(t)
	ring := newRing(t)
	s := newStore(t, pool, ring)
	_, err := pool.Exec(ctx, `INSERT INTO oauth_clients (collection, key, value) VALUES ($1, 'c1', $2::jsonb)`,
		oauthclients.DefaultCollection,
		`{"client_id":"c1","redirect_uris":["https://a.example.com/cb"],"x_future":{"level":3,"tags":["a"]},"cimd_document":{"client_id":"https://c.example.com/d.json","x_nested":true}}`)
	if err != nil {
		t.Fatal(err)
	}
	c, ok, err := s.Get(ctx, "c1")
	if err != nil || !ok {
		t.Fatalf("Get = %v, %v", ok, err)
	}
	c.ClientName = "renamed"
	if err := s.Put(ctx, c); err != nil {
		t.Fatal(err)
	}
	var stored string
	if err := pool.QueryRow(ctx, `SELECT value::text FROM oauth_clients WHERE key = 'c1'`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	m := jsonObject(t, decodeAsPython(t, ring, stored))
	if !reflect.DeepEqual(m["x_future"], map[string]any{"level": float64(3), "tags": []any{"a"}}) {
		t.Errorf("x_future = %v, want it kept", m["x_future"])
	}
	if doc, _ := m["cimd_document"].(map[string]any); doc["x_nested"] != true {
		t.Errorf("cimd_document.x_nested = %v, want it kept", doc["x_nested"])
	}
	if m["client_name"] != "renamed" {
		t.Errorf("client_name = %v", m["client_name"])
	}
}

func stdBase64(s string) ([]byte, error) { return base64.StdEncoding.Strict().DecodeString(s) }

// TestPrintShowsFieldsOnly: a Client printed with fmt, as a value or a
// pointer, shows its fields, its secret redacted, and nothing of the
// members it keeps without knowing them; so does its object, either way.
func TestPrintShowsFieldsOnly(t *testing.T) {
	var c oauthclients.Client
	err := json.Unmarshal([]byte(`{"client_id":"c1","client_secret":"s3cr3t-value","x_future":"kept-unknown-bytes",`+
		`"cimd_document":{"client_id":"https://c.example.com/d.json","x_nested":"nested-unknown-bytes"}}`), &c)
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x"} {
		for _, v := range []any{c, &c, c.CimdDocument, *c.CimdDocument} {
			out := fmt.Sprintf(verb, v)
			for _, hidden := range []string{"x_future", "kept-unknown", "x_nested", "nested-unknown", "s3cr3t", "unknown"} {
				if strings.Contains(out, hidden) {
					t.Errorf("%s of a %T prints %q: %s", verb, v, hidden, out)
				}
			}
		}
	}
	for _, v := range []any{c, &c} {
		if out := fmt.Sprintf("%+v", v); !strings.Contains(out, "ClientID:c1") || !strings.Contains(out, "ClientSecret:[REDACTED]") {
			t.Errorf("%%+v of a %T = %s; want its fields, the secret redacted", v, out)
		}
	}
}

// TestValueAndPointerMethods: a Client and a *Client are written alike by
// encoding/json (as stored, the secret redacted, the unknown members kept),
// and both validate and verify: the methods that only read a record take
// it by value.
func TestValueAndPointerMethods(t *testing.T) {
	var c oauthclients.Client
	err := json.Unmarshal([]byte(`{"client_id":"c1","redirect_uris":["https://c.example.com/cb"],"client_secret":"s3cr3t-value",`+
		`"client_id_issued_at":1700000000,"registration_access_token":"sha256:`+strings.Repeat("ab", 32)+`","x_future":1}`), &c)
	if err != nil {
		t.Fatal(err)
	}
	byValue, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	byPointer, err := json.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	if string(byValue) != string(byPointer) {
		t.Errorf("json.Marshal of a Client:\n%s\nof a *Client:\n%s", byValue, byPointer)
	}
	for _, want := range []string{`"client_id_issued_at":1700000000`, `"x_future":1`, `"client_secret":"` + kv.Redacted + `"`} {
		if !strings.Contains(string(byValue), want) {
			t.Errorf("json.Marshal of a Client = %s; want %s in it", byValue, want)
		}
	}
	type record interface {
		Validate() error
		VerifyRegistrationAccessToken(token string) bool
	}
	for _, r := range []record{c, &c} {
		if err := r.Validate(); err != nil {
			t.Errorf("Validate of a %T: %v", r, err)
		}
		if r.VerifyRegistrationAccessToken("not-the-token") {
			t.Errorf("VerifyRegistrationAccessToken of a %T took another token", r)
		}
	}
}
