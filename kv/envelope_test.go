package kv_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/fernet/fernet-go"

	"github.com/kvgen/kvgen/kv"
)

// readmeOpen decodes an envelope exactly as docs/python-interop.md describes it,
// with no code of package kv: standard base64 → Fernet token → plaintext.
func readmeOpen(t *testing.T, keys []string, stored []byte) []byte {
	t.Helper()
	var env map[string]any
	if err := json.Unmarshal(stored, &env); err != nil {
		t.Fatalf("envelope is not JSON: %v", err)
	}
	if len(env) != 2 || env["__encryption_version__"] != float64(1) {
		t.Fatalf("envelope members = %v, want exactly __encrypted_data__ and __encryption_version__ 1", env)
	}
	data, ok := env["__encrypted_data__"].(string)
	if !ok {
		t.Fatalf("__encrypted_data__ is not a string")
	}
	token, err := base64.StdEncoding.Strict().DecodeString(data)
	if err != nil {
		t.Fatalf("__encrypted_data__ is not standard padded base64: %v", err)
	}
	if !bytes.HasPrefix(token, []byte("gAAAAA")) {
		t.Fatalf("token %.10s… does not start like a Fernet token", token)
	}
	plain := fernet.VerifyAndDecrypt(token, 0, fernet.MustDecodeKeys(keys...))
	if plain == nil {
		t.Fatal("the token does not decrypt with the keys")
	}
	return plain
}

func TestSealFormat(t *testing.T) {
	keys := newKeys(t, 1)
	ring := mustRing(t, keys[0])
	sealed, err := kv.Seal(ring, []byte(`{"secret":"hunter2"}`))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(sealed, []byte(`{"__encrypted_data__":"Z0FBQUFB`)) || !bytes.HasSuffix(sealed, []byte(`","__encryption_version__":1}`)) {
		t.Errorf("Seal = %s, not py-key-value's envelope", sealed)
	}
	if bytes.Contains(sealed, []byte("hunter2")) {
		t.Error("the envelope holds the plaintext")
	}
	if got := readmeOpen(t, keys, sealed); string(got) != `{"secret":"hunter2"}` {
		t.Errorf("README decoder read %q", got)
	}
	if !kv.IsEnvelope(sealed) {
		t.Error("IsEnvelope(Seal(...)) = false")
	}
	if got, err := kv.Open(ring, sealed); err != nil || string(got) != `{"secret":"hunter2"}` {
		t.Errorf("Open(Seal(x)) = %q, %v", got, err)
	}
}

func TestIsEnvelope(t *testing.T) {
	for in, want := range map[string]bool{
		`{"__encrypted_data__":"x","__encryption_version__":1}`:       true,
		` {"__encryption_version__":2, "__encrypted_data__": 5} `:     true, // an envelope, if a broken one
		`{"__encrypted_data__":"x"}`:                                  true,
		`{"a":{"__encrypted_data__":"x","__encryption_version__":1}}`: false,
		`{"note":"__encrypted_data__"}`:                               false,
		`["__encrypted_data__"]`:                                      false,
		`"__encrypted_data__"`:                                        false,
		`{"__encrypted_data__"`:                                       false,
		`{}`:                                                          false,
		``:                                                            false,
	} {
		if got := kv.IsEnvelope([]byte(in)); got != want {
			t.Errorf("IsEnvelope(%s) = %v, want %v", in, got, want)
		}
	}
}

