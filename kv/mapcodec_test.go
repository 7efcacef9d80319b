package kv_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/kvtest"
)

func TestNewMapCodecChecksTheMode(t *testing.T) {
	ring := newRing(t, 1)
	for _, mode := range []string{"", kv.EncryptionNone, kv.EncryptionFields, kv.EncryptionValue} {
		for _, e := range []kv.Encrypter{nil, ring} {
			if _, err := kv.NewMapCodec(e, mode, nil); err != nil {
				t.Errorf("NewMapCodec(Encrypter set %v, %q): %v", e != nil, mode, err)
			}
		}
	}
	for _, mode := range []string{"Value", "both", " none"} {
		if _, err := kv.NewMapCodec(ring, mode, nil); err == nil {
			t.Errorf("NewMapCodec(%q): no error", mode)
		}
	}
	if _, err := (kv.MapCodec{Mode: "bogus"}).Encode("c", "k", nil); err == nil {
		t.Error("Encode with an unknown mode: no error")
	}
}

// Without an Encrypter every mode writes plaintext and counts nothing: the
// generated stores allow that only with AllowPlaintext.
func TestMapCodecWithoutEncrypter(t *testing.T) {
	v := map[string]any{"s": "visible", "n": json.Number("2")}
	for _, mode := range []string{kv.EncryptionFields, kv.EncryptionValue} {
		c, err := kv.NewMapCodec(nil, mode, []string{"s"})
		if err != nil {
			t.Fatal(err)
		}
		stored, err := c.Encode("c", "k", v)
		if err != nil || string(stored) != `{"n":2,"s":"visible"}` {
			t.Errorf("%s mode without an Encrypter wrote %s, %v; want plaintext", mode, stored, err)
		}
		if got, err := c.Decode("c", "k", stored); err != nil || !kvtest.JSONEqual(got, v) || c.PlaintextReads() != 0 {
			t.Errorf("%s mode without an Encrypter read %v, %v, counted %d", mode, got, err, c.PlaintextReads())
		}
	}
}

func TestMapCodecValueMode(t *testing.T) {
	keys := newKeys(t, 1)
	codec, err := kv.NewMapCodec(mustRing(t, keys[0]), kv.EncryptionValue, nil)
	if err != nil {
		t.Fatal(err)
	}
	v := map[string]any{"b": []any{1, 2}, "a": "é🌍 <&> \u2028", "n": json.Number("10000000000000000001")}
	stored, err := codec.Encode("c", "k", v)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(stored), "10000000000000000001") {
		t.Error("the stored value holds plaintext")
	}
	// Python's json.dumps(v, separators=(",", ":")) of the same dict, keys sorted.
	const python = `{"a":"\u00e9\ud83c\udf0d <&> \u2028","b":[1,2],"n":10000000000000000001}`
	if got := readmeOpen(t, keys, stored); string(got) != python {
		t.Errorf("plaintext = %s\nwant       %s", got, python)
	}
	got, err := codec.Decode("c", "k", stored)
	if err != nil || !kvtest.JSONEqual(got, v) {
		t.Errorf("Decode(Encode(v)) = %v, %v", got, err)
	}
	if got["n"] != json.Number("10000000000000000001") {
		t.Errorf("a number read back as %T %v, want the exact json.Number", got["n"], got["n"])
	}
	if codec.PlaintextReads() != 0 {
		t.Error("an envelope was counted as plaintext")
	}
	if _, err := codec.Decode("c", "k", []byte(`{"written":"before encryption"}`)); err != nil || codec.PlaintextReads() != 1 {
		t.Errorf("plaintext read: %v, count %d; want read and counted once", err, codec.PlaintextReads())
	}
	empty, err := codec.Encode("c", "k", nil)
	if err != nil || string(readmeOpen(t, keys, empty)) != `{}` {
		t.Errorf("Encode(nil map) = %s, %v; want an envelope of {}", empty, err)
	}
}

