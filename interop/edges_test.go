package interop_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/kvgen/kvgen/internal/goonly/fieldsclients"
	"github.com/kvgen/kvgen/kv"
)

// TestWhatPythonCannotReadIsRefused: the inputs py-key-value could not read
// back are refused by Go before the write, typed and untyped, and nothing
// is written; Python then reads the table as it was.
func TestWhatPythonCannotReadIsRefused(t *testing.T) {
	s := newShared(t)
	bad := map[string]json.RawMessage{
		"NUL":              json.RawMessage(`{"keys":[{"n":"a\u0000b"}]}`),
		"invalid UTF-8":    json.RawMessage("{\"keys\":[{\"n\":\"a\xffb\"}]}"),
		"lone surrogate":   json.RawMessage(`{"keys":[{"n":"a\ud800b"}]}`),
		"out of float64":   json.RawMessage(`{"keys":[{"e":1e400}]}`),
		"far out of range": json.RawMessage(`{"keys":[{"e":1e999999}]}`),
	}
	for what, jwks := range bad {
		c := goClient("edge")
		c.JWKS = jwks
		err := s.gost.Put(s.ctx, c)
		var ve *kv.ValidationError
		if !errors.As(err, &ve) || !strings.HasPrefix(strings.Join(ve.Paths(), ","), "jwks.keys[0]") {
			t.Errorf("typed Put of jwks with %s: %v; want ErrInvalid at jwks.keys[0]…", what, err)
		}
	}
	// The untyped view's values are Go values: strings that are not UTF-8
	// (a surrogate's bytes too), NUL, numbers out of range.
	for what, value := range map[string]any{
		"NUL":            "a\x00b",
		"invalid UTF-8":  "a\xffb",
		"surrogate":      "a\xed\xa0\x80b",
		"out of float64": json.Number("1e400"),
	} {
		m := map[string]any{"jwks": map[string]any{"keys": []any{map[string]any{"n": value}}}}
		if err := s.gost.Untyped().Put(s.ctx, "mcp-upstream-tokens", "edge", m, 0); !errors.Is(err, kv.ErrInvalid) {
			t.Errorf("untyped Put with %s: %v; want ErrInvalid", what, err)
		}
	}
	for _, coll := range []string{clients, "mcp-upstream-tokens"} {
		if raw, err := s.py.get(coll, "edge"); err != nil || string(raw) != "null" {
			t.Errorf("Python get after the refused writes: %s, %v; want nothing written", raw, err)
		}
	}
}

// TestGoReadsPythonsEdgeValues: what Python's json writes for values at the
// edges reads in Go: NUL and lone surrogates as escapes inside the sealed
// value, the largest float64, deep-ish nesting.
func TestGoReadsPythonsEdgeValues(t *testing.T) {
	s := newShared(t)
	v := pyClient("py-edge")
	// Raw JSON: Go strings cannot hold a lone surrogate; Python's can.
	v["client_name"] = json.RawMessage(`"nul\u0000 and surrogate \ud800 end"`)
	v["jwks"] = map[string]any{"keys": []any{map[string]any{"e": 1.7976931348623157e308, "deep": []any{[]any{[]any{"x"}}}}}}
	s.py.put(clients, "py-edge", v, 0)
	c, err := s.goGet(t, "py-edge")
	if err != nil {
		t.Fatalf("Go Get of Python's edge values: %v", err)
	}
	if !strings.HasPrefix(c.ClientName, "nul\x00 and surrogate ") {
		t.Errorf("client_name = %q", c.ClientName)
	}
	var jwks struct {
		Keys []struct {
			E float64 `json:"e"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(c.JWKS, &jwks); err != nil || len(jwks.Keys) != 1 || jwks.Keys[0].E != 1.7976931348623157e308 {
		t.Errorf("jwks = %s, %v", c.JWKS, err)
	}
	if m, ok, err := s.gost.Untyped().Get(s.ctx, "", "py-edge"); err != nil || !ok || m["client_id"] != "py-edge" {
		t.Errorf("untyped Get of Python's edge values: %v, %v", ok, err)
	}
}

// TestFieldsStoreRefusesFastMCPCollections: a store of encryption: fields
// cannot write into a collection Python reads, even one named at run time:
// not as its default collection, not through KV().
func TestFieldsStoreRefusesFastMCPCollections(t *testing.T) {
	s := newShared(t)
	fields, err := fieldsclients.New(s.pool, fieldsclients.Options{Encrypter: s.ring})
	if err != nil {
		t.Fatal(err)
	}
	rec := fieldsclients.Client{ClientID: "k", RedirectURIs: []string{"https://a.example.com/cb"}, ClientSecret: "x"}
	for _, coll := range kv.FastMCPCollections {
		_, err := fieldsclients.New(s.pool, fieldsclients.Options{Encrypter: s.ring, Collection: coll})
		if !errors.Is(err, kv.ErrInvalid) || !strings.Contains(err.Error(), coll) {
			t.Errorf("fieldsclients.New on %q: %v; want ErrInvalid naming it", coll, err)
		}
		if err := fields.KV().Put(s.ctx, coll, "k", rec, 0); !errors.Is(err, kv.ErrInvalid) {
			t.Errorf("KV().Put into %q: %v; want ErrInvalid", coll, err)
		}
		if err := fields.KV().PutMany(s.ctx, coll, []string{"k"}, []fieldsclients.Client{rec}, 0); !errors.Is(err, kv.ErrInvalid) {
			t.Errorf("KV().PutMany into %q: %v; want ErrInvalid", coll, err)
		}
		if raw, err := s.py.get(coll, "k"); err != nil || string(raw) != "null" {
			t.Errorf("Python get of %q after the refused writes: %s, %v", coll, raw, err)
		}
	}
}
