package gooauth2_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-oauth2/oauth2/v4/server"

	"github.com/kvgen/kvgen/adapters/gooauth2/example"
	"github.com/kvgen/kvgen/adapters/internal/oauthtest"
	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/internal/pgtest"
	"github.com/kvgen/kvgen/kv"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// start serves go-oauth2's server as the README builds it (package
// example) at /authorize and /token. The user behind every authorization
// request is alice, who consents.
func start(t *testing.T, db *oauthtest.DB) string {
	t.Helper()
	srv, err := example.NewServer(db.Pool, db.Ring)
	if err != nil {
		t.Fatal(err)
	}
	srv.SetClientInfoHandler(clientCredentials)
	srv.SetUserAuthorizationHandler(func(http.ResponseWriter, *http.Request) (string, error) { return "alice", nil })

	mux := http.NewServeMux()
	mux.HandleFunc("/authorize", func(w http.ResponseWriter, r *http.Request) {
		if err := srv.HandleAuthorizeRequest(w, r); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) { _ = srv.HandleTokenRequest(w, r) })
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts.URL
}

// clientCredentials reads HTTP Basic credentials, else a public client's
// client_id from the form.
func clientCredentials(r *http.Request) (string, string, error) {
	if _, _, ok := r.BasicAuth(); ok {
		return server.ClientBasicHandler(r)
	}
	return server.ClientFormHandler(r)
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

// TestClientCredentialsToken: go-oauth2's server issues a token to a
// confidential client read from PostgreSQL, for the scopes it registered.
func TestClientCredentialsToken(t *testing.T) {
	db := oauthtest.NewDB(t)
	db.Register(t, service())
	base := start(t, db)

	got := oauthtest.PostToken(t, base+"/token", "service", "s3cret-of-the-service",
		url.Values{"grant_type": {"client_credentials"}, "scope": {"read write"}})
	got.MustSucceed(t)
	if got.Scope != "read write" {
		t.Errorf("granted scope %q, want \"read write\"", got.Scope)
	}
	oauthtest.PostToken(t, base+"/token", "service", "s3cret-of-the-service",
		url.Values{"grant_type": {"client_credentials"}, "scope": {"read admin"}}).
		MustFail(t, http.StatusBadRequest, "invalid_scope")
}

// TestWrongSecretRefused: a wrong secret, an expired one, an unknown
// client, a public client and a grant the client did not register get no
// token.
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
	base := start(t, db)
	cc := url.Values{"grant_type": {"client_credentials"}}

	oauthtest.PostToken(t, base+"/token", "service", "s3cret-of-the-servicE", cc).MustFail(t, http.StatusUnauthorized, "invalid_client")
	oauthtest.PostToken(t, base+"/token", "service", "", cc).MustFail(t, http.StatusUnauthorized, "invalid_client")
	oauthtest.PostToken(t, base+"/token", "expired", "s3cret-of-the-service", cc).MustFail(t, http.StatusUnauthorized, "invalid_client")
	oauthtest.PostToken(t, base+"/token", "nobody", "s3cret-of-the-service", cc).MustFail(t, http.StatusUnauthorized, "unauthorized_client")
	oauthtest.PostToken(t, base+"/token", "", "", url.Values{"grant_type": {"client_credentials"}, "client_id": {"public"}}).
		MustFail(t, http.StatusUnauthorized, "invalid_client")
	oauthtest.PostToken(t, base+"/token", "no-grant", "s3cret-of-the-service", cc).MustFail(t, http.StatusUnauthorized, "unauthorized_client")
}

// TestAuthorizationCodePKCE: a public client read from PostgreSQL runs the
// authorization-code flow with PKCE on one of its registered redirect URIs
// and exchanges the code without a secret; an unregistered redirect URI or
// scope gets no code.
func TestAuthorizationCodePKCE(t *testing.T) {
	db := oauthtest.NewDB(t)
	db.Register(t, oauthclients.Client{
		ClientID:                "native-app",
		TokenEndpointAuthMethod: "none",
		RedirectURIs:            []string{"https://app.example.com/callback", "http://127.0.0.1/callback"},
		Scope:                   "read",
	})
	base := start(t, db)
	verifier, challenge := oauthtest.PKCE()
	redirect := "http://127.0.0.1:51004/callback"
	q := url.Values{
		"response_type": {"code"}, "client_id": {"native-app"}, "redirect_uri": {redirect}, "scope": {"read"},
		"state": {"state-of-the-test"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"},
	}
	code, answer := oauthtest.AuthorizeCode(t, base+"/authorize", q)
	if code == "" {
		t.Fatalf("authorization endpoint answered %s: want a code", answer)
	}
	exchange := url.Values{
		"grant_type": {"authorization_code"}, "client_id": {"native-app"}, "code": {code},
		"redirect_uri": {redirect}, "code_verifier": {verifier},
	}
	oauthtest.PostToken(t, base+"/token", "", "", oauthtest.With(exchange, func(q url.Values) { q.Set("client_secret", "guess") })).
		MustFail(t, http.StatusUnauthorized, "invalid_client")
	oauthtest.PostToken(t, base+"/token", "", "", exchange).MustSucceed(t)

	for _, c := range []struct {
		name   string
		change func(url.Values)
		want   string // in the answer
	}{
		{"unregistered redirect", func(q url.Values) { q.Set("redirect_uri", "https://app.example.com.evil.example/callback") }, "400 Bad Request"},
		{"unknown client", func(q url.Values) { q.Set("client_id", "nobody") }, "400 Bad Request"},
		{"unregistered scope", func(q url.Values) { q.Set("scope", "read admin") }, "error=invalid_scope"},
	} {
		code, answer := oauthtest.AuthorizeCode(t, base+"/authorize", oauthtest.With(q, c.change))
		if code != "" || !strings.Contains(answer, c.want) {
			t.Errorf("%s: authorization endpoint answered %s (code issued: %t), want %s", c.name, answer, code != "", c.want)
		}
	}
}
