package kvimpl_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/kvimpl"
)

// TestDecodeMemberOrders: a record reads the same whatever the order of its
// members: as written (schema order), as jsonb returns them (shorter names
// first, with spaces), any other, with unknown members between them.
func TestDecodeMemberOrders(t *testing.T) {
	rec := accountRecord(kv.EncryptionNone)
	want := revealAll(account{ID: "a1", Name: "Ann", Secret: "s", Tags: []string{"x", "y"}, Tokens: []token{{Kind: "mac"}}})
	for _, data := range []string{
		`{"id":"a1","name":"Ann","secret":"s","up":null,"tokens":[{"kind":"mac","value":null}],"tags":["x","y"]}`,
		`{"id": "a1", "up": null, "name": "Ann", "tags": ["x", "y"], "secret": "s", "tokens": [{"kind": "mac", "value": null}]}`,
		`{"tags":["x","y"],"x1":1,"tokens":[{"kind":"mac"}],"secret":"s","x2":{"id":"no"},"name":"Ann","id":"a1"}`,
	} {
		got, err := decode(rec, kvimpl.Crypto{}, "a1", []byte(data))
		if err != nil || revealAll(got) != want {
			t.Errorf("%s reads %s, %v; want %s", data, revealAll(got), err, want)
		}
	}
}

// TestDecodeDuplicatesAndErrors: a member given twice is read twice, the
// last value kept, as encoding/json does; of several members that cannot
// be read the first in the value is named.
func TestDecodeDuplicatesAndErrors(t *testing.T) {
	rec := accountRecord(kv.EncryptionNone)
	got, err := decode(rec, kvimpl.Crypto{}, "a1", []byte(`{"id":"a1","name":"first","name":"second"}`))
	if err != nil || got.Name != "second" {
		t.Errorf("name given twice reads %q, %v; want the second", got.Name, err)
	}
	for data, field := range map[string]string{
		`{"id":"a1","name":1,"name":"second"}`:             `field "name"`,
		`{"id":"a1","tags":[1],"name":2}`:                  `field "tags[0]"`,
		`{"name":2,"id":"a1","tags":[1]}`:                  `field "name"`,
		`{"id":"a1","tokens":[{"kind":"mac"},{"kind":3}]}`: `field "tokens[1].kind"`,
		`{"id":"a1","name":"x",}`:                          "malformed JSON",
	} {
		_, err := decode(rec, kvimpl.Crypto{}, "a1", []byte(data))
		if !errors.Is(err, kv.ErrCorrupt) || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: %v; want ErrCorrupt naming %s", data, err, field)
		}
	}
}

// TestDecodeKeyAndDefaults: a record read without its key takes the row's,
// and one with another key is refused; an absent, null or empty field takes
// its default, in the objects of a list too, when a store reads it (not in
// UnmarshalJSON).
func TestDecodeKeyAndDefaults(t *testing.T) {
	rec := accountRecord(kv.EncryptionNone)
	for _, data := range []string{`{"tokens":[{}]}`, `{"id":null,"tokens":[{"kind":null}]}`, `{"id":"","tokens":[{"kind":""}]}`} {
		got, err := decode(rec, kvimpl.Crypto{}, "a1", []byte(data))
		if err != nil || got.ID != "a1" || got.Tokens[0].Kind != "bearer" {
			t.Errorf("%s reads id %q, kind %q, %v; want a1, bearer", data, got.ID, got.Tokens[0].Kind, err)
		}
	}
	if _, err := decode(rec, kvimpl.Crypto{}, "a1", []byte(`{"id":"a2"}`)); !errors.Is(err, kv.ErrCorrupt) || !strings.Contains(err.Error(), `field "id"`) {
		t.Errorf("a record of another key: %v; want ErrCorrupt naming id", err)
	}
	var r account
	if err := r.UnmarshalJSON([]byte(`{"tokens":[{}]}`)); err != nil || r.ID != "" || r.Tokens[0].Kind != "" {
		t.Errorf("UnmarshalJSON = %+v, %v; want no key and no default", r, err)
	}
}

// TestDecodeSealedValueAnywhere: a value whose top level has
// "__encrypted_data__" is a whole-value envelope, whatever its other
// members: nothing of them stays in the record read.
func TestDecodeSealedValueAnywhere(t *testing.T) {
	ring := newRing(t)
	rec := accountRecord(kv.EncryptionValue)
	crypto := kvimpl.Crypto{Encrypter: ring, Plaintext: new(kv.PlaintextCounter)}
	sealed, err := rec.Encode(crypto, "accounts", "a1", account{ID: "a1", Name: "inside"})
	if err != nil {
		t.Fatal(err)
	}
	data := `{"tags":["outside"],` + string(sealed[1:])
	got, err := decode(rec, crypto, "a1", []byte(data))
	if err != nil || got.Name != "inside" || got.Tags != nil {
		t.Errorf("reads %+v, %v; want the sealed record alone", got, err)
	}
}
