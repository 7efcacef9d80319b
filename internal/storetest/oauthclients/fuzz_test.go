package oauthclients_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/kv"
)

// fuzzKey is a fixed Fernet key, so that seeds sealed under it decrypt in
// every run of the fuzz target.
const fuzzKey = "3Jt8wQm2Yk5pR9vX1cN6bF4hL0sD7gA2zE8uK3iO5yM="

// FuzzStoredClient stores arbitrary bytes as a row, as another program could,
// and reads them through the generated store over the memory backend: the
// typed Get, GetMany and List, the untyped view and Client.UnmarshalJSON.
// None may panic; a row that does not read is a *kv.ValueError naming
// collection and key, ErrCorrupt or ErrDecrypt; and a row that reads and is
// valid writes back to a row that reads as the same record.
func FuzzStoredClient(f *testing.F) {
	ring, err := kv.ParseKeys(fuzzKey)
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range fuzzSeeds(f, ring) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		ctx := context.Background()
		mem := kv.NewMemory()
		s, err := oauthclients.NewWithBackend(mem, oauthclients.Options{Encrypter: ring})
		if err != nil {
			t.Fatal(err)
		}
		if err := mem.Put(ctx, oauthclients.DefaultCollection, "k", raw, nil); err != nil {
			t.Fatal(err)
		}

		got, ok, err := s.Get(ctx, "k")
		wantValueError(t, "Get", err)
		if err == nil && !ok {
			t.Fatal("Get: the row is not found, without an error")
		}
		entries, manyErr := s.GetMany(ctx, []string{"k", "missing", "k"})
		wantValueError(t, "GetMany", manyErr)
		if (err == nil) != (manyErr == nil) || len(entries) != 3 || entries[0].Found != (err == nil) ||
			entries[2].Found != entries[0].Found || entries[1].Found {
			t.Fatalf("GetMany disagrees with Get: %v / %v, %d entries", manyErr, err, len(entries))
		}
		if err == nil && !reflect.DeepEqual(entries[0].Value, got) {
			t.Fatalf("GetMany reads another record than Get:\n%#v\n%#v", entries[0].Value, got)
		}
		_, listErr := s.List(ctx, "", 10)
		wantValueError(t, "List", listErr)
		_, _, untypedErr := s.Untyped().Get(ctx, "", "k")
		wantValueError(t, "untyped Get", untypedErr)
		var plain oauthclients.Client
		_ = plain.UnmarshalJSON(raw)

		if err != nil || got.Validate() != nil {
			return
		}
		// A record that reads writes back, and reads back the same.
		if err := s.Put(ctx, got); err != nil {
			t.Fatalf("a record read from the row does not write back: %v", err)
		}
		again, ok, err := s.Get(ctx, got.ClientID)
		if err != nil || !ok {
			t.Fatalf("the record written back does not read: %v, %v", ok, err)
		}
		if !reflect.DeepEqual(again, got) {
			t.Fatalf("the record changed on a write and read:\nread    %#v\nreread  %#v", got, again)
		}
	})
}

// wantValueError fails t unless err is nil or only *kv.ValueErrors of the
// row "k", ErrCorrupt or ErrDecrypt.
func wantValueError(t *testing.T, what string, err error) {
	t.Helper()
	for _, e := range joined(err) {
		var ve *kv.ValueError
		if !errors.As(e, &ve) || (!errors.Is(e, kv.ErrCorrupt) && !errors.Is(e, kv.ErrDecrypt)) {
			t.Fatalf("%s: %v (%T); want a *kv.ValueError, ErrCorrupt or ErrDecrypt", what, e, e)
		}
		if ve.Collection != oauthclients.DefaultCollection || ve.Key != "k" {
			t.Fatalf("%s: the error names collection %q key %q", what, ve.Collection, ve.Key)
		}
	}
}

// fuzzSeeds are stored rows: a record as the store writes it, sealed as a
// whole, written by Python, and broken in the ways TestHostileRows lists.
func fuzzSeeds(f *testing.F, ring *kv.KeyRing) [][]byte {
	ctx := context.Background()
	mem := kv.NewMemory()
	s, err := oauthclients.NewWithBackend(mem, oauthclients.Options{Encrypter: ring})
	if err != nil {
		f.Fatal(err)
	}
	full := client(1)
	full.ClientID = "k"
	minimal := oauthclients.Client{ClientID: "m", RedirectURIs: []string{"https://a.example/cb"}}
	if err := s.PutMany(ctx, []oauthclients.Client{full, minimal}); err != nil {
		f.Fatal(err)
	}
	if err := s.Untyped().Put(ctx, "whole", "w", map[string]any{"client_id": "w", "redirect_uris": []any{"https://w.example"}}, 0); err != nil {
		f.Fatal(err)
	}
	var seeds [][]byte
	for _, at := range []struct{ collection, key string }{
		{oauthclients.DefaultCollection, "k"}, {oauthclients.DefaultCollection, "m"}, {"whole", "w"},
	} {
		raw, ok, err := mem.Get(ctx, at.collection, at.key)
		if err != nil || !ok {
			f.Fatalf("seed %s: %v, %v", at.key, ok, err)
		}
		seeds = append(seeds, raw.Value)
	}
	var stored map[string]json.RawMessage
	if err := json.Unmarshal(seeds[0], &stored); err != nil {
		f.Fatal(err)
	}
	stored["client_id_issued_at"] = json.RawMessage(`1e300`)
	stored["future_member"] = json.RawMessage(`{"nested":[1,2.5,"x",null,true]}`)
	changed, err := json.Marshal(stored)
	if err != nil {
		f.Fatal(err)
	}
	seeds = append(seeds, changed)
	for _, s := range []string{
		// as Python's py-key-value writes a client (plaintext secret)
		`{"redirect_uris":["http://localhost:3000/cb"],"token_endpoint_auth_method":"none","grant_types":["authorization_code"],` +
			`"response_types":["code"],"client_id":"k","client_secret":"s3cr3t","client_id_issued_at":1764000000,` +
			`"client_secret_expires_at":0,"cimd_fetched_at":1764000000.5,"cimd_document":null}`,
		`[]`, `"x"`, `42`, `null`, `{}`, `{"client_id":7}`, `{"redirect_uris":5}`,
		`{"client_secret":{"__encrypted_data__":"Z0FBQUFB","__encryption_version__":1}}`,
		`{"__encrypted_data__":"!!","__encryption_version__":2}`,
		`{"jwks":` + strings.Repeat("[", 1100) + strings.Repeat("]", 1100) + `}`,
		`{"client_name":"\ud800","scope":"\u0000"}`,
	} {
		seeds = append(seeds, []byte(s))
	}
	return seeds
}

// joined returns the errors an errors.Join made, or err alone.
func joined(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
