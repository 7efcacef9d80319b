package wire

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
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
		path, msg := CheckJSON("jwks", []byte(c.raw))
		switch {
		case c.msg == "" && msg != "":
			t.Errorf("CheckJSON(%s) = %s: %s; want no problem", c.raw, path, msg)
		case c.msg != "" && (path != c.path || !strings.Contains(msg, c.msg)):
			t.Errorf("CheckJSON(%s) = %s: %s; want a problem at %s saying %s", c.raw, path, msg, c.path, c.msg)
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
		_, msg := CheckJSON("v", raw)
		if len(raw) == 0 {
			return
		}
		if !json.Valid(raw) {
			if msg == "" {
				t.Fatalf("CheckJSON accepted invalid JSON %q", raw)
			}
			return
		}
		if msg != "" {
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

func TestCheckText(t *testing.T) {
	for s, want := range map[string]string{
		"plain": "", "Hello 世界 🌍": "", "\t\n\x01": "", "\uFFFD": "",
		"a\x00b": "NUL", "a\xffb": "UTF-8", "\xed\xa0\x80": "UTF-8", "\xc3": "UTF-8",
	} {
		if got := CheckText(s); (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("CheckText(%q) = %q; want %q", s, got, want)
		}
	}
}
