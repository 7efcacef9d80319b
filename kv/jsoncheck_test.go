package kv_test

import (
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
