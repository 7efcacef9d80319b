package oauthclients_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/kv"
)

// TestPostgresRefusesWhatWritesRefuse records why writes check JSON: each
// of these, as jsonb, is an error of PostgreSQL 15 (numbers above 1e131071
// and NUL escapes alike), so a write that let them through would fail with
// a raw driver error in none and fields mode, and store a value that no
// reader can open in value mode.
func TestPostgresRefusesWhatWritesRefuse(t *testing.T) {
	pool := newTable(t)
	codec, err := kv.NewMapCodec(nil, kv.EncryptionNone, nil)
	if err != nil {
		t.Fatal(err)
	}
	for text, sqlstate := range map[string]string{
		`{"n":"a\u0000b"}`:         "22P05", // unsupported Unicode escape sequence
		`{"n":"\ud800"}`:           "22P02", // a high surrogate without its low half
		`{"n":"\udc00"}`:           "22P02",
		`{"n":"\ud800\u0041"}`:     "22P02",
		"{\"n\":\"a\xffb\"}":       "22021", // invalid byte sequence for encoding UTF8
		"{\"n\":\"\xed\xa0\x80\"}": "22021",
		`{"e":1e999999}`:           "22003", // value overflows numeric format
		`{"z":0e-20000}`:           "22003",
	} {
		var out string
		err := pool.QueryRow(context.Background(), `SELECT $1::text::jsonb::text`, text).Scan(&out)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != sqlstate {
			t.Errorf("%q as jsonb: %v; want SQLSTATE %s", text, err, sqlstate)
		}
		if _, err := codec.Encode("c", "k", map[string]any{"v": json.RawMessage(text)}); !errors.Is(err, kv.ErrInvalid) {
			t.Errorf("a write of %q: %v; want ErrInvalid", text, err)
		}
	}
}

