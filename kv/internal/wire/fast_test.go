package wire

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// The JSON and envelope readers have fast paths (eight bytes at a time, no
// reflection). These tests hold them to the simple code they replaced,
// kept here as the reference: same answers, same errors, on every input.

func refSkipString(data []byte, i int) (int, error) {
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, ErrSyntax
}

func refDecodeString(raw []byte) (string, error) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", &TypeError{Want: "string", Got: KindOf(raw)}
	}
	body := raw[1 : len(raw)-1]
	for _, c := range body {
		if c == '\\' || c == '"' || c < 0x20 || c >= utf8.RuneSelf {
			out, err := appendUnquoted(nil, body)
			return string(out), err
		}
	}
	return string(body), nil
}

func refAppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(append(b, s[start:]...), '"')
}

func refIsEnvelope(raw []byte) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' || !bytes.Contains(raw, dataKeyQuoted) {
		return false
	}
	var members map[string]json.RawMessage
	if json.Unmarshal(raw, &members) != nil {
		return false
	}
	_, ok := members[DataKey]
	return ok
}

// jsonSamples are inputs around every branch of the fast paths: backslash
// runs before quotes, quotes and control characters at each offset of an
// eight-byte word, non-ASCII and invalid UTF-8, escapes, envelopes of every
// shape.
func jsonSamples(t testing.TB) [][]byte {
	t.Helper()
	sealed, err := Seal(clearEncrypter{}, []byte(`"s3cret"`))
	if err != nil {
		t.Fatal(err)
	}
	token := string(sealed[len(`{"__encrypted_data__":"`):bytes.LastIndex(sealed, []byte(`","`))])
	samples := []string{
		`""`, `"a"`, `"\\"`, `"\\\""`, `"a\"b"`, `"\u00e9\ud83c\udf0d"`, `"\ud800"`, `"\x"`, "\"a\x01b\"", `"é"`, "\"\xff\"",
		`"abcdefghijklmnop"`, `"abcdefg\"hijklmnop"`, `"abcdefgh\\\\\"ijklmnop"`, `"unterminated`, `"ends in a backslash\`,
		`{}`, `{"a":1}`, `{"a":"x","b":[1,{"c":"\"}"}]}`, `{"__encrypted_data__":""}`, `[]`, `null`, `{"a":01}`, `{"a":1.}`, `{"a":-}`,
		string(sealed),
		`{"__encryption_version__":1,"__encrypted_data__":"` + token + `"}`,
		`{ "__encrypted_data__" : "` + token + `" , "__encryption_version__" : 1 }`,
		// jsonb's layout, whole and not quite
		`{"__encrypted_data__": "` + token + `", "__encryption_version__": 1}`,
		`{"__encrypted_data__": "` + token + `", "__encryption_version__": 1} `,
		`{"__encrypted_data__": "` + token + `", "__encryption_version__": 10}`,
		`{"__encrypted_data__": "` + token + `", "__encryption_version__": 1, "x": 2}`,
		`{"__encrypted_data__": "` + token + `", "__encryption_version__": 1}}`,
		`{"__encrypted_data__": "` + token + `", "__encryption_version__"`,
		`{"__encrypted_data__": "` + token,
		`{"s": {"__encrypted_data__": "` + token + `", "__encryption_version__": 1}, "n": 1}`,
		`{"s": {"__encrypted_data__": "` + token + `", "__encryption_version__": 1}x, "n": 1}`,
		`{"__encrypted_data__":"` + token + `","__encryption_version__":1.0}`,
		`{"__encrypted_data__":"` + token + `","__encryption_version__":"1"}`,
		`{"__encrypted_data__":"` + token + `","__encryption_version__":2}`,
		`{"__encrypted_data__":"` + token + `","__encryption_version__":1,"extra":true}`,
		`{"__encrypted_data__":"` + token + `","__encryption_version__":1,"__encryption_version__":1}`,
		`{"__encrypted_data__":"` + token[:5] + `\/` + token[5:] + `","__encryption_version__":1}`,
		`{"__encrypted_data__":"` + token[:5] + "\n" + token[5:] + `","__encryption_version__":1}`,
		// line breaks, which base64 skips, in numbers that keep the length a multiple of 4 or not
		`{"__encrypted_data__":"` + token[:5] + "\r" + token[5:] + `","__encryption_version__":1}`,
		`{"__encrypted_data__":"` + token[:5] + "\n\r\n\r" + token[5:] + `","__encryption_version__":1}`,
		`{"__encrypted_data__":"` + token + "\n\n\n\n" + `","__encryption_version__":1}`,
		`{"__encrypted_data__":"` + token[:len(token)-1] + "\n\n\n\n" + token[len(token)-1:] + `","__encryption_version__":1}`,
		`{"__encrypted_data__":"not base64!","__encryption_version__":1}`,
		`{"__encrypted_data__":"` + token + `","__encryption_version__":1}x`,
		`{"__encrypted_data__":"` + token + `","__encryption_version__":1,"n":01}`,
		`{"__encrypted_data__":"` + token + `","__encryption_version__":1,"n":[1,}`,
		`{"s":` + string(sealed) + `,"n":1.5e1}`,
		`{"s":` + string(sealed) + `,"n":1.5e}`,
		`"__encrypted_data__"`, `__encrypted_data__"`, `{"\u005f_encrypted_data__":1,"x":"__encrypted_data__"}`,
		`{"a":{"__encrypted_data__":1},"__encrypted_data__":2}`, `{"a":"__encrypted_data__","b":1}`, `{"a":["__encrypted_data__"]}`,
		`{"a":{"b":"}"},"__encrypted_data__":"x"}`, `{"__encrypted_data__"  :  1}`, `{"x__encrypted_data__":1,"__encrypted_data__":2}`, `{"a":"\"__encrypted_data__"}`,
	}
	var out [][]byte
	for _, s := range samples {
		out = append(out, []byte(s))
	}
	// a quote, backslash or control byte at every offset of a word
	for n := range 20 {
		for _, c := range []string{`\"`, `\\`, "\x1f", `é`, "\xc3"} {
			out = append(out, []byte(`"`+strings.Repeat("x", n)+c+strings.Repeat("y", 20-n)+`"`))
			out = append(out, []byte(`{"`+strings.Repeat("k", n)+c+`":"`+strings.Repeat("v", n)+`"}`))
		}
	}
	return out
}

func TestFastJSONMatchesReference(t *testing.T) {
	for _, raw := range jsonSamples(t) {
		checkFastPaths(t, raw)
	}
}

func FuzzFastJSONMatchesReference(f *testing.F) {
	for _, raw := range jsonSamples(f) {
		f.Add(raw)
	}
	f.Fuzz(checkFastPaths)
}

func checkFastPaths(t *testing.T, raw []byte) {
	for i, c := range raw {
		if c != '"' {
			continue
		}
		end, err := skipString(raw, i)
		refEnd, refErr := refSkipString(raw, i)
		if end != refEnd || (err == nil) != (refErr == nil) {
			t.Errorf("skipString(%q, %d) = %d, %v; the reference says %d, %v", raw, i, end, err, refEnd, refErr)
		}
	}
	s, err := DecodeString(raw)
	refS, refErr := refDecodeString(raw)
	if s != refS || !sameError(err, refErr) {
		t.Errorf("DecodeString(%q) = %q, %v; the reference says %q, %v", raw, s, err, refS, refErr)
	}
	if got, want := AppendString(nil, string(raw)), refAppendString(nil, string(raw)); !bytes.Equal(got, want) {
		t.Errorf("AppendString(%q) = %s; the reference says %s", raw, got, want)
	}
	if got, want := IsEnvelope(raw), refIsEnvelope(raw); got != want {
		t.Errorf("IsEnvelope(%q) = %v, the reference says %v", raw, got, want)
	}
	if token, ok := FastToken(raw); ok {
		var slow map[string]json.RawMessage
		if json.Unmarshal(raw, &slow) != nil {
			t.Fatalf("FastToken accepted %q, which is not a JSON object", raw)
		}
		var data string
		if json.Unmarshal(slow[DataKey], &data) != nil || string(slow[VersionKey]) != "1" {
			t.Fatalf("FastToken accepted %q, which is not an envelope of version 1", raw)
		}
		if want, err := base64.StdEncoding.DecodeString(data); err != nil || !bytes.Equal(token, want) {
			t.Errorf("FastToken(%q) = %q, want %q (%v)", raw, token, want, err)
		}
	}
	if KindOf(raw) == "number" && len(bytes.TrimSpace(raw)) == len(raw) { // Object hands out values without space
		if got, want := validNumber(raw), json.Valid(raw); got != want {
			t.Errorf("validNumber(%q) = %v, json.Valid says %v", raw, got, want)
		}
	}
	var names, refNames []string
	err = Object(raw, func(name, _ []byte) error { names = append(names, string(name)); return nil })
	checkPlain(t, raw)
	refErr = refMembers(raw, func(name string) { refNames = append(refNames, name) })
	if !reflect.DeepEqual(names, refNames) || !sameError(err, refErr) {
		t.Errorf("Object(%q) names %q, %v; the reference says %q, %v", raw, names, err, refNames, refErr)
	}
	checkExpected(t, raw, refNames, refErr)
	list := append(append([]byte(`[`), raw...), `,null,"x"]`...)
	got, err := DecodeStrings(list)
	want, refErr := refDecodeStrings(list)
	if !reflect.DeepEqual(got, want) || !sameError(err, refErr) {
		t.Errorf("DecodeStrings(%q) = %q, %v; the reference says %q, %v", list, got, err, want, refErr)
	}
}

// refMembers is Members as it was: each name read by the reference
// DecodeString. (Values are skipped by skipValue, whose strings end where
// refSkipString says: checked above.)
func refMembers(data []byte, fn func(name string)) error {
	i := SkipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return &TypeError{Want: "object", Got: KindOf(data[i:])}
	}
	i = SkipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return trailing(data, i+1)
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return ErrSyntax
		}
		end, err := refSkipString(data, i)
		if err != nil {
			return err
		}
		name, err := refDecodeString(data[i:end])
		if err != nil {
			return err
		}
		i = SkipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return ErrSyntax
		}
		i = SkipSpace(data, i+1)
		vend, err := skipValue(data, i, 0)
		if err != nil {
			return err
		}
		fn(name)
		i = SkipSpace(data, vend)
		if i >= len(data) {
			return ErrSyntax
		}
		if data[i] == '}' {
			return trailing(data, i+1)
		}
		if data[i] != ',' {
			return ErrSyntax
		}
		i = SkipSpace(data, i+1)
	}
}

