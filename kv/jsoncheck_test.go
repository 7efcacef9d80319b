package kv_test

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/kvgen/kvgen/kv"
)

func TestCheckJSON(t *testing.T) {
	for _, c := range []struct {
		raw, path, msg string
	}{
		{`{"keys":[{"kty":"RSA","n":"x"}]}`, "", ""},
		{``, "", ""},
		{` [1, "a" , {"b" : null} ] `, "", ""},
		{`{"a":1,}`, "jwks", "not valid JSON"},
		{`{"a" 1}`, "jwks", "not valid JSON"},
		{`[1 2]`, "jwks", "not valid JSON"},
		{`01`, "jwks", "not valid JSON"},
		{`1.`, "jwks", "not valid JSON"},
		{`-`, "jwks", "not valid JSON"},
		{`"a\x"`, "jwks", "not valid JSON"},
		{`"\u12"`, "jwks", "not valid JSON"},
		{"\"tab\there\"", "jwks", "not valid JSON"},
		{`{"a":1} {}`, "jwks", "not valid JSON"},
		{`tru`, "jwks", "not valid JSON"},
		{`{"a":[1,{"b":[true,"\u0000"]}]}`, "jwks.a[1].b[1]", "NUL"},
		{`{"a.b":{"c":"\udfff"}}`, `jwks["a.b"].c`, "surrogate"},
		{`{"` + strings.Repeat("n", 100) + `":1e400}`, `jwks["` + strings.Repeat("n", 64) + `"…]`, "64-bit float"},
	} {
		var p kv.Problems
		kv.CheckJSON(&p, "jwks", []byte(c.raw))
		switch {
		case c.msg == "" && len(p) != 0:
			t.Errorf("CheckJSON(%s) = %v; want no problem", c.raw, p)
		case c.msg != "" && (len(p) != 1 || p[0].Path != c.path || !strings.Contains(p[0].Message, c.msg)):
			t.Errorf("CheckJSON(%s) = %+v; want one problem at %s saying %s", c.raw, p, c.path, c.msg)
		}
	}
}

// FuzzCheckJSON: CheckJSON never panics, refuses everything encoding/json
// finds invalid, and what it accepts decodes to no NUL character and no
// number Go cannot hold in a float64.
func FuzzCheckJSON(f *testing.F) {
	for _, seed := range []string{`{"keys":[{"n":"x","e":1e3}]}`, `"\ud83d\ude00"`, `"\ud800"`, `[1e400]`, "\"\xff\"", `{"a\u0000":0}`, `[[[]]]`, `-0.0e-0`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var p kv.Problems
		kv.CheckJSON(&p, "v", raw)
		if len(raw) == 0 {
			return
		}
		if !json.Valid(raw) {
			if len(p) == 0 {
				t.Fatalf("CheckJSON accepted invalid JSON %q", raw)
			}
			return
		}
		if len(p) != 0 {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("CheckJSON accepted %q, which does not decode: %v", raw, err)
		}
		var walk func(any)
		walk = func(v any) {
			switch v := v.(type) {
			case string:
				if strings.IndexByte(v, 0) >= 0 {
					t.Fatalf("CheckJSON accepted a NUL character in %q", raw)
				}
			case json.Number:
				if f, err := v.Float64(); err != nil || math.IsInf(f, 0) {
					t.Fatalf("CheckJSON accepted the number %s in %q", v, raw)
				}
			case []any:
				for _, e := range v {
					walk(e)
				}
			case map[string]any:
				for k, e := range v {
					walk(k)
					walk(e)
				}
			}
		}
		walk(v)
	})
}