func TestMapCodecFieldsMode(t *testing.T) {
	keys := newKeys(t, 1)
	ring := mustRing(t, keys[0])
	codec, err := kv.NewMapCodec(ring, kv.EncryptionFields, []string{"client_secret", "jwks", "absent", "nothing"})
	if err != nil {
		t.Fatal(err)
	}
	v := map[string]any{
		"client_id":     "abc",
		"client_secret": "s3cr3t-value",
		"jwks":          map[string]any{"keys": []any{map[string]any{"k": "private-material"}}},
		"nothing":       nil,
	}
	stored, err := codec.Encode("c", "k", v)
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{"s3cr3t-value", "private-material"} {
		if strings.Contains(string(stored), leak) {
			t.Errorf("stored value %s holds %q", stored, leak)
		}
	}
	m := orderedMembers(t, stored)
	if got := string(m.values["client_id"]); got != `"abc"` {
		t.Errorf("client_id stored as %s, want plain", got)
	}
	if got := string(m.values["nothing"]); got != `null` {
		t.Errorf("a null sensitive member stored as %s, want null", got)
	}
	if got := string(boundValue(t, readmeOpen(t, keys, m.values["client_secret"]))); got != `"s3cr3t-value"` {
		t.Errorf("client_secret envelope holds %s", got)
	}
	if got := string(boundValue(t, readmeOpen(t, keys, m.values["jwks"]))); got != `{"keys":[{"k":"private-material"}]}` {
		t.Errorf("jwks envelope holds %s", got)
	}
	got, err := codec.Decode("c", "k", stored)
	if err != nil || !kvtest.JSONEqual(got, v) {
		t.Errorf("Decode(Encode(v)) = %v, %v", got, err)
	}
	if codec.PlaintextReads() != 0 {
		t.Errorf("PlaintextReads = %d after reading sealed members", codec.PlaintextReads())
	}

	// A row written before encryption was on: read, and counted once.
	old := `{"client_id":"abc","client_secret":"plain-old","jwks":null}`
	got, err = codec.Decode("c", "k", []byte(old))
	if err != nil || got["client_secret"] != "plain-old" || codec.PlaintextReads() != 1 {
		t.Errorf("plaintext member: %v, %v, count %d; want read and counted", got, err, codec.PlaintextReads())
	}

	// A tampered member names its field, never its plaintext.
	tampered := strings.Replace(string(stored), `"client_secret":{"__encrypted_data__":"Z0FB`, `"client_secret":{"__encrypted_data__":"Z0FC`, 1)
	if tampered == string(stored) {
		t.Fatal("test setup: client_secret envelope not found")
	}
	_, err = codec.Decode("c", "k", []byte(tampered))
	var ve *kv.ValueError
	if !errors.Is(err, kv.ErrDecrypt) || !errors.As(err, &ve) || ve.Field != "client_secret" || ve.Key != "k" || ve.Collection != "c" {
		t.Errorf("tampered member: %v; want ErrDecrypt naming collection, key and field", err)
	}
	if err != nil && strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("error leaks plaintext: %v", err)
	}
}

// boundValue returns the member's JSON in the plaintext of a member sealed
// in fields mode, after its binding: "\x00kv", version 1, 16 bytes of digest.
func boundValue(t *testing.T, plaintext []byte) []byte {
	t.Helper()
	const prefix = "\x00kv\x01"
	if !bytes.HasPrefix(plaintext, []byte(prefix)) || len(plaintext) < len(prefix)+16 {
		t.Fatalf("plaintext %q does not start with a binding", plaintext)
	}
	return plaintext[len(prefix)+16:]
}