// TestUnreadableRecordsRefused: a record holding, anywhere, what PostgreSQL
// or Python could not read back is ErrInvalid naming the path, before any
// write, over PostgreSQL and memory, typed and untyped.
func TestUnreadableRecordsRefused(t *testing.T) {
	ctx := context.Background()
	base := func() oauthclients.Client {
		c := client(1)
		c.ClientID = "c1"
		return c
	}
	// fromJSON is base with members of a request or a stored row, which
	// keeps members the schema does not know.
	fromJSON := func(members string) oauthclients.Client {
		t.Helper()
		data, err := json.Marshal(base())
		if err != nil {
			t.Fatal(err)
		}
		var c oauthclients.Client
		if err := c.UnmarshalJSON(append(data[:len(data)-1], ","+members+"}"...)); err != nil {
			t.Fatalf("%s: %v", members, err)
		}
		c.ClientSecret = base().ClientSecret
		return c
	}
	cases := []struct {
		name   string
		record oauthclients.Client
		path   string
	}{
		{"NUL in jwks", fromJSON(`"jwks":{"keys":[{"kty":"RSA","n":"a\u0000b"}]}`), "jwks.keys[0].n"},
		{"invalid UTF-8 in jwks", fromJSON("\"jwks\":{\"keys\":[{\"n\":\"\xff\"}]}"), "jwks.keys[0].n"},
		{"lone surrogate in jwks", fromJSON(`"jwks":{"keys":[{"n":"\ud800"}]}`), "jwks.keys[0].n"},
		{"number beyond float64 in jwks", fromJSON(`"jwks":{"keys":[{"e":1e999999}]}`), "jwks.keys[0].e"},
		{"number Python reads as inf in jwks", fromJSON(`"jwks":{"keys":[{"e":1e400}]}`), "jwks.keys[0].e"},
		{"lone surrogate in the document's jwks", fromJSON(`"cimd_document":{"client_id":"https://c.example/d.json","jwks":["\udfff"]}`), "cimd_document.jwks[0]"},
		{"NUL in an unknown member", fromJSON(`"x_future":{"note":"\u0000"}`), "x_future.note"},
		{"invalid UTF-8 in an unknown member", fromJSON("\"x_future\":[\"\xc3\"]"), "x_future[0]"},
		{"lone surrogate in an unknown member of the document", fromJSON(`"cimd_document":{"client_id":"https://c.example/d.json","x_nested":"\ud800x"}`), "cimd_document.x_nested"},
		{"number beyond float64 in an unknown member", fromJSON(`"x_big":1e999999`), "x_big"},
		{"NUL in an unknown member's name", fromJSON(`"x\u0000":1`), `["x\x00"]`},
		{"invalid UTF-8 in a string", func() oauthclients.Client { c := base(); c.ClientName = "a\xffb"; return c }(), "client_name"},
		{"invalid UTF-8 in a list item", func() oauthclients.Client { c := base(); c.Contacts = []string{"ok", "\xed\xa0\x80"}; return c }(), "contacts[1]"},
		{"NUL in a secret", func() oauthclients.Client { c := base(); c.ClientSecret = "s\x00"; return c }(), "client_secret"},
		{"NUL in a redirect URI", func() oauthclients.Client { c := base(); c.RedirectURIs = []string{"https://a.example/\x00"}; return c }(), "redirect_uris[0]"},
		{"invalid UTF-8 in a nested string", func() oauthclients.Client { c := base(); c.CimdDocument.Scope = "\xff"; return c }(), "cimd_document.scope"},
	}
	pool := newTable(t)
	stores := map[string]*oauthclients.Store{"postgres": newStore(t, pool, newRing(t))}
	mem, err := oauthclients.NewMemory(oauthclients.Options{Encrypter: newRing(t)})
	if err != nil {
		t.Fatal(err)
	}
	stores["memory"] = mem
	for backend, s := range stores {
		for _, c := range cases {
			for what, err := range map[string]error{
				"Put":     s.Put(ctx, c.record),
				"PutMany": s.PutMany(ctx, []oauthclients.Client{faultRecord("other", 1), c.record}),
				"KV Put":  s.KV().Put(ctx, "", "c1", c.record, 0),
			} {
				var ve *kv.ValidationError
				var pgErr *pgconn.PgError
				switch {
				case errors.As(err, &pgErr):
					t.Errorf("%s, %s %s: a driver error: %v", c.name, backend, what, err)
				case !errors.Is(err, kv.ErrInvalid) || !errors.As(err, &ve):
					t.Errorf("%s, %s %s: %v; want ErrInvalid", c.name, backend, what, err)
				case !slices.Equal(ve.Paths(), []string{c.path}):
					t.Errorf("%s, %s %s: %v; want one problem, at %s", c.name, backend, what, err, c.path)
				}
			}
		}
		for name, v := range map[string]any{
			"lone surrogate":        json.RawMessage(`{"keys":[{"n":"\ud800"}]}`),
			"number beyond float64": json.Number("1e999999"),
			"NUL":                   []any{"a\x00b"},
			"invalid UTF-8":         map[string]any{"n": "\xff"},
		} {
			err := s.Untyped().Put(ctx, "", "u1", map[string]any{"client_id": "u1", "jwks": v}, 0)
			var pgErr *pgconn.PgError
			if !errors.Is(err, kv.ErrInvalid) || errors.As(err, &pgErr) {
				t.Errorf("%s in jwks, %s untyped Put: %v; want ErrInvalid", name, backend, err)
			}
		}
		if n, err := s.KV().Keys(ctx, "", "", 10); err != nil || len(n) != 0 {
			t.Errorf("%s: keys %q written despite the errors (%v)", backend, n, err)
		}
	}
}

