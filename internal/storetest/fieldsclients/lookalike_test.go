package fieldsclients_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/kvgen/kvgen/internal/goonly/fieldsclients"
	"github.com/kvgen/kvgen/kv"
)

// storage opens stores of this schema, each with its own key ring, over one
// shared storage: PostgreSQL or memory.
type storage struct {
	name string
	open func(t *testing.T) func(ring kv.Encrypter) *fieldsclients.Store
}

var storages = []storage{
	{"postgres", func(t *testing.T) func(kv.Encrypter) *fieldsclients.Store {
		pool := newTable(t)
		return func(ring kv.Encrypter) *fieldsclients.Store { return newStore(t, pool, ring) }
	}},
	{"memory", func(t *testing.T) func(kv.Encrypter) *fieldsclients.Store {
		mem := kv.NewMemory()
		return func(ring kv.Encrypter) *fieldsclients.Store {
			s, err := fieldsclients.NewWithBackend(mem, fieldsclients.Options{Encrypter: ring})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	}},
}

// TestReencryptLeavesLookAlikeEnvelopesAlone: a registrant controls jwks.
// An object in it shaped like an encryption envelope, even one holding a
// valid token of the store's own key, is data: Reencrypt after a key
// rotation neither stops at it nor opens nor reseals it, and both views read
// it back as it was written.
func TestReencryptLeavesLookAlikeEnvelopesAlone(t *testing.T) {
	for _, st := range storages {
		t.Run(st.name, func(t *testing.T) {
			ctx := context.Background()
			open := st.open(t)
			oldKey, newKey := newKey(t), newKey(t)
			oldRing := newRing(t, oldKey)
			valid, err := kv.Seal(oldRing, []byte(`{"kty":"oct","k":"smuggled"}`))
			if err != nil {
				t.Fatal(err)
			}
			jwks := map[string]json.RawMessage{
				"valid-token": valid,
				"not-a-token": json.RawMessage(`{"__encrypted_data__":"Z0FBQUFBbm90LWEtdG9rZW4=","__encryption_version__":1}`),
			}
			var written []fieldsclients.Client
			for key, j := range jwks {
				c := client(1)
				c.ClientID, c.JWKS = key, j
				written = append(written, c)
			}
			if err := open(oldRing).PutMany(ctx, written); err != nil {
				t.Fatal(err)
			}
			before := map[string][]byte{}
			for key := range jwks {
				c, _, err := open(oldRing).Get(ctx, key)
				if err != nil {
					t.Fatal(err)
				}
				before[key] = c.JWKS
			}

			res, err := open(newRing(t, newKey, oldKey)).Reencrypt(ctx, kv.ReencryptOptions{})
			if err != nil || res.Rewritten != len(jwks) {
				t.Fatalf("Reencrypt = %+v, %v; want both rows rewritten (their client_secret)", res, err)
			}

			onlyNew := open(newRing(t, newKey))
			for key, j := range jwks {
				c, ok, err := onlyNew.Get(ctx, key)
				if err != nil || !ok || c.ClientSecret != "secret-1" {
					t.Fatalf("Get(%s) after rotation = %v, %v", key, ok, err)
				}
				if !bytes.Equal(c.JWKS, before[key]) || !sameJSON(t, c.JWKS, j) {
					t.Errorf("Get(%s).JWKS = %s, want it as written: %s", key, c.JWKS, j)
				}
				v, ok, err := onlyNew.Untyped().Get(ctx, "", key)
				if err != nil || !ok {
					t.Fatalf("untyped Get(%s) = %v, %v; want the look-alike read as data", key, ok, err)
				}
				got, _ := json.Marshal(v["jwks"])
				if !sameJSON(t, got, j) {
					t.Errorf("untyped Get(%s) jwks = %s, want it as written: %s", key, got, j)
				}
			}
		})
	}
}

// sameJSON reports whether a and b are the same JSON document.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	ca, _ := json.Marshal(va)
	cb, _ := json.Marshal(vb)
	return bytes.Equal(ca, cb)
}
