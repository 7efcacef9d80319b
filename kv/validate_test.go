package kv_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/kvgen/kvgen/kv"
)

// unreadable are values that PostgreSQL's jsonb refuses or Python's json
// module cannot read back, each at a known path of the record.
var unreadable = []struct {
	name  string
	value map[string]any
	path  string
	msg   string // a word of the message
}{
	{"NUL escape in raw JSON", map[string]any{"jwks": json.RawMessage(`{"keys":[{"kty":"RSA","n":"a\u0000b"}]}`)}, "jwks.keys[0].n", "NUL"},
	{"invalid UTF-8 in raw JSON", map[string]any{"jwks": json.RawMessage("{\"keys\":[{\"n\":\"a\xffb\"}]}")}, "jwks.keys[0].n", "UTF-8"},
	{"UTF-8 form of a surrogate in raw JSON", map[string]any{"jwks": json.RawMessage("[\"\xed\xa0\x80\"]")}, "jwks[0]", "UTF-8"},
	{"lone high surrogate escape", map[string]any{"jwks": json.RawMessage(`{"keys":["ok","\ud800"]}`)}, "jwks.keys[1]", "surrogate"},
	{"high surrogate before a non-surrogate", map[string]any{"jwks": json.RawMessage(`"\ud800\u0041"`)}, "jwks", "surrogate"},
	{"lone low surrogate escape", map[string]any{"jwks": json.RawMessage(`{"a":{"b":"x\udc00"}}`)}, "jwks.a.b", "surrogate"},
	{"surrogate in a member name", map[string]any{"jwks": json.RawMessage(`{"\ud800":1}`)}, `jwks["\\ud800"]`, "surrogate"},
	{"number overflowing float64", map[string]any{"jwks": json.RawMessage(`{"keys":[{"e":1e999999}]}`)}, "jwks.keys[0].e", "64-bit float"},
	{"number overflowing float64 without exponent", map[string]any{"n": json.Number("1" + strings.Repeat("0", 400))}, "n", "64-bit float"},
	{"number underflowing to zero", map[string]any{"deep": map[string]any{"x": []any{json.Number("1e-400")}}}, "deep.x[0]", "64-bit float"},
	{"zero PostgreSQL cannot scale", map[string]any{"z": json.Number("0e-20000")}, "z", "64-bit float"},
	{"NUL in a Go string", map[string]any{"list": []any{"ok", "a\x00b"}}, "list[1]", "NUL"},
	{"invalid UTF-8 in a Go string", map[string]any{"m": map[string]any{"s": "a\xffb"}}, "m.s", "UTF-8"},
	{"invalid UTF-8 in a []string", map[string]any{"uris": []string{"https://a.example", "\xed\xa0\x80"}}, "uris[1]", "UTF-8"},
	{"NUL in a member name", map[string]any{"m": map[string]string{"a\x00": "x"}}, `m["a\x00"]`, "NUL"},
	{"invalid UTF-8 in a top-level name", map[string]any{"a\xff": 1}, `["a\xff"]`, "UTF-8"},
	{"nesting Python cannot read", map[string]any{"deep": nested(600)}, "deep" + strings.Repeat("[0]", 15) + "…", "nested"},
	{"raw nesting Python cannot read", map[string]any{"deep": json.RawMessage(strings.Repeat("[", 600) + strings.Repeat("]", 600))}, "deep" + strings.Repeat("[0]", 15) + "…", "nested"},
	{"a struct's NUL, as encoding/json writes it", map[string]any{"s": struct{ A string }{"\x00"}}, "s.A", "NUL"},
}

func nested(depth int) any {
	v := any("leaf")
	for range depth {
		v = []any{v}
	}
	return v
}

// TestUnreadableValuesRefused: the untyped view writes nothing that a reader
// of the table could not read back, in every mode, and says where.
func TestUnreadableValuesRefused(t *testing.T) {
	ctx := context.Background()
	ring := newRing(t, 1)
	for _, mode := range []string{kv.EncryptionNone, kv.EncryptionFields, kv.EncryptionValue} {
		codec, err := kv.NewMapCodec(ring, mode, []string{"jwks", "m"})
		if err != nil {
			t.Fatal(err)
		}
		store := kv.NewMemoryStore[map[string]any](codec, "")
		for _, c := range unreadable {
			good := map[string]any{"ok": "fine"}
			err := store.Put(ctx, "", "k", c.value, 0)
			var ve *kv.ValidationError
			switch {
			case !errors.Is(err, kv.ErrInvalid) || !errors.As(err, &ve):
				t.Errorf("%s, mode %s: Put = %v; want ErrInvalid", c.name, mode, err)
				continue
			case !slices.Equal(ve.Paths(), []string{c.path}) || !strings.Contains(ve.Problems[0].Message, c.msg):
				t.Errorf("%s, mode %s: %v; want one problem at %s saying %s", c.name, mode, err, c.path, c.msg)
			}
			if err := store.PutMany(ctx, "", []string{"good", "k"}, []map[string]any{good, c.value}, 0); !errors.Is(err, kv.ErrInvalid) {
				t.Errorf("%s, mode %s: PutMany = %v; want ErrInvalid", c.name, mode, err)
			}
			if keys, _ := store.Keys(ctx, "", "", 10); len(keys) != 0 {
				t.Fatalf("%s, mode %s: keys %q written despite the error", c.name, mode, keys)
			}
		}
	}
}

// TestReadableValuesAccepted: what every reader can read back is written,
// however close to the limits.
func TestReadableValuesAccepted(t *testing.T) {
	ctx := context.Background()
	codec, err := kv.NewMapCodec(nil, kv.EncryptionNone, nil)
	if err != nil {
		t.Fatal(err)
	}
	store := kv.NewMemoryStore[map[string]any](codec, "")
	v := map[string]any{
		"pair":     json.RawMessage(`"\ud83d\ude00 \uD83D\uDE00"`),
		"escapes":  json.RawMessage(`"\u0001\"\\\/\b\f\n\r\t\u00e9\uffff"`),
		"utf8":     "Hello 世界 🌍 é \u2028",
		"max":      json.Number("1.7976931348623157e308"),
		"min":      json.Number("-5e-324"),
		"zero":     json.RawMessage(`[0, -0, 0.0e999, 0e-1000, 0.000]`),
		"big":      json.Number("123456789012345678901234567890"),
		"deep":     nested(499),
		"raw deep": json.RawMessage(strings.Repeat("[", 500) + strings.Repeat("]", 500)),
		"names":    map[string]any{"a.b": 1, "[x]": 2, "": 3, "é": 4},
		"nothing":  nil,
	}
	if err := store.Put(ctx, "", "k", v, 0); err != nil {
		t.Fatalf("Put: %v", err)
	}
}