// Whatever its mode, a codec opens a value sealed as a whole and the
// members it knows as sensitive, the places where envelopes belong.
func TestMapCodecReadsEveryFormWhateverItsMode(t *testing.T) {
	ring := newRing(t, 1)
	valueCodec, _ := kv.NewMapCodec(ring, kv.EncryptionValue, []string{"s"})
	fieldsCodec, _ := kv.NewMapCodec(ring, kv.EncryptionFields, []string{"s"})
	plainCodec, _ := kv.NewMapCodec(ring, kv.EncryptionNone, []string{"s"})
	keyless, _ := kv.NewMapCodec(nil, kv.EncryptionNone, []string{"s"})
	v := map[string]any{"s": "secret", "n": json.Number("1")}
	for _, writer := range []kv.MapCodec{valueCodec, fieldsCodec, plainCodec} {
		stored, err := writer.Encode("c", "k", v)
		if err != nil {
			t.Fatal(err)
		}
		for _, reader := range []kv.MapCodec{valueCodec, fieldsCodec, plainCodec} {
			if got, err := reader.Decode("c", "k", stored); err != nil || !kvtest.JSONEqual(got, v) {
				t.Errorf("%s writer, %s reader: %v, %v", writer.Mode, reader.Mode, got, err)
			}
		}
		if _, err := keyless.Decode("c", "k", stored); (err != nil) != (writer.Mode != kv.EncryptionNone) {
			t.Errorf("%s writer, reader without a key: %v", writer.Mode, err)
		} else if err != nil && !errors.Is(err, kv.ErrDecrypt) {
			t.Errorf("%s writer, reader without a key: %v, want ErrDecrypt", writer.Mode, err)
		}
	}
}

func TestMapCodecErrors(t *testing.T) {
	codec, _ := kv.NewMapCodec(nil, kv.EncryptionNone, nil)
	_, err := codec.Encode("c", "k", map[string]any{"ok": 1, "nan": math.NaN(), "ch": make(chan int)})
	var verr *kv.ValidationError
	if !errors.As(err, &verr) || !errors.Is(err, kv.ErrInvalid) || strings.Join(verr.Paths(), ",") != "ch,nan" {
		t.Errorf("Encode of NaN and a channel: %v; want ErrInvalid naming ch and nan", err)
	}
	for _, raw := range []string{`[1,2]`, `"string"`, `42`, `null`, `{"a":`, ``, `{"a":1} trailing`} {
		_, err := codec.Decode("c", "k", []byte(raw))
		var ve *kv.ValueError
		if !errors.Is(err, kv.ErrCorrupt) || !errors.As(err, &ve) || ve.Key != "k" {
			t.Errorf("Decode(%q): %v; want ErrCorrupt naming the key", raw, err)
		}
	}
}

// TestMapCodecLookAlikeIsData: an envelope-shaped object in a member that is
// not sensitive is data a client sent, even when it holds a valid token of
// the codec's own key: read as it is, never opened.
func TestMapCodecLookAlikeIsData(t *testing.T) {
	ring := newRing(t, 1)
	token, err := kv.Seal(ring, []byte(`{"k":"smuggled"}`))
	if err != nil {
		t.Fatal(err)
	}
	var lookAlike map[string]any
	if err := json.Unmarshal(token, &lookAlike); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{kv.EncryptionNone, kv.EncryptionFields, kv.EncryptionValue} {
		codec := mustCodec(t, mode, ring, "s")
		v := map[string]any{"s": "secret", "jwks": lookAlike}
		stored, err := codec.Encode("c", "k", v)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := codec.Decode("c", "k", stored); err != nil || !kvtest.JSONEqual(got, v) {
			t.Errorf("%s mode read %v, %v; want jwks as written", mode, got, err)
		}
	}
}