func TestOpenFailures(t *testing.T) {
	keys := newKeys(t, 2)
	ring := mustRing(t, keys[0])
	const plaintext = `{"client_secret":"s3cr3t-plaintext"}`
	sealed, err := kv.Seal(ring, []byte(plaintext))
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Data string `json:"__encrypted_data__"`
	}
	if err := json.Unmarshal(sealed, &env); err != nil {
		t.Fatal(err)
	}
	token, _ := base64.StdEncoding.DecodeString(env.Data)
	envelope := func(token []byte, version string) []byte {
		return []byte(`{"__encrypted_data__":"` + base64.StdEncoding.EncodeToString(token) + `","__encryption_version__":` + version + `}`)
	}
	flipped := bytes.Clone(token)
	flipped[len(flipped)/2] ^= 1
	for name, c := range map[string]struct {
		ring *kv.KeyRing
		raw  []byte
	}{
		"wrong key":         {mustRing(t, keys[1]), sealed},
		"flipped byte":      {ring, envelope(flipped, "1")},
		"truncated token":   {ring, envelope(token[:len(token)-10], "1")},
		"empty token":       {ring, envelope(nil, "1")},
		"version 2":         {ring, envelope(token, "2")},
		"version 0":         {ring, envelope(token, "0")},
		"version 1.0":       {ring, envelope(token, "1.0")},
		"version string":    {ring, envelope(token, `"1"`)},
		"version null":      {ring, envelope(token, `null`)},
		"no version":        {ring, []byte(`{"__encrypted_data__":"` + env.Data + `"}`)},
		"bad base64":        {ring, []byte(`{"__encrypted_data__":"***","__encryption_version__":1}`)},
		"data not a string": {ring, []byte(`{"__encrypted_data__":42,"__encryption_version__":1}`)},
		"not JSON":          {ring, []byte(`{"__encrypted_data__":`)},
	} {
		got, err := kv.Open(c.ring, c.raw)
		if err == nil {
			t.Errorf("Open(%s) = %q, want an error", name, got)
			continue
		}
		if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), keys[0]) || strings.Contains(err.Error(), keys[1]) {
			t.Errorf("Open(%s) error %q holds plaintext or a key", name, err)
		}
	}
	// The failures above come from the changes, not from envelope itself.
	if _, err := kv.Open(ring, envelope(token, "1")); err != nil {
		t.Fatalf("the unmodified envelope does not open: %v", err)
	}
	if _, err := kv.Open(nil, sealed); err == nil {
		t.Error("Open without an Encrypter: no error")
	}
	if _, err := kv.Seal(nil, []byte("{}")); err == nil {
		t.Error("Seal without an Encrypter: no error")
	}
}

