package fieldsclients_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/kvgen/kvgen/internal/goonly/fieldsclients"
	"github.com/kvgen/kvgen/kv"
)

// backendOf is the storage under s, to move stored values around as
// someone with write access to the table could.
func backendOf(s *fieldsclients.Store) kv.Backend {
	return s.KV().(*kv.ValueStore[fieldsclients.Client]).Backend()
}

// stored returns the value stored under key in collection.
func stored(t *testing.T, s *fieldsclients.Store, collection, key string) map[string]json.RawMessage {
	t.Helper()
	raw, ok, err := backendOf(s).Get(context.Background(), collection, key)
	if err != nil || !ok {
		t.Fatalf("stored %s/%s: %v, %v", collection, key, ok, err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw.Value, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// store writes m under key in collection, past the store's codec.
func store(t *testing.T, s *fieldsclients.Store, collection, key string, m map[string]json.RawMessage) {
	t.Helper()
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := backendOf(s).Put(context.Background(), collection, key, data, nil); err != nil {
		t.Fatal(err)
	}
}

// wantDecrypt fails t unless err is ErrDecrypt naming collection, key and
// field, without the secret.
func wantDecrypt(t *testing.T, what string, err error, collection, key, field, secret string) {
	t.Helper()
	var ve *kv.ValueError
	if !errors.Is(err, kv.ErrDecrypt) || !errors.As(err, &ve) || ve.Collection != collection || ve.Key != key || ve.Field != field {
		t.Errorf("%s: %v; want ErrDecrypt naming %s/%s field %q", what, err, collection, key, field)
	}
	if err != nil && strings.Contains(err.Error(), secret) {
		t.Errorf("%s: the error holds the secret: %v", what, err)
	}
}

// TestSealedFieldBoundToItsRecord: in fields mode a sealed client_secret
// opens only in the record it was sealed for. Copied into another client's
// row, or with the whole row into another collection, it is ErrDecrypt
// naming where it was found, for both views.
func TestSealedFieldBoundToItsRecord(t *testing.T) {
	for _, st := range storages {
		t.Run(st.name, func(t *testing.T) {
			ctx := context.Background()
			s := st.open(t)(newRing(t))
			victim, attacker := client(1), client(2)
			victim.ClientID, victim.ClientSecret = "victim", "victim-secret-value"
			attacker.ClientID, attacker.ClientSecret = "attacker", "attacker-secret-value"
			if err := s.PutMany(ctx, []fieldsclients.Client{victim, attacker}); err != nil {
				t.Fatal(err)
			}
			row := stored(t, s, fieldsclients.DefaultCollection, "attacker")
			row["client_secret"] = stored(t, s, fieldsclients.DefaultCollection, "victim")["client_secret"]
			store(t, s, fieldsclients.DefaultCollection, "attacker", row)

			_, _, err := s.Get(ctx, "attacker")
			wantDecrypt(t, "Get of a secret copied from another client", err, fieldsclients.DefaultCollection, "attacker", "client_secret", "victim-secret-value")
			_, _, err = s.Untyped().Get(ctx, "", "attacker")
			wantDecrypt(t, "untyped Get of a secret copied from another client", err, fieldsclients.DefaultCollection, "attacker", "client_secret", "victim-secret-value")

			store(t, s, "elsewhere", "victim", stored(t, s, fieldsclients.DefaultCollection, "victim"))
			_, _, err = s.KV().Get(ctx, "elsewhere", "victim")
			wantDecrypt(t, "Get of a row copied to another collection", err, "elsewhere", "victim", "client_secret", "victim-secret-value")

			if got, _, err := s.Get(ctx, "victim"); err != nil || got.ClientSecret != victim.ClientSecret {
				t.Errorf("Get(victim) = %v: the row where it was sealed must still read", err)
			}
		})
	}
}

// TestStrict: a sensitive field in plaintext (written before encryption was
// turned on) or sealed before fields were bound is read and counted, and
// refused with Options.Strict; Reencrypt binds the latter, after which Strict
// reads it. A record sealed as a whole (py-key-value's format) reads either way.
func TestStrict(t *testing.T) {
	for _, st := range storages {
		t.Run(st.name, func(t *testing.T) {
			ctx := context.Background()
			open := st.open(t)
			key := newKey(t)
			ring := newRing(t, key)
			s := open(ring)
			for _, id := range []string{"plain", "unbound", "bound", "whole"} {
				c := client(1)
				c.ClientID, c.ClientSecret = id, kv.Secret(id+"-secret-value")
				if err := s.Put(ctx, c); err != nil {
					t.Fatal(err)
				}
			}
			row := stored(t, s, fieldsclients.DefaultCollection, "plain")
			row["client_secret"] = json.RawMessage(`"plain-secret-value"`)
			store(t, s, fieldsclients.DefaultCollection, "plain", row)
			row = stored(t, s, fieldsclients.DefaultCollection, "unbound")
			unbound, err := kv.Seal(ring, []byte(`"unbound-secret-value"`)) // as fields were sealed before
			if err != nil {
				t.Fatal(err)
			}
			row["client_secret"] = unbound
			store(t, s, fieldsclients.DefaultCollection, "unbound", row)
			whole, ok, err := s.Untyped().Get(ctx, "", "whole")
			if err != nil || !ok {
				t.Fatal(err)
			}
			if err := s.Untyped().Put(ctx, "", "whole", whole, 0); err != nil { // sealed as a whole
				t.Fatal(err)
			}

			lenient := open(ring)
			for _, id := range []string{"plain", "unbound", "bound", "whole"} {
				if c, _, err := lenient.Get(ctx, id); err != nil || c.ClientSecret.Reveal() != id+"-secret-value" {
					t.Errorf("Get(%s) without Strict = %v", id, err)
				}
			}
			if n := lenient.PlaintextReads(); n != 2 {
				t.Errorf("PlaintextReads = %d, want 2: plain and unbound", n)
			}

			strict, err := fieldsclients.NewWithBackend(backendOf(s), fieldsclients.Options{Encrypter: ring, Strict: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{"plain", "unbound"} {
				_, _, err := strict.Get(ctx, id)
				wantDecrypt(t, "strict Get("+id+")", err, fieldsclients.DefaultCollection, id, "client_secret", id+"-secret-value")
			}
			for _, id := range []string{"bound", "whole"} {
				if _, _, err := strict.Get(ctx, id); err != nil {
					t.Errorf("strict Get(%s) = %v; want it read", id, err)
				}
			}
			if n := strict.PlaintextReads(); n != 0 {
				t.Errorf("strict PlaintextReads = %d: what it refuses is not read", n)
			}

			if _, err := lenient.Reencrypt(ctx, kv.ReencryptOptions{}); err != nil {
				t.Fatal(err)
			}
			if c, _, err := strict.Get(ctx, "unbound"); err != nil || c.ClientSecret != "unbound-secret-value" {
				t.Errorf("strict Get(unbound) after Reencrypt = %v; want it bound and read", err)
			}
			_, _, err = strict.Get(ctx, "plain")
			wantDecrypt(t, "strict Get(plain) after Reencrypt", err, fieldsclients.DefaultCollection, "plain", "client_secret", "plain-secret-value")

			if _, err := fieldsclients.NewWithBackend(kv.NewMemory(), fieldsclients.Options{AllowPlaintext: true, Strict: true}); err == nil {
				t.Error("Strict without an Encrypter: no error")
			}
		})
	}
}
