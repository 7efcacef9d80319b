package kvimpl_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/kvimpl"
)

func TestRecordCheck(t *testing.T) {
	ring := newRing(t)
	for _, tc := range []struct {
		name       string
		encryption string
		c          kvimpl.StoreConfig
		want       string // "" for no error
	}{
		{"none", kv.EncryptionNone, kvimpl.StoreConfig{Package: "p"}, ""},
		{"value without encrypter", kv.EncryptionValue, kvimpl.StoreConfig{Package: "p"},
			"p: Options.Encrypter is nil: give a key ring, or set AllowPlaintext to store whole records unencrypted"},
		{"fields without encrypter", kv.EncryptionFields, kvimpl.StoreConfig{Package: "p"},
			"p: Options.Encrypter is nil: give a key ring, or set AllowPlaintext to store sensitive fields unencrypted"},
		{"plaintext allowed", kv.EncryptionValue, kvimpl.StoreConfig{Package: "p", AllowPlaintext: true}, ""},
		{"strict without encrypter", kv.EncryptionValue, kvimpl.StoreConfig{Package: "p", AllowPlaintext: true, Crypto: kvimpl.Crypto{Strict: true}},
			"p: Options.Strict needs an Encrypter: it refuses plaintext"},
		{"fields in FastMCP's collection", kv.EncryptionFields, kvimpl.StoreConfig{Package: "p", Crypto: kvimpl.Crypto{Encrypter: ring}, Collection: kv.FastMCPCollections[0]},
			"p: " + kv.ErrInvalid.Error()},
		{"value in FastMCP's collection", kv.EncryptionValue, kvimpl.StoreConfig{Package: "p", Crypto: kvimpl.Crypto{Encrypter: ring}, Collection: kv.FastMCPCollections[0]}, ""},
	} {
		err := accountRecord(tc.encryption).Check(tc.c)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestSealedFields: the fields that Reencrypt seals on their own are the
// record's secrets, found at every depth in its table, in fields mode
// only: in value mode the whole value is one envelope.
func TestSealedFields(t *testing.T) {
	if got := accountRecord(kv.EncryptionFields).SealedFields(); !slices.Equal(got, sensitivePaths) {
		t.Errorf("SealedFields in fields mode = %q, want %q", got, sensitivePaths)
	}
	for _, mode := range []string{kv.EncryptionValue, kv.EncryptionNone} {
		if got := accountRecord(mode).SealedFields(); got != nil {
			t.Errorf("SealedFields in %s mode = %q, want none", mode, got)
		}
	}
}

// TestUntyped: the untyped view seals whole values whatever the schema's
// mode, opens the record's secrets where they are sealed on their own, and
// counts its plaintext reads in the store's counter.
func TestUntyped(t *testing.T) {
	ctx := context.Background()
	ring := newRing(t)
	b := kv.NewMemory()
	counter := new(kv.PlaintextCounter)
	fields := accountRecord(kv.EncryptionFields)
	u, err := fields.Untyped(b, kvimpl.StoreConfig{Crypto: kvimpl.Crypto{Encrypter: ring, Plaintext: counter}, Collection: "c"})
	if err != nil {
		t.Fatal(err)
	}
	if err := u.Put(ctx, "", "k", map[string]any{"secret": "s3cr3t"}, 0); err != nil {
		t.Fatal(err)
	}
	raw, _, err := b.Get(ctx, "c", "k")
	if err != nil || !strings.Contains(string(raw.Value), "__encrypted_data__") || strings.Contains(string(raw.Value), "s3cr3t") {
		t.Errorf("stored %s, %v; want the whole value sealed", raw.Value, err)
	}
	typed, err := fields.Encode(kvimpl.Crypto{Encrypter: ring}, "c", "t", account{ID: "t", Up: &upstream{AccessToken: "up-s3cr3t"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx, "c", "t", typed, nil); err != nil {
		t.Fatal(err)
	}
	if got, _, err := u.Get(ctx, "", "t"); err != nil || got["up"].(map[string]any)["access_token"] != "up-s3cr3t" {
		t.Errorf("Get of a record whose secrets are sealed on their own = %v, %v", got, err)
	}
	if counter.Load() != 1 { // the typed record's whole value is plaintext
		t.Errorf("plaintext reads = %d, want 1 in the store's counter", counter.Load())
	}
	plain, err := accountRecord(kv.EncryptionNone).Untyped(b, kvimpl.StoreConfig{Crypto: kvimpl.Crypto{Plaintext: counter}, Collection: "n"})
	if err != nil {
		t.Fatal(err)
	}
	if err := plain.Put(ctx, "", "k", map[string]any{"a": 1.0}, 0); err != nil {
		t.Fatal(err)
	}
	if raw, _, _ := b.Get(ctx, "n", "k"); string(raw.Value) != `{"a":1}` {
		t.Errorf("encryption: none stored %s", raw.Value)
	}
}

func TestValues(t *testing.T) {
	boom := errors.New("boom")
	got, err := kvimpl.Values([]kv.Item[int]{{Key: "a", Value: 1}, {Key: "b", Value: 2}}, boom)
	if len(got) != 2 || got[0] != 1 || got[1] != 2 || err != boom {
		t.Errorf("Values = %v, %v", got, err)
	}
}

func TestNoIndex(t *testing.T) {
	if got := kvimpl.NoIndex("p", "x").Error(); got != `p: no index on field "x": mark it indexed in the schema` {
		t.Errorf("NoIndex = %s", got)
	}
}

func newRing(t *testing.T) *kv.KeyRing {
	t.Helper()
	key, err := kv.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ring, err := kv.ParseKeys(key)
	if err != nil {
		t.Fatal(err)
	}
	return ring
}