// checkExpected holds EachMember with names expected to the reference: the
// right name, a wrong one or none expected in turn, it reads the same
// members with the same error, and a name it says known is the one read.
func checkExpected(t *testing.T, raw []byte, refNames []string, refErr error) {
	quoted := []string{`"a"`, `"k"`} // decoys
	for _, name := range refNames {
		// EachMember's names need no escape, as a schema's field names
		if q := AppendString(nil, name); string(q[1:len(q)-1]) == name {
			quoted = append(quoted, string(q))
		}
	}
	var names []string
	err := EachMember(raw, quoted, func(name []byte, known, _, _ int, _ bool) (int, error) {
		if known >= 0 && string(AppendString(nil, string(name))) != quoted[known] {
			t.Errorf("EachMember(%q): member %q read as known %s", raw, name, quoted[known])
		}
		names = append(names, string(name))
		switch len(names) % 3 {
		case 1:
			return 2 + len(names), nil // the next one
		case 2:
			return len(names) % len(quoted), nil // a wrong one, or by chance the next
		}
		return -1, nil
	})
	if !reflect.DeepEqual(names, refNames) || !sameError(err, refErr) {
		t.Errorf("EachMember(%q) names %q, %v; the reference says %q, %v", raw, names, err, refNames, refErr)
	}
}