// TestURLPolicy: each url field accepts the schemes of its schema and
// nothing else, ports in range, no link-local host; a row another writer
// stored with a URL the policy refuses still reads, and a write of it names
// the field.
func TestURLPolicy(t *testing.T) {
	ctx := context.Background()
	pool := newTable(t)
	s := newStore(t, pool, newRing(t))
	with := func(change func(c *oauthclients.Client)) oauthclients.Client {
		c := client(1)
		c.ClientID = "c1"
		change(&c)
		return c
	}
	refused := []struct {
		record oauthclients.Client
		path   string
	}{
		{with(func(c *oauthclients.Client) { c.ClientURI = "javascript:alert(1)" }), "client_uri"},
		{with(func(c *oauthclients.Client) { c.LogoURI = "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==" }), "logo_uri"},
		{with(func(c *oauthclients.Client) { c.TosURI = "view-source:https://a.example/" }), "tos_uri"},
		{with(func(c *oauthclients.Client) { c.PolicyURI = "jar:https://a.example/x.jar!/" }), "policy_uri"},
		{with(func(c *oauthclients.Client) { c.JWKSURI = "https://169.254.169.254/latest/meta-data/" }), "jwks_uri"},
		{with(func(c *oauthclients.Client) { c.JWKSURI = "https://[fe80::1]/jwks" }), "jwks_uri"},
		{with(func(c *oauthclients.Client) { c.LogoURI = "https://2852039166/logo.png" }), "logo_uri"},
		{with(func(c *oauthclients.Client) { c.ClientURI = "http://a.example/" }), "client_uri"},
		{with(func(c *oauthclients.Client) { c.ClientURI = "https://a.example:65536/" }), "client_uri"},
		{with(func(c *oauthclients.Client) {
			c.RedirectURIs = []string{"https://a.example/cb", "http://a.example:99999/cb"}
		}), "redirect_uris[1]"},
		{with(func(c *oauthclients.Client) { c.RedirectURIs = []string{"http://localhost:99999/cb"} }), "redirect_uris[0]"},
		{with(func(c *oauthclients.Client) { c.RedirectURIs = []string{"myapp:/cb"} }), "redirect_uris[0]"},
		{with(func(c *oauthclients.Client) { c.RedirectURIs = []string{"http://evil.example/cb"} }), "redirect_uris[0]"},
		{with(func(c *oauthclients.Client) { c.RedirectURIs = []string{"file:///etc/passwd"} }), "redirect_uris[0]"},
		{with(func(c *oauthclients.Client) { c.CimdDocument.ClientURI = "javascript:x" }), "cimd_document.client_uri"},
		{with(func(c *oauthclients.Client) { c.CimdDocument.ClientID = "http://cimd.example/d.json" }), "cimd_document.client_id"},
		{with(func(c *oauthclients.Client) { c.RegistrationClientURI = "http://auth.example/register/c1" }), "registration_client_uri"},
	}
	for _, c := range refused {
		err := s.Put(ctx, c.record)
		var ve *kv.ValidationError
		if !errors.As(err, &ve) || !slices.Equal(ve.Paths(), []string{c.path}) {
			t.Errorf("Put with a bad %s: %v; want ErrInvalid at %s alone", c.path, err, c.path)
		}
	}
	if n := countRows(t, pool); n != 0 {
		t.Fatalf("%d rows written despite the errors", n)
	}
	accepted := with(func(c *oauthclients.Client) {
		c.RedirectURIs = []string{"https://app.example.com/cb", "http://127.0.0.1:6274/cb", "http://[::1]/cb",
			"com.example.app:/oauth2redirect", "cursor://anysphere.cursor-retrieval/oauth/callback", "vscode://a.b/cb"}
		c.RegistrationClientURI = "http://localhost:8080/register/c1"
		c.ClientURI, c.LogoURI, c.JWKSURI = "https://a.example/", "https://a.example:8443/logo.png", "https://[2001:db8::1]/jwks"
	})
	if err := s.Put(ctx, accepted); err != nil {
		t.Fatalf("Put of URLs every schema form accepts: %v", err)
	}

	// Rows another writer stored: what it may keep, and what only it may.
	insertRaw(t, pool, oauthclients.DefaultCollection, "py-native",
		`{"client_id":"py-native","redirect_uris":["com.example.app:/cb","cursor://anysphere.cursor-retrieval/oauth/callback"],"token_endpoint_auth_method":"none"}`)
	insertRaw(t, pool, oauthclients.DefaultCollection, "py-loose",
		`{"client_id":"py-loose","redirect_uris":["myapp:/cb"],"client_uri":"http://a.example/","token_endpoint_auth_method":"none"}`)
	native, ok, err := s.Get(ctx, "py-native")
	if err != nil || !ok {
		t.Fatalf("Get of a client with private-use redirect URIs: %v, %v", ok, err)
	}
	native.ClientName = "renamed"
	if err := s.Put(ctx, native); err != nil {
		t.Errorf("update of a client with private-use redirect URIs: %v", err)
	}
	loose, ok, err := s.Get(ctx, "py-loose")
	if err != nil || !ok || loose.ClientURI != "http://a.example/" || !slices.Equal(loose.RedirectURIs, []string{"myapp:/cb"}) {
		t.Fatalf("Get of a client with URLs the policy refuses = %v, %v, %+v; want it read as stored", ok, err, loose)
	}
	var ve *kv.ValidationError
	if err := s.Put(ctx, loose); !errors.As(err, &ve) || !slices.Equal(ve.Paths(), []string{"redirect_uris[0]", "client_uri"}) {
		t.Errorf("write back of a client with URLs the policy refuses: %v; want ErrInvalid naming both", err)
	}
}

