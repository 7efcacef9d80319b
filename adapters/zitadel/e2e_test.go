package zitadel_test

import (
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/kvgen/kvgen/adapters/internal/oauthtest"
	"github.com/kvgen/kvgen/adapters/zitadel/example"
	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/internal/pgtest"
	"github.com/kvgen/kvgen/kv"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// start serves an op.Provider as the README builds it (package example),
// over the test's storage, with a login page at /login where alice signs in
// and consents at once. It returns the issuer, the provider's base URL.
func start(t *testing.T, db *oauthtest.DB) string {
	t.Helper()
	mux := http.NewServeMux()
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	issuer := ts.URL
	store := newStorage(t)
	config := &op.Config{CodeMethodS256: true, AuthMethodPost: true, AuthMethodPrivateKeyJWT: true}
	if _, err := rand.Read(config.CryptoKey[:]); err != nil {
		t.Fatal(err)
	}
	loginURL := func(id string) string { return "/login?id=" + url.QueryEscape(id) }
	provider, err := example.NewProvider(db.Pool, db.Ring, issuer, config, store, loginURL, op.WithAllowInsecure())
	if err != nil {
		t.Fatal(err)
	}
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("id")
		if err := store.login(id); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, issuer+"/authorize/callback?id="+url.QueryEscape(id), http.StatusFound)
	})
	mux.Handle("/", provider)
	return issuer
}

func service() oauthclients.Client {
	return oauthclients.Client{
		ClientID:                "service",
		ClientSecret:            kv.Secret("s3cret-of-the-service"),
		TokenEndpointAuthMethod: "client_secret_basic",
		RedirectURIs:            []string{"https://app.example.com/callback"},
		GrantTypes:              []string{"client_credentials"},
		Scope:                   "read write",
		ClientSecretExpiresAt:   time.Unix(0, 0), // what Python writes for "never"
	}
}

// TestClientCredentialsToken: op.Provider issues a client_credentials
// token to a confidential client read from PostgreSQL, for the scopes it
// registered and no other.
func TestClientCredentialsToken(t *testing.T) {
	db := oauthtest.NewDB(t)
	db.Register(t, service())
	token := start(t, db) + "/oauth/token"

	got := oauthtest.PostToken(t, token, "service", "s3cret-of-the-service",
		url.Values{"grant_type": {"client_credentials"}, "scope": {"read"}})
	got.MustSucceed(t)
	if got.Scope != "read" {
		t.Errorf("granted scope %q, want read", got.Scope)
	}
	oauthtest.PostToken(t, token, "service", "s3cret-of-the-service",
		url.Values{"grant_type": {"client_credentials"}, "scope": {"read admin"}}).
		MustFail(t, http.StatusBadRequest, "invalid_scope")
}

// TestWrongSecretRefused: a wrong secret, an expired one, an unknown
// client, a public client and a client that did not register the grant
// get no client_credentials token.
func TestWrongSecretRefused(t *testing.T) {
	db := oauthtest.NewDB(t)
	db.Register(t, service())
	expired := service()
	expired.ClientID, expired.ClientSecretExpiresAt = "expired", time.Now().Add(-time.Minute)
	db.Register(t, expired)
	public := service()
	public.ClientID, public.ClientSecret, public.TokenEndpointAuthMethod = "public", "", "none"
	db.Register(t, public)
	noGrant := service()
	noGrant.ClientID, noGrant.GrantTypes = "no-grant", []string{"authorization_code"}
	db.Register(t, noGrant)
	token := start(t, db) + "/oauth/token"
	cc := url.Values{"grant_type": {"client_credentials"}}

	oauthtest.PostToken(t, token, "service", "s3cret-of-the-servicE", cc).MustFail(t, http.StatusUnauthorized, "invalid_client")
	oauthtest.PostToken(t, token, "service", "", cc).MustFail(t, http.StatusUnauthorized, "invalid_client")
	oauthtest.PostToken(t, token, "expired", "s3cret-of-the-service", cc).MustFail(t, http.StatusUnauthorized, "invalid_client")
	oauthtest.PostToken(t, token, "nobody", "s3cret-of-the-service", cc).MustFail(t, http.StatusUnauthorized, "invalid_client")
	oauthtest.PostToken(t, token, "public", "", cc).MustFail(t, http.StatusUnauthorized, "invalid_client")
	oauthtest.PostToken(t, token, "no-grant", "s3cret-of-the-service", cc).MustFail(t, http.StatusBadRequest, "unauthorized_client")
}