// refDecodeStrings is the code generated for a list of strings before
// DecodeStrings, with the array read as Elements read it then.
func refDecodeStrings(data []byte) ([]string, error) {
	var v []string
	i := SkipSpace(data, 0)
	if i >= len(data) || data[i] != '[' {
		return nil, &TypeError{Want: "array", Got: KindOf(data[i:])}
	}
	i = SkipSpace(data, i+1)
	if i < len(data) && data[i] == ']' {
		return nil, trailing(data, i+1)
	}
	for n := 0; ; n++ {
		end, err := skipValue(data, i, 0)
		if err != nil {
			return nil, err
		}
		if elem := data[i:end]; IsNull(elem) {
			v = append(v, "")
		} else if s, err := refDecodeString(elem); err != nil {
			return nil, IndexErr(n, err)
		} else {
			v = append(v, s)
		}
		i = SkipSpace(data, end)
		if i >= len(data) {
			return nil, ErrSyntax
		}
		if data[i] == ']' {
			if err := trailing(data, i+1); err != nil {
				return nil, err // as DecodeStrings: no list with an error
			}
			return v, nil
		}
		if data[i] != ',' {
			return nil, ErrSyntax
		}
		i = SkipSpace(data, i+1)
	}
}

// checkPlain holds the Plain flag of the readers to what it promises: a
// string whose text between the quotes is its value.
func checkPlain(t *testing.T, raw []byte) {
	m := NewMembers(raw)
	for {
		ok, err := m.Next()
		if !ok || err != nil {
			break
		}
		if !m.Plain {
			continue
		}
		v := raw[m.Start:m.End]
		if s, err := refDecodeString(v); err != nil || s != string(v[1:len(v)-1]) || !IsPlainString(v) {
			t.Errorf("member %q of %q: Plain, but it reads as %q, %v", m.Name, raw, s, err)
		}
	}
}

// clearEncrypter "encrypts" by copying: the envelope's format is under test
// here, not the cipher.
type clearEncrypter struct{}

func (clearEncrypter) Encrypt(p []byte) ([]byte, error) { return append([]byte(nil), p...), nil }
func (clearEncrypter) Decrypt(t []byte) ([]byte, error) { return append([]byte(nil), t...), nil }

// sameError compares errors by their text and type, past the member name
// that Object puts on an error inside a value.
func sameError(a, b error) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	for _, e := range []*error{&a, &b} {
		if p, ok := (*e).(*PathError); ok {
			*e = p.Err
		}
	}
	var ta, tb *TypeError
	return a.Error() == b.Error() && errors.As(a, &ta) == errors.As(b, &tb)
}
