package kv_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/kvgen/kvgen/kv"
)

// FuzzStoredValue (fuzz_internal_test.go) feeds arbitrary stored bytes to the
// envelope decoder; this target checks the envelope's promises on arbitrary
// plaintext: it round-trips through Seal, Reseal (key rotation) and Open, a
// damaged token never opens, and no error holds the plaintext.
func FuzzEnvelopeRoundTrip(f *testing.F) {
	const oldKey, newKey = "3Jt8wQm2Yk5pR9vX1cN6bF4hL0sD7gA2zE8uK3iO5yM=", "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="
	oldRing, err := kv.ParseKeys(oldKey)
	if err != nil {
		f.Fatal(err)
	}
	rotated, err := kv.ParseKeys(newKey + "," + oldKey)
	if err != nil {
		f.Fatal(err)
	}
	newOnly, err := kv.ParseKeys(newKey)
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{`{"a":1}`, `"s3cr3t-value"`, ``, "\x00\xff", `{"__encrypted_data__":"x"}`} {
		f.Add([]byte(seed), uint16(0))
	}
	f.Fuzz(func(t *testing.T, plaintext []byte, flip uint16) {
		sealed, err := kv.Seal(oldRing, plaintext)
		if err != nil {
			t.Fatal(err)
		}
		if !kv.IsEnvelope(sealed) {
			t.Fatalf("Seal's output is not an envelope: %s", sealed)
		}
		if got, err := kv.Open(oldRing, sealed); err != nil || !bytes.Equal(got, plaintext) {
			t.Fatalf("Open(Seal(p)) = %q, %v; want p", got, err)
		}
		resealed, changed, err := kv.Reseal(rotated, "c", "k", sealed, nil)
		if err != nil || !changed {
			t.Fatalf("Reseal under a new first key = changed %v, %v", changed, err)
		}
		if got, err := kv.Open(newOnly, resealed); err != nil || !bytes.Equal(got, plaintext) {
			t.Fatalf("after Reseal the new key alone opens %q, %v; want p", got, err)
		}
		if again, changed, err := kv.Reseal(rotated, "c", "k", resealed, nil); err != nil || changed || !bytes.Equal(again, resealed) {
			t.Fatalf("a second Reseal changed %v (%v): the first key's envelopes are left alone", changed, err)
		}
		_, err = kv.Open(newOnly, sealed)
		wantNoPlaintext(t, "Open with a ring that lacks the key", err, plaintext)

		// One byte of the token changed: it must not open, to anything.
		var env map[string]any
		if err := json.Unmarshal(sealed, &env); err != nil {
			t.Fatal(err)
		}
		// The byte is one of the token's, not of its base64: a changed
		// character may only change bits that decoding drops, as
		// fernet-go and Python drop them.
		token, err := base64.StdEncoding.DecodeString(env["__encrypted_data__"].(string))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := base64.URLEncoding.DecodeString(string(token))
		if err != nil {
			t.Fatal(err)
		}
		raw[int(flip)%len(raw)] ^= byte(flip>>8) | 1
		token = []byte(base64.URLEncoding.EncodeToString(raw))
		env["__encrypted_data__"] = base64.StdEncoding.EncodeToString(token)
		damaged, _ := json.Marshal(env)
		got, err := kv.Open(oldRing, damaged)
		if err == nil {
			t.Fatalf("a damaged token opened to %q", got)
		}
		wantNoPlaintext(t, "Open of a damaged token", err, plaintext)
		_, _, err = kv.Reseal(rotated, "c", "k", damaged, nil)
		wantNoPlaintext(t, "Reseal of a damaged token", err, plaintext)
	})
}

// wantNoPlaintext fails t unless err is an error whose message holds no
// plaintext (checked for plaintexts long enough to be told from chance).
func wantNoPlaintext(t *testing.T, what string, err error, plaintext []byte) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error", what)
	}
	if errors.Is(err, kv.ErrCorrupt) {
		t.Fatalf("%s: %v is ErrCorrupt; a token that does not open is a decrypt failure", what, err)
	}
	if len(plaintext) >= 8 && strings.Contains(err.Error(), string(plaintext)) {
		t.Fatalf("%s: the error holds the plaintext: %v", what, err)
	}
}