// TestRowUnderAnotherKey: a row copied under another key (by hand, a
// faulty migration or an attacker with table access) is not served as the
// client of that key: every read names the row and the key field, and
// never the key the record holds; the other rows still read.
func TestRowUnderAnotherKey(t *testing.T) {
	ctx := context.Background()
	pool := newTable(t)
	s := newStore(t, pool, newRing(t))
	const victim = "victim-7f3a91"
	c := client(1)
	c.ClientID = victim
	c.SoftwareID = "sw-copied"
	if err := s.Put(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO oauth_clients (collection, key, value, created_at)
		SELECT collection, 'attacker', value, now() FROM oauth_clients WHERE key = $1`, victim); err != nil {
		t.Fatal(err)
	}
	insertRaw(t, pool, oauthclients.DefaultCollection, "no-key", `{"redirect_uris":["https://a.example/cb"],"software_id":"sw-copied"}`)

	check := func(what string, err error) {
		t.Helper()
		var ve *kv.ValueError
		for _, e := range joined(err) {
			if errors.As(e, &ve) && ve.Key == "attacker" {
				break
			}
		}
		switch {
		case !errors.Is(err, kv.ErrCorrupt) || ve == nil || ve.Key != "attacker":
			t.Errorf("%s: %v; want ErrCorrupt for the copied row", what, err)
		case ve.Collection != oauthclients.DefaultCollection || ve.Field != "client_id":
			t.Errorf("%s names collection %q field %q; want %q client_id", what, ve.Collection, ve.Field, oauthclients.DefaultCollection)
		case strings.Contains(err.Error(), victim):
			t.Errorf("%s shows the key the record holds: %v", what, err)
		}
	}
	got, found, err := s.Get(ctx, "attacker")
	check("Get", err)
	if found || got.ClientID != "" {
		t.Errorf("Get of the copied row = %q, found %v; want nothing", got.ClientID, found)
	}
	entries, err := s.GetMany(ctx, []string{victim, "attacker", "no-key"})
	check("GetMany", err)
	if !entries[0].Found || entries[1].Found || !entries[2].Found {
		t.Errorf("GetMany found %v %v %v; want the victim and no-key, not the copy", entries[0].Found, entries[1].Found, entries[2].Found)
	}
	if entries[2].Value.ClientID != "no-key" {
		t.Errorf("a record without its key reads with client_id %q; want the row's key", entries[2].Value.ClientID)
	}
	list, err := s.List(ctx, "", 10)
	check("List", err)
	if ids := ids(list); !slices.Equal(ids, []string{"no-key", victim}) {
		t.Errorf("List = %q; want the victim and no-key alone", ids)
	}

	// The memory backend holds the same bytes the same way.
	mem := kv.NewMemory()
	ms, err := oauthclients.NewWithBackend(mem, oauthclients.Options{Encrypter: newRing(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := ms.Put(ctx, c); err != nil {
		t.Fatal(err)
	}
	raw, _, _ := mem.Get(ctx, oauthclients.DefaultCollection, victim)
	if err := mem.Put(ctx, oauthclients.DefaultCollection, "attacker", raw.Value, nil); err != nil {
		t.Fatal(err)
	}
	_, _, err = ms.Get(ctx, "attacker")
	check("memory Get", err)
}
