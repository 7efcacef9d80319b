package oauthclients_test

import (
	"context"
	"testing"

	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/kv"
)

// TestDefaultsApplyOnRead: a stored record that lacks a member with a
// default (a row Python or an older schema wrote) reads with the default,
// however the row is stored: plaintext, sealed as a whole, or read by a
// store without a key. The schema's token_endpoint_auth_method defaults to
// client_secret_basic.
func TestDefaultsApplyOnRead(t *testing.T) {
	ctx := context.Background()
	ring := newRing(t)
	row := map[string]any{"client_id": "k", "redirect_uris": []any{"https://app.example/cb"}}
	for _, tc := range []struct {
		name  string
		write func(s *oauthclients.Store, b kv.Backend) error
		read  oauthclients.Options
	}{
		{"plaintext, read with a key", func(_ *oauthclients.Store, b kv.Backend) error {
			return b.Put(ctx, oauthclients.DefaultCollection, "k", []byte(`{"client_id":"k","redirect_uris":["https://app.example/cb"]}`), nil)
		}, oauthclients.Options{Encrypter: ring}},
		{"plaintext, read without a key", func(_ *oauthclients.Store, b kv.Backend) error {
			return b.Put(ctx, oauthclients.DefaultCollection, "k", []byte(`{"client_id":"k","redirect_uris":["https://app.example/cb"]}`), nil)
		}, oauthclients.Options{AllowPlaintext: true}},
		{"sealed as a whole", func(s *oauthclients.Store, _ kv.Backend) error {
			return s.Untyped().Put(ctx, "", "k", row, 0)
		}, oauthclients.Options{Encrypter: ring}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := kv.NewMemory()
			writer, err := oauthclients.NewWithBackend(mem, oauthclients.Options{Encrypter: ring})
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.write(writer, mem); err != nil {
				t.Fatal(err)
			}
			s, err := oauthclients.NewWithBackend(mem, tc.read)
			if err != nil {
				t.Fatal(err)
			}
			got, ok, err := s.Get(ctx, "k")
			if err != nil || !ok {
				t.Fatalf("Get: %v, %v", ok, err)
			}
			if got.TokenEndpointAuthMethod != "client_secret_basic" {
				t.Errorf("token_endpoint_auth_method read as %q, want its default client_secret_basic", got.TokenEndpointAuthMethod)
			}
		})
	}
}
