package interop_test

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/internal/goonly/fieldsclients"
	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/pgkv"
)

// goOnly is the collection of the fields-mode store in these tests.
const goOnly = fieldsclients.DefaultCollection

// TestRotationCoversTheTable rotates a table that Python and Go both wrote,
// in three collections and every mode, with `kvgen reencrypt` as the README
// says: once it is done, the old key leaves both rings and every row still
// reads, by Go and by Python.
func TestRotationCoversTheTable(t *testing.T) {
	s := newShared(t)
	old := s.key
	fields, err := fieldsclients.New(s.pool, fieldsclients.Options{Encrypter: s.ring})
	if err != nil {
		t.Fatal(err)
	}
	s.py.put(clients, "py-client", pyClient("py-client"), 0)
	s.py.put("mcp-upstream-tokens", "py-token", map[string]any{"access_token": "at-py"}, 3600)
	if err := s.gost.Put(s.ctx, goClient("go-client")); err != nil {
		t.Fatal(err)
	}
	if err := s.gost.Untyped().Put(s.ctx, "mcp-upstream-tokens", "go-token", map[string]any{"access_token": "at-go"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := fields.Put(s.ctx, fieldsclients.Client{ClientID: "go-only", RedirectURIs: []string{"https://a.example.com/cb"}, ClientSecret: "fields-secret"}); err != nil {
		t.Fatal(err)
	}

	// The README's procedure: the new key first, kvgen reencrypt with the
	// schema of every record of the table, then the old key dropped.
	next := newKey(t)
	out := runKvgen(t, []string{"DATABASE_URL=" + s.url, "KVGEN_ENCRYPTION_KEYS=" + next + "," + old},
		"reencrypt", "../schema/oauth_clients.yaml", "../internal/goonly/fieldsclients.yaml")
	if !strings.Contains(out, "3 collections, 5 rows read, 5 rewritten") {
		t.Errorf("kvgen reencrypt said:\n%s\nwant 3 collections and 5 rows rewritten", out)
	}

	// The old key is gone from both sides.
	only := ring(t, next)
	goStore := newGoStore(t, s.pool, only)
	fields, err = fieldsclients.New(s.pool, fieldsclients.Options{Encrypter: only})
	if err != nil {
		t.Fatal(err)
	}
	s.py.useKeys(next)
	for _, id := range []string{"py-client", "go-client"} {
		if c, ok, err := goStore.Get(s.ctx, id); err != nil || !ok || c.ClientSecret.Reveal() == "" {
			t.Errorf("Go Get %s with the new key only: %v, %v", id, ok, err)
		}
		if raw, err := s.py.get(clients, id); err != nil || string(raw) == "null" {
			t.Errorf("Python get %s with the new key only: %s, %v", id, raw, err)
		}
	}
	for _, id := range []string{"py-token", "go-token"} {
		if _, ok, err := goStore.Untyped().Get(s.ctx, "mcp-upstream-tokens", id); err != nil || !ok {
			t.Errorf("Go untyped Get %s with the new key only: %v, %v", id, ok, err)
		}
		if raw, err := s.py.get("mcp-upstream-tokens", id); err != nil || string(raw) == "null" {
			t.Errorf("Python get %s with the new key only: %s, %v", id, raw, err)
		}
	}
	if c, ok, err := fields.Get(s.ctx, "go-only"); err != nil || !ok || c.ClientSecret.Reveal() != "fields-secret" {
		t.Errorf("fields-mode Get with the new key only: %v, %v", ok, err)
	}
}

// TestRotationRefusesUndeclaredSealedMembers: a fields-mode row in a
// collection whose schema was not given is refused, not guessed at, and the
// rows before it are done.
func TestRotationRefusesUndeclaredSealedMembers(t *testing.T) {
	s := newShared(t)
	fields, err := fieldsclients.New(s.pool, fieldsclients.Options{Encrypter: s.ring})
	if err != nil {
		t.Fatal(err)
	}
	if err := fields.Put(s.ctx, fieldsclients.Client{ClientID: "go-only", RedirectURIs: []string{"https://a.example.com/cb"}, ClientSecret: "x"}); err != nil {
		t.Fatal(err)
	}
	s.py.put(clients, "py-client", pyClient("py-client"), 0)
	tbl, err := pgkv.NewTable(s.pool, table)
	if err != nil {
		t.Fatal(err)
	}
	results, err := kv.ReencryptTable(s.ctx, tbl, kv.ReencryptTableOptions{
		Encrypter: ring(t, newKey(t), s.key),
		Declared:  map[string][]string{oauthclients.DefaultCollection: nil},
	})
	var ve *kv.ValueError
	if !errors.Is(err, kv.ErrUndeclared) || !errors.As(err, &ve) || ve.Collection != goOnly || ve.Key != "go-only" {
		t.Fatalf("ReencryptTable over an undeclared fields-mode row: %v", err)
	}
	last := results[len(results)-1]
	if last.Collection != goOnly || last.Rewritten != 0 {
		t.Errorf("results %+v: the refused collection must be last, nothing rewritten in it", results)
	}
}

// runKvgen runs the kvgen command of this checkout with env added, and
// returns its output; it fails t unless kvgen exits 0.
func runKvgen(t *testing.T, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"run", "../cmd/kvgen"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kvgen %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
