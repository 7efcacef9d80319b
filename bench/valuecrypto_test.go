package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvgen/kvgen/bench/internal/valuestore"
	"github.com/kvgen/kvgen/kv"
)

// TestValueModeReencryptLeavesLookAlikeEnvelopesAlone is
// internal/goonly/fieldsclients' TestReencryptLeavesLookAlikeEnvelopesAlone for a
// store of encryption: value, whose only envelope is the whole value: an
// envelope-shaped jwks inside it, even one holding a valid token of the
// store's own key, is data, which Reencrypt neither opens nor reseals.
func TestValueModeReencryptLeavesLookAlikeEnvelopesAlone(t *testing.T) {
	for _, backend := range []struct {
		name string
		open func(t *testing.T) kv.Backend
	}{
		{"postgres", func(t *testing.T) kv.Backend { return valueBackend(t, newPool(t, 2)) }},
		{"memory", func(*testing.T) kv.Backend { return kv.NewMemory() }},
	} {
		t.Run(backend.name, func(t *testing.T) {
			ctx := context.Background()
			b := backend.open(t)
			open := func(keys ...string) *valuestore.Store {
				t.Helper()
				var joined string
				for i, k := range keys {
					if i > 0 {
						joined += ","
					}
					joined += k
				}
				ring, err := kv.ParseKeys(joined)
				if err != nil {
					t.Fatal(err)
				}
				s, err := valuestore.NewWithBackend(b, valuestore.Options{Encrypter: ring})
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			oldKey, newKey := generateKey(t), generateKey(t)
			oldRing, err := kv.ParseKeys(oldKey)
			if err != nil {
				t.Fatal(err)
			}
			valid, err := kv.Seal(oldRing, []byte(`{"kty":"oct","k":"smuggled"}`))
			if err != nil {
				t.Fatal(err)
			}
			jwks := map[string]json.RawMessage{
				"valid-token": valid,
				"not-a-token": json.RawMessage(`{"__encrypted_data__":"Z0FBQUFBbm90LWEtdG9rZW4=","__encryption_version__":1}`),
			}
			plain, err := valuestore.NewWithBackend(b, valuestore.Options{AllowPlaintext: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, key := range []string{"valid-token", "not-a-token"} {
				j := jwks[key]
				r := valueRecord(t, key, 1)
				r.JWKS = j
				if err := open(oldKey).Put(ctx, r); err != nil {
					t.Fatal(err)
				}
				// the same, written before encryption was turned on
				r.ClientID = "plain-" + key
				if err := plain.Put(ctx, r); err != nil {
					t.Fatal(err)
				}
				jwks[r.ClientID] = j
			}

			res, err := open(newKey, oldKey).Reencrypt(ctx, kv.ReencryptOptions{})
			if err != nil || res.Rewritten != 2 || res.Scanned != 4 {
				t.Fatalf("Reencrypt = %+v, %v; want the two sealed values rewritten, the plaintext ones left alone", res, err)
			}
			for key, j := range jwks {
				r, ok, err := open(newKey).Get(ctx, key)
				if err != nil || !ok {
					t.Fatalf("Get(%s) after rotation = %v, %v", key, ok, err)
				}
				if !bytes.Equal(compactJSON(t, r.JWKS), compactJSON(t, j)) {
					t.Errorf("Get(%s).JWKS = %s, want it as written: %s", key, r.JWKS, j)
				}
				v, ok, err := open(newKey).Untyped().Get(ctx, "", key)
				if err != nil || !ok {
					t.Fatalf("untyped Get(%s) = %v, %v; want the look-alike read as data", key, ok, err)
				}
				got, _ := json.Marshal(v["jwks"])
				if !bytes.Equal(compactJSON(t, got), compactJSON(t, j)) {
					t.Errorf("untyped Get(%s) jwks = %s, want it as written: %s", key, got, j)
				}
			}
		})
	}
}

// valueBackend is the PostgreSQL backend of a value-mode store over pool.
func valueBackend(t *testing.T, pool *pgxpool.Pool) kv.Backend {
	t.Helper()
	s, err := valuestore.New(pool, valuestore.Options{AllowPlaintext: true})
	if err != nil {
		t.Fatal(err)
	}
	return s.KV().(*kv.ValueStore[valuestore.Client]).Backend()
}

func generateKey(t *testing.T) string {
	t.Helper()
	k, err := kv.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func compactJSON(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, data); err != nil {
		t.Fatalf("%s: %v", data, err)
	}
	return b.Bytes()
}

// TestValueModeStrict: a record stored in plaintext where encryption: value
// seals whole values is read and counted, and with Options.Strict refused as
// ErrDecrypt naming collection and key; sealed records read either way.
func TestValueModeStrict(t *testing.T) {
	ctx := context.Background()
	b := valueBackend(t, newPool(t, 2))
	ring, err := kv.ParseKeys(generateKey(t))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := valuestore.NewWithBackend(b, valuestore.Options{AllowPlaintext: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := plain.Put(ctx, valueRecord(t, "plain", 1)); err != nil {
		t.Fatal(err)
	}
	lenient, err := valuestore.NewWithBackend(b, valuestore.Options{Encrypter: ring})
	if err != nil {
		t.Fatal(err)
	}
	if err := lenient.Put(ctx, valueRecord(t, "sealed", 2)); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"plain", "sealed"} {
		if _, ok, err := lenient.Get(ctx, key); err != nil || !ok {
			t.Errorf("Get(%s) without Strict = %v, %v", key, ok, err)
		}
	}
	if n := lenient.PlaintextReads(); n != 1 {
		t.Errorf("PlaintextReads = %d, want 1", n)
	}

	strict, err := valuestore.NewWithBackend(b, valuestore.Options{Encrypter: ring, Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = strict.Get(ctx, "plain")
	var ve *kv.ValueError
	if !errors.Is(err, kv.ErrDecrypt) || !errors.As(err, &ve) || ve.Collection != "bench-value" || ve.Key != "plain" {
		t.Errorf("strict Get(plain) = %v; want ErrDecrypt naming bench-value/plain", err)
	}
	if err != nil && strings.Contains(err.Error(), "sk-000001") {
		t.Errorf("strict Get(plain): the error holds the secret: %v", err)
	}
	if _, ok, err := strict.Get(ctx, "sealed"); err != nil || !ok {
		t.Errorf("strict Get(sealed) = %v, %v; want it read", ok, err)
	}
}