// TestAuthorizationCodePKCE: a public client read from PostgreSQL, native
// by the mapping of its record, runs the authorization-code flow with PKCE
// through the login page on its loopback redirect URI, on a port of its
// choice (RFC 8252), and exchanges the code without a secret; a confidential
// client exchanges its code only with its secret, for the scopes it
// registered; an unregistered redirect URI gets no code.
func TestAuthorizationCodePKCE(t *testing.T) {
	db := oauthtest.NewDB(t)
	db.Register(t, oauthclients.Client{
		ClientID:                "native-app",
		TokenEndpointAuthMethod: "none",
		RedirectURIs:            []string{"http://127.0.0.1/callback"},
		Scope:                   "read",
	})
	web := service()
	web.ClientID, web.GrantTypes = "web-app", nil // RFC 7591's default: authorization_code
	db.Register(t, web)
	issuer := start(t, db)
	verifier, challenge := oauthtest.PKCE()
	redirect := "http://127.0.0.1:51004/callback"
	q := url.Values{
		"response_type": {"code"}, "client_id": {"native-app"}, "redirect_uri": {redirect}, "scope": {"openid read"},
		"state": {"state-of-the-test"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"},
	}
	code, answer := oauthtest.AuthorizeCode(t, issuer+"/authorize", q)
	if code == "" {
		t.Fatalf("authorization endpoint answered %s: want a code", answer)
	}
	got := oauthtest.PostToken(t, issuer+"/oauth/token", "", "", url.Values{
		"grant_type": {"authorization_code"}, "client_id": {"native-app"}, "code": {code},
		"redirect_uri": {redirect}, "code_verifier": {verifier},
	})
	got.MustSucceed(t)
	if got.Scope != "openid read" {
		t.Errorf("granted scope %q, want \"openid read\"", got.Scope)
	}

	webq := url.Values{
		"response_type": {"code"}, "client_id": {"web-app"}, "redirect_uri": {"https://app.example.com/callback"},
		"scope": {"openid read admin"}, "state": {"state-of-the-test"},
	}
	code, answer = oauthtest.AuthorizeCode(t, issuer+"/authorize", webq)
	if code == "" {
		t.Fatalf("authorization endpoint answered %s: want a code", answer)
	}
	exchange := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {"https://app.example.com/callback"}}
	oauthtest.PostToken(t, issuer+"/oauth/token", "web-app", "wrong", exchange).MustFail(t, http.StatusUnauthorized, "invalid_client")
	got = oauthtest.PostToken(t, issuer+"/oauth/token", "web-app", "s3cret-of-the-service", exchange)
	got.MustSucceed(t)
	if got.Scope != "openid read" {
		t.Errorf("granted scope %q, want \"openid read\": zitadel/oidc drops a scope the client did not register", got.Scope)
	}

	for _, c := range []struct {
		name   string
		change func(url.Values)
		want   string // in the answer
	}{
		{"unregistered redirect", func(q url.Values) { q.Set("redirect_uri", "https://evil.example.com/callback") }, "400 Bad Request"},
		{"unregistered loopback path", func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1:51004/other") }, "400 Bad Request"},
		{"unknown client", func(q url.Values) { q.Set("client_id", "nobody") }, "400 Bad Request"},
	} {
		code, answer := oauthtest.AuthorizeCode(t, issuer+"/authorize", oauthtest.With(q, c.change))
		if code != "" || !strings.Contains(answer, c.want) {
			t.Errorf("%s: authorization endpoint answered %s (code issued: %t), want %s", c.name, answer, code != "", c.want)
		}
	}
}
