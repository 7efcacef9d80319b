package zitadel_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/kvgen/kvgen/adapters/internal/oauthtest"
)

func rsaKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// assertion signs a private_key_jwt client assertion of client for the
// provider at issuer, with the key ID kid.
func assertion(t *testing.T, key *rsa.PrivateKey, kid, client, issuer string) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	payload, err := json.Marshal(map[string]any{
		"iss": client, "sub": client, "aud": issuer, "iat": now, "exp": now + 300, "jti": rand.Text(),
	})
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	compact, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return compact
}

// TestPrivateKeyJWTAuthorizationCode: a private_key_jwt client exchanges its
// code by an assertion that op.Provider verifies with the key of the jwks
// in its record (GetKeyByIDAndClientID); an assertion signed by another key,
// or naming a key ID the record lacks, is refused.
func TestPrivateKeyJWTAuthorizationCode(t *testing.T) {
	db := oauthtest.NewDB(t)
	key := rsaKey(t)
	set, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &key.PublicKey, KeyID: "key-1", Algorithm: "RS256", Use: "sig"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	c := service()
	c.ClientID, c.ClientSecret, c.GrantTypes = "signer", "", nil
	c.TokenEndpointAuthMethod, c.JWKS = "private_key_jwt", set
	db.Register(t, c)
	issuer := start(t, db)
	code, answer := oauthtest.AuthorizeCode(t, issuer+"/authorize", url.Values{
		"response_type": {"code"}, "client_id": {"signer"}, "redirect_uri": {"https://app.example.com/callback"},
		"scope": {"openid"}, "state": {"state-of-the-test"},
	})
	if code == "" {
		t.Fatalf("authorization endpoint answered %s: want a code", answer)
	}
	exchange := func(assertion string) oauthtest.TokenResponse {
		return oauthtest.PostToken(t, issuer+"/oauth/token", "", "", url.Values{
			"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {"https://app.example.com/callback"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
			"client_assertion":      {assertion},
		})
	}

	// zitadel/oidc answers a failed assertion with invalid_grant
	exchange(assertion(t, rsaKey(t), "key-1", "signer", issuer)).MustFail(t, http.StatusBadRequest, "invalid_grant")
	exchange(assertion(t, key, "key-2", "signer", issuer)).MustFail(t, http.StatusBadRequest, "invalid_grant")
	exchange(assertion(t, key, "key-1", "signer", issuer)).MustSucceed(t)
}