func TestReseal(t *testing.T) {
	keys := newKeys(t, 2)
	oldRing := mustRing(t, keys[1])
	rotated := mustRing(t, keys[0]+","+keys[1])
	oldEnvelope, err := kv.Seal(oldRing, []byte(`"s3cr3t"`))
	if err != nil {
		t.Fatal(err)
	}
	newEnvelope, err := kv.Seal(rotated, []byte(`"current"`))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("WholeValue", func(t *testing.T) {
		for _, fields := range [][]string{nil, {"secret"}} {
			out, changed, err := kv.Reseal(rotated, "c", "k", oldEnvelope, fields)
			if err != nil || !changed {
				t.Fatalf("Reseal(fields=%v) = changed %v, %v", fields, changed, err)
			}
			if got := readmeOpen(t, keys[:1], out); string(got) != `"s3cr3t"` {
				t.Errorf("resealed value reads %q: a whole value keeps py-key-value's plaintext", got)
			}
		}
		out, changed, err := kv.Reseal(rotated, "c", "k", newEnvelope, nil)
		if err != nil || changed || !bytes.Equal(out, newEnvelope) {
			t.Errorf("Reseal of a value under the first key = changed %v, %v; want it left alone", changed, err)
		}
	})
	t.Run("Fields", func(t *testing.T) {
		raw := []byte(`{"z": 1, "secret": ` + string(oldEnvelope) + `, "a" :[1, 2], "current":` + string(newEnvelope) +
			`, "jwks":` + string(oldEnvelope) + `, "plain":"x"}`)
		fields := []string{"secret", "current", "absent"}
		out, changed, err := kv.Reseal(rotated, "c", "k", raw, fields)
		if err != nil || !changed {
			t.Fatalf("Reseal = changed %v, %v", changed, err)
		}
		members := orderedMembers(t, out)
		if names := strings.Join(members.names, ","); names != "z,secret,a,current,jwks,plain" {
			t.Errorf("member order after Reseal: %s", names)
		}
		for name, want := range map[string]string{"z": `1`, "a": `[1, 2]`, "jwks": string(oldEnvelope), "plain": `"x"`} {
			if got := string(members.values[name]); got != want {
				t.Errorf("member %s = %s, want its bytes kept: %s", name, got, want)
			}
		}
		// sealed before members were bound: bound now, the one under the
		// first key too, and read by a reader of this collection and key
		reader := mustCodec(t, kv.EncryptionFields, mustRing(t, keys[0]), "secret", "current")
		got, err := reader.Decode("c", "k", out)
		if err != nil || got["secret"] != "s3cr3t" || got["current"] != "current" || reader.PlaintextReads() != 0 {
			t.Errorf("resealed members read %v, %v, %d unbound; want both bound", got, err, reader.PlaintextReads())
		}
		if again, changed, err := kv.Reseal(rotated, "c", "k", out, fields); err != nil || changed || !bytes.Equal(again, out) {
			t.Errorf("a second Reseal = changed %v, %v; want bound members under the first key left alone", changed, err)
		}
		if _, changed, err := kv.Reseal(rotated, "c", "k", raw, nil); err != nil || changed {
			t.Errorf("Reseal of members without fields = changed %v, %v; want nothing done", changed, err)
		}
		// members bound to k, found under another key
		_, _, err = kv.Reseal(rotated, "c", "other", out, fields)
		if err == nil || !strings.Contains(err.Error(), `"secret"`) {
			t.Errorf("Reseal of members bound elsewhere: %v; want an error naming member secret", err)
		}
	})
	t.Run("NestedFields", func(t *testing.T) {
		old := string(oldEnvelope)
		raw := []byte(`{"up": {"tok": ` + old + `, "jwks": ` + old + `}, "list": [{"s": ` + old + `}, {"s": null}, 3, {"t": ` + old + `}],` +
			` "other": {"tok": ` + old + `}, "none": null}`)
		fields := []string{"up.tok", "list[].s", "none.tok", "absent[].s"}
		out, changed, err := kv.Reseal(rotated, "c", "k", raw, fields)
		if err != nil || !changed {
			t.Fatalf("Reseal = changed %v, %v", changed, err)
		}
		var tree struct {
			Up    map[string]json.RawMessage
			List  []json.RawMessage
			Other json.RawMessage
		}
		if err := json.Unmarshal(out, &tree); err != nil {
			t.Fatal(err)
		}
		for what, got := range map[string]string{"up.jwks": string(tree.Up["jwks"]), "list[3]": string(tree.List[3]), "other": string(tree.Other)} {
			if want := map[string]string{"up.jwks": old, "list[3]": `{"t": ` + old + `}`, "other": `{"tok": ` + old + `}`}[what]; got != want {
				t.Errorf("%s = %s, want its bytes kept: %s", what, got, want)
			}
		}
		reader := mustCodec(t, kv.EncryptionFields, mustRing(t, keys[0]), fields...)
		got, err := reader.Decode("c", "k", out)
		if err != nil || reader.PlaintextReads() != 0 {
			t.Fatalf("resealed members read %v, %v, %d unbound; want them bound under the first key", got, err, reader.PlaintextReads())
		}
		if tok := got["up"].(map[string]any)["tok"]; tok != "s3cr3t" {
			t.Errorf("up.tok reads %v", tok)
		}
		if s := got["list"].([]any)[0].(map[string]any)["s"]; s != "s3cr3t" {
			t.Errorf("list[0].s reads %v", s)
		}
		if again, changed, err := kv.Reseal(rotated, "c", "k", out, fields); err != nil || changed || !bytes.Equal(again, out) {
			t.Errorf("a second Reseal = changed %v, %v; want it left alone", changed, err)
		}
		// list[0].s is bound to its place: moved to list[1], it does not open
		moved := bytes.Replace(out, []byte(`{"s": null}`), []byte(`{"s": `+string(tree.List[0][len(`{"s": `):len(tree.List[0])-1])+`}`), 1)
		if _, _, err := kv.Reseal(rotated, "c", "k", moved, fields); err == nil || !strings.Contains(err.Error(), `"list[1].s"`) {
			t.Errorf("Reseal of a member moved to another element: %v; want an error naming list[1].s", err)
		}
	})
	t.Run("Plaintext", func(t *testing.T) {
		raw := []byte(`{"secret":"written before encryption","__note":"__encrypted_data__"}`)
		for _, fields := range [][]string{nil, {"secret"}} {
			if out, changed, err := kv.Reseal(rotated, "c", "k", raw, fields); err != nil || changed || !bytes.Equal(out, raw) {
				t.Errorf("Reseal(plaintext, fields=%v) = %s, %v, %v; want it left alone", fields, out, changed, err)
			}
		}
	})
	t.Run("UnknownKey", func(t *testing.T) {
		stranger := newRing(t, 1)
		_, _, err := kv.Reseal(stranger, "c", "k", []byte(`{"a":`+string(oldEnvelope)+`}`), []string{"a"})
		if err == nil || !strings.Contains(err.Error(), `"a"`) || strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("Reseal with a ring that lacks the key: %v; want an error naming member a", err)
		}
		if _, _, err := kv.Reseal(stranger, "c", "k", oldEnvelope, nil); err == nil {
			t.Error("Reseal of a whole value with a ring that lacks the key: no error")
		}
	})
}

type members struct {
	names  []string
	values map[string]json.RawMessage
}

func orderedMembers(t *testing.T, raw []byte) members {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	m := members{values: map[string]json.RawMessage{}}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", raw)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		m.names = append(m.names, tok.(string))
		m.values[tok.(string)] = v
	}
	return m
}
