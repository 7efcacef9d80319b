package kvtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strings"
	"testing"

	"github.com/kvgen/kvgen/kv"
)

// RunJSON runs Run on a store of JSON objects (an untyped view) and then
// checks that JSON values round-trip exactly. Value, Equal and Invalid
// default to JSONValue, JSONEqual and a value holding NaN.
func RunJSON(t *testing.T, s Suite[map[string]any]) {
	t.Helper()
	if s.Value == nil {
		s.Value = JSONValue
	}
	if s.Equal == nil {
		s.Equal = JSONEqual
	}
	if s.Invalid == nil {
		s.Invalid = func() map[string]any { return map[string]any{"ok": 1, "bad": math.NaN()} }
	}
	r := newRunner(t, s)
	r.run(t, []testCase{{"JSONRoundTrip", func(t *testing.T) {
		for _, c := range jsonCases() {
			t.Run(c.name, func(t *testing.T) { jsonRoundTrip(t, r.store, c.json) })
		}
	}}})
}

// JSONValue returns distinct JSON objects for RunJSON.
func JSONValue(i int) map[string]any {
	return map[string]any{"i": i, "name": fmt.Sprintf("value-%d", i), "tags": []any{"kvtest", i % 7}}
}

// JSONEqual reports whether a and b are the same JSON: numbers compare by
// exact decimal value, whatever their Go type (json.Number, int64, float64)
// or notation (1.23456789012345e10 and 12345678901.2345 are equal), and a
// number never equals a string.
func JSONEqual(a, b map[string]any) bool {
	ca, errA := canonical(a)
	cb, errB := canonical(b)
	return errA == nil && errB == nil && reflect.DeepEqual(ca, cb)
}

// number is a canonical JSON number: its exact value as a fraction.
type number struct{ exact string }

// canonical returns v's JSON as a tree where numbers are number values.
func canonical(v any) (any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	return canonicalNumbers(tree), nil
}

func canonicalNumbers(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = canonicalNumbers(e)
		}
		return v
	case []any:
		for i, e := range v {
			v[i] = canonicalNumbers(e)
		}
		return v
	case json.Number:
		// An exponent beyond any test value would make big.Rat huge: keep the text.
		if mantissa, exp, ok := strings.Cut(strings.ToLower(string(v)), "e"); ok && len(strings.TrimLeft(exp, "+-0")) > 3 {
			return number{exact: mantissa + "e" + exp}
		}
		r, ok := new(big.Rat).SetString(string(v))
		if !ok {
			return number{exact: string(v)}
		}
		return number{exact: r.RatString()}
	}
	return v
}

type jsonCase struct{ name, json string }

func jsonCases() []jsonCase {
	thousand := make([]string, 1000)
	for i := range thousand {
		thousand[i] = fmt.Sprint(i)
	}
	return []jsonCase{
		{"Nulls", `{"a":null,"b":{"c":null,"d":[null,{"e":null}]},"list":[null]}`},
		{"Booleans", `{"t":true,"f":false,"list":[true,false],"nested":{"t":true}}`},
		{"Integers", `{"neg":-42,"big":1000000000000000000,"zero":0,"max_int64":9223372036854775807,` +
			`"min_int64":-9223372036854775808,"beyond_float64":9007199254740993,"huge":123456789012345678901234567890}`},
		{"Floats", `{"f":1.23456789012345e10,"tenth":0.1,"neg":-2.5,"tiny":1e-7,"list":[1.5,0.25]}`},
		{"LongString", `{"s":"` + strings.Repeat("x", 10_000) + `"}`},
		{"LongList", `{"list":[` + strings.Join(thousand, ",") + `]}`},
		{"Unicode", `{"s":"Hello 世界 🌍 émojis","ключ":"значение","🔑":"🌍"}`},
		{"ControlCharacters", `{"newline":"\n","tab":"\t","mixed":"a\n\tb\r\n","bell":"\u0007","escape":"\u001b"}`},
		{"Escapes", `{"quote":"say \"hi\"","backslash":"C:\\path\\","slash":"a/b","html":"<a href=\"x\">&amp;</a>","line_sep":"\u2028\u2029"}`},
		{"LookAlikeStrings", `{"uuid":"550e8400-e29b-41d4-a716-446655440000","base64":"SGVsbG8gV29ybGQ=",` +
			`"base64url":"Z0FBQUFB-_x","null":"null","true":"true","false":"false","one":"1","one_point_zero":"1.0","empty":""}`},
		{"LookAlikeNames", `{"null":1,"true":2,"1":3,"1.0":4,"":5}`},
		{"EnvelopeLookAlike", `{"note":"__encrypted_data__","__encryption_version__":"not a number"}`},
		{"Nested", `{"a":{"b":{"c":{"d":{"e":[[1,[2,[3,{"f":"deep"}]]]]}}}}}`},
		{"EmptyContainers", `{"object":{},"list":[],"string":""}`},
		{"Empty", `{}`},
	}
}

// jsonRoundTrip writes the object text through Put and PutMany and checks
// that Get, GetMany and TTL read the same JSON back.
func jsonRoundTrip(t *testing.T, store kv.Store[map[string]any], text string) {
	ctx, coll := t.Context(), collection(t, "")
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var want map[string]any
	if err := dec.Decode(&want); err != nil {
		t.Fatalf("bad test case %s: %v", text, err)
	}
	wantJSON, _ := canonical(want)
	check := func(call string, got map[string]any) {
		t.Helper()
		if !JSONEqual(got, want) {
			gotJSON, _ := json.Marshal(got)
			t.Errorf("%s read back %.300s\nwant %.300s", call, gotJSON, text)
		}
	}
	if err := store.Put(ctx, coll, "put", want, 0); err != nil {
		t.Fatalf("Put: %v", err)
	}
	got, ok, err := store.Get(ctx, coll, "put")
	if err != nil || !ok {
		t.Fatalf("Get = found %v, %v", ok, err)
	}
	check("Get", got)
	if err := store.PutMany(ctx, coll, []string{"many"}, []map[string]any{want}, 0); err != nil {
		t.Fatalf("PutMany: %v", err)
	}
	entries, err := store.GetMany(ctx, coll, []string{"many", "put"})
	if err != nil || len(entries) != 2 || !entries[0].Found || !entries[1].Found {
		t.Fatalf("GetMany = %d entries, %v; want both found", len(entries), err)
	}
	check("GetMany[0]", entries[0].Value)
	check("GetMany[1]", entries[1].Value)
	e, err := store.TTL(ctx, coll, "many")
	if err != nil || !e.Found {
		t.Fatalf("TTL = found %v, %v", e.Found, err)
	}
	check("TTL", e.Value)
	// The value put is not changed by the store.
	if now, _ := canonical(want); !reflect.DeepEqual(now, wantJSON) {
		t.Errorf("Put modified the caller's map")
	}
}
