package kvimpl_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/kvimpl"
)

func TestStoreConfigCheck(t *testing.T) {
	ring := newRing(t)
	for _, tc := range []struct {
		name string
		c    kvimpl.StoreConfig
		want string // "" for no error
	}{
		{"none", kvimpl.StoreConfig{Package: "p", Encryption: kv.EncryptionNone}, ""},
		{"value without encrypter", kvimpl.StoreConfig{Package: "p", Encryption: kv.EncryptionValue},
			"p: Options.Encrypter is nil: give a key ring, or set AllowPlaintext to store whole records unencrypted"},
		{"fields without encrypter", kvimpl.StoreConfig{Package: "p", Encryption: kv.EncryptionFields},
			"p: Options.Encrypter is nil: give a key ring, or set AllowPlaintext to store sensitive fields unencrypted"},
		{"plaintext allowed", kvimpl.StoreConfig{Package: "p", Encryption: kv.EncryptionValue, AllowPlaintext: true}, ""},
		{"strict without encrypter", kvimpl.StoreConfig{Package: "p", Encryption: kv.EncryptionValue, AllowPlaintext: true, Strict: true},
			"p: Options.Strict needs an Encrypter: it refuses plaintext"},
		{"fields in FastMCP's collection", kvimpl.StoreConfig{Package: "p", Encryption: kv.EncryptionFields, Encrypter: ring, Collection: kv.FastMCPCollections[0]},
			"p: " + kv.ErrInvalid.Error()},
		{"value in FastMCP's collection", kvimpl.StoreConfig{Package: "p", Encryption: kv.EncryptionValue, Encrypter: ring, Collection: kv.FastMCPCollections[0]}, ""},
	} {
		err := tc.c.Check()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestUntyped: the untyped view seals whole values whatever the schema's
// mode, and counts its plaintext reads in the counter it is given.
func TestUntyped(t *testing.T) {
	ctx := context.Background()
	ring := newRing(t)
	b := kv.NewMemory()
	counter := new(kv.PlaintextCounter)
	u, err := kvimpl.Untyped(b, kvimpl.StoreConfig{Encryption: kv.EncryptionFields, Encrypter: ring, Sensitive: []string{"s"}, Collection: "c"}, counter)
	if err != nil {
		t.Fatal(err)
	}
	if err := u.Put(ctx, "", "k", map[string]any{"s": "secret"}, 0); err != nil {
		t.Fatal(err)
	}
	raw, _, err := b.Get(ctx, "c", "k")
	if err != nil || !strings.Contains(string(raw.Value), "__encrypted_data__") || strings.Contains(string(raw.Value), "secret") {
		t.Errorf("stored %s, %v; want the whole value sealed", raw.Value, err)
	}
	if err := b.Put(ctx, "c", "plain", []byte(`{"s":"x"}`), nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := u.Get(ctx, "", "plain"); err != nil {
		t.Fatal(err)
	}
	if counter.Load() != 1 {
		t.Errorf("plaintext reads = %d, want 1 in the given counter", counter.Load())
	}
	plain, err := kvimpl.Untyped(b, kvimpl.StoreConfig{Encryption: kv.EncryptionNone, Collection: "n"}, counter)
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