// TestMapCodecBindsSensitiveMembers: the untyped view of fields mode binds
// its sealed members too. (That it reads what the typed codec sealed is
// TestMapCodecOpensTypedSecrets, in package kvimpl.)
func TestMapCodecBindsSensitiveMembers(t *testing.T) {
	ring := newRing(t, 1)
	codec := mustCodec(t, kv.EncryptionFields, ring, "s")
	stored, err := codec.Encode("c", "k1", map[string]any{"s": "s3cr3t-bound-value"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := codec.Decode("c", "k2", stored); !errors.Is(err, kv.ErrDecrypt) {
		t.Errorf("Decode under another key: %v; want ErrDecrypt", err)
	}
	if got, err := codec.Decode("c", "k1", stored); err != nil || got["s"] != "s3cr3t-bound-value" {
		t.Errorf("Decode under its key = %v, %v", got, err)
	}
}

// TestMapCodecNestedSensitive: a Sensitive path below the top level (a
// member of an object, of each element of a list) is sealed in place in
// fields mode, bound to its place with the element's index, read back in
// every mode, and counted when it is plaintext where fields mode expects an
// envelope. Nothing else is sealed or opened.
func TestMapCodecNestedSensitive(t *testing.T) {
	keys := newKeys(t, 1)
	ring := mustRing(t, keys[0])
	paths := []string{"up.tok", "list[].s", "none.tok"}
	codec := mustCodec(t, kv.EncryptionFields, ring, paths...)
	v := map[string]any{
		"up":   map[string]any{"tok": "t0ken-secret", "id": "u1"},
		"list": []any{map[string]any{"s": "first-secret"}, map[string]any{"s": nil}, map[string]any{"s": "third-secret", "n": json.Number("2")}},
		"none": nil,
		"tok":  "not-sensitive",
	}
	stored, err := codec.Encode("c", "k", v)
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{"t0ken-secret", "first-secret", "third-secret"} {
		if strings.Contains(string(stored), leak) {
			t.Errorf("stored value %s holds %q", stored, leak)
		}
	}
	var tree struct {
		Up   map[string]json.RawMessage
		List []map[string]json.RawMessage
		Tok  string
	}
	if err := json.Unmarshal(stored, &tree); err != nil {
		t.Fatal(err)
	}
	if string(tree.Up["id"]) != `"u1"` || string(tree.List[1]["s"]) != "null" || tree.Tok != "not-sensitive" {
		t.Errorf("members off the paths are not stored as they are: %s", stored)
	}
	for place, raw := range map[string]json.RawMessage{"up.tok": tree.Up["tok"], "list[2].s": tree.List[2]["s"]} {
		if !kv.IsEnvelope(raw) {
			t.Errorf("%s stored as %s, want an envelope", place, raw)
		}
	}
	// value mode counts the value, not sealed as a whole
	for mode, plaintext := range map[string]int64{kv.EncryptionFields: 0, kv.EncryptionValue: 1, kv.EncryptionNone: 0} {
		reader := mustCodec(t, mode, ring, paths...)
		got, err := reader.Decode("c", "k", stored)
		if err != nil || !kvtest.JSONEqual(got, v) || reader.PlaintextReads() != plaintext {
			t.Errorf("mode %s: Decode(Encode(v)) = %v, %v, %d plaintext", mode, got, err, reader.PlaintextReads())
		}
	}
	// an envelope holds its place: list[2].s copied to list[0].s does not open
	moved := map[string]any{}
	if err := json.Unmarshal(stored, &moved); err != nil {
		t.Fatal(err)
	}
	list := moved["list"].([]any)
	list[0].(map[string]any)["s"] = list[2].(map[string]any)["s"]
	copied, _ := json.Marshal(moved)
	if _, err := codec.Decode("c", "k", copied); !errors.Is(err, kv.ErrDecrypt) || !strings.Contains(err.Error(), `"list[0].s"`) {
		t.Errorf("Decode of an envelope moved to another element: %v; want ErrDecrypt naming list[0].s", err)
	}
	plain, _ := json.Marshal(v)
	if _, err := codec.Decode("c", "k", plain); err != nil || codec.PlaintextReads() != 1 {
		t.Errorf("Decode of plaintext at the paths: %v, %d plaintext; want it read and counted once", err, codec.PlaintextReads())
	}
}
