package oauthclients_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
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

// TestSecretLostThroughJSONRefused: MarshalJSON writes a secret as
// [REDACTED], so a record that went through encoding/json and back holds
// the placeholder, not its secret. A write of it is refused, naming the
// field, and the stored secret stays.
func TestSecretLostThroughJSONRefused(t *testing.T) {
	ctx := context.Background()
	s, err := oauthclients.NewMemory(oauthclients.Options{Encrypter: newRing(t)})
	if err != nil {
		t.Fatal(err)
	}
	c := oauthclients.Client{ClientID: "k", RedirectURIs: []string{"https://app.example/cb"}, ClientSecret: "s3cret-value"}
	if err := s.Put(ctx, c); err != nil {
		t.Fatal(err)
	}
	text, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var back oauthclients.Client
	if err := json.Unmarshal(text, &back); err != nil {
		t.Fatal(err)
	}
	err = s.Put(ctx, back)
	var ve *kv.ValidationError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "client_secret") || !strings.Contains(err.Error(), "placeholder") {
		t.Fatalf("Put of a record whose secret went through MarshalJSON: %v; want a ValidationError naming client_secret", err)
	}
	got, _, err := s.Get(ctx, "k")
	if err != nil || got.ClientSecret != "s3cret-value" {
		t.Errorf("the stored secret changed: %v", err)
	}
}

// TestHashedUnmarshalsFromItsDigest: UnmarshalJSON reads a hashed field in
// its stored form, a sha256: digest, and refuses plaintext, which it would
// otherwise have to take for a digest.
func TestHashedUnmarshalsFromItsDigest(t *testing.T) {
	h := kv.Hash("token-value")
	var c oauthclients.Client
	if err := json.Unmarshal([]byte(`{"client_id":"k","registration_access_token":"`+h.Digest()+`"}`), &c); err != nil {
		t.Fatalf("UnmarshalJSON of a digest: %v", err)
	}
	if !c.VerifyRegistrationAccessToken("token-value") {
		t.Error("the digest read does not verify its token")
	}
	err := json.Unmarshal([]byte(`{"client_id":"k","registration_access_token":"token-value"}`), &c)
	if err == nil || !strings.Contains(err.Error(), "sha256:") {
		t.Errorf("UnmarshalJSON of a plaintext token: %v; want an error asking for a sha256: digest", err)
	}
}
