package fosite_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v3"
	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/storage"

	kvfosite "github.com/kvgen/kvgen/adapters/fosite"
	"github.com/kvgen/kvgen/adapters/internal/oauthtest"
	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/internal/pgtest"
	"github.com/kvgen/kvgen/kv"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// testStorage is fosite's memory storage for what a provider keeps of its
// flows (codes, tokens, PKCE), with the clients and JTIs of the adapter.
type testStorage struct {
	*storage.MemoryStore
	clients *kvfosite.Store
}

func (s *testStorage) GetClient(ctx context.Context, id string) (fosite.Client, error) {
	return s.clients.GetClient(ctx, id)
}

func (s *testStorage) ClientAssertionJWTValid(ctx context.Context, jti string) error {
	return s.clients.ClientAssertionJWTValid(ctx, jti)
}

func (s *testStorage) SetClientAssertionJWT(ctx context.Context, jti string, exp time.Time) error {
	return s.clients.SetClientAssertionJWT(ctx, jti, exp)
}

// world is a PostgreSQL database with an encrypted client store, shared by
// the providers (replicas) a test starts over it.
type world struct {
	*oauthtest.DB
	signing *rsa.PrivateKey
}

func newWorld(t *testing.T) *world {
	return &world{DB: oauthtest.NewDB(t), signing: rsaKey(t)}
}

func rsaKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// provider is one replica: fosite's ComposeAllEnabled over the adapter,
// served at /auth and /token.
type provider struct {
	srv    *httptest.Server
	oauth2 fosite.OAuth2Provider
}

const audience = "https://api.example.com"

func (w *world) start(t *testing.T, hasher fosite.Hasher) *provider {
	t.Helper()
	store, err := kvfosite.New(w.Clients, w.Plain.Untyped(), kvfosite.Options{Audience: []string{audience}})
	if err != nil {
		t.Fatal(err)
	}
	return serve(t, func(config *fosite.Config) fosite.OAuth2Provider {
		config.ClientSecretsHasher = hasher
		return compose.ComposeAllEnabled(config, &testStorage{MemoryStore: storage.NewMemoryStore(), clients: store}, w.signing)
	})
}

// serve starts the provider that build makes of a configuration whose
// TokenURL is its token endpoint.
func serve(t *testing.T, build func(*fosite.Config) fosite.OAuth2Provider) *provider {
	t.Helper()
	p := &provider{}
	mux := http.NewServeMux()
	mux.HandleFunc("/auth", p.authorize)
	mux.HandleFunc("/token", p.token)
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	p.oauth2 = build(&fosite.Config{
		GlobalSecret:                []byte("a global secret of 32 bytes, ok!"),
		TokenURL:                    p.srv.URL + "/token",
		EnforcePKCEForPublicClients: true,
	})
	return p
}

func session() *openid.DefaultSession {
	s := openid.NewDefaultSession()
	s.Subject, s.Claims.Subject = "alice", "alice"
	return s
}

// authorize grants every scope and audience asked for: a user who consents
// to everything, so that what is refused is refused by the client's record.
func (p *provider) authorize(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ar, err := p.oauth2.NewAuthorizeRequest(ctx, r)
	if err != nil {
		p.oauth2.WriteAuthorizeError(ctx, w, ar, err)
		return
	}
	grantAll(ar)
	resp, err := p.oauth2.NewAuthorizeResponse(ctx, ar, session())
	if err != nil {
		p.oauth2.WriteAuthorizeError(ctx, w, ar, err)
		return
	}
	p.oauth2.WriteAuthorizeResponse(ctx, w, ar, resp)
}

func (p *provider) token(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ar, err := p.oauth2.NewAccessRequest(ctx, r, session())
	if err != nil {
		p.oauth2.WriteAccessError(ctx, w, ar, err)
		return
	}
	if ar.GetGrantTypes().ExactOne("client_credentials") {
		grantAll(ar)
	}
	resp, err := p.oauth2.NewAccessResponse(ctx, ar)
	if err != nil {
		p.oauth2.WriteAccessError(ctx, w, ar, err)
		return
	}
	p.oauth2.WriteAccessResponse(ctx, w, ar, resp)
}

func grantAll(ar fosite.Requester) {
	for _, s := range ar.GetRequestedScopes() {
		ar.GrantScope(s)
	}
	for _, a := range ar.GetRequestedAudience() {
		ar.GrantAudience(a)
	}
}

func (p *provider) postToken(t *testing.T, id, secret string, form url.Values) oauthtest.TokenResponse {
	t.Helper()
	return oauthtest.PostToken(t, p.srv.URL+"/token", id, secret, form)
}

func confidential(id, secret string) oauthclients.Client {
	return oauthclients.Client{
		ClientID:                id,
		ClientSecret:            kv.Secret(secret),
		TokenEndpointAuthMethod: "client_secret_basic",
		RedirectURIs:            []string{"https://app.example.com/callback"},
		GrantTypes:              []string{"client_credentials"},
		Scope:                   "read write",
		// what Python writes for a secret that never expires
		ClientSecretExpiresAt: time.Unix(0, 0),
	}
}

// TestClientCredentialsToken: a confidential client read from PostgreSQL
// gets a token with its secret, for the scopes and audience it may request,
// and no other.
func TestClientCredentialsToken(t *testing.T) {
	w := newWorld(t)
	w.Register(t, confidential("service", "s3cret-of-the-service"))
	p := w.start(t, kvfosite.Hasher{})

	got := p.postToken(t, "service", "s3cret-of-the-service", url.Values{
		"grant_type": {"client_credentials"}, "scope": {"read"}, "audience": {audience},
	})
	got.MustSucceed(t)
	if got.Scope != "read" {
		t.Errorf("granted scope %q, want read", got.Scope)
	}
	p.postToken(t, "service", "s3cret-of-the-service", url.Values{
		"grant_type": {"client_credentials"}, "scope": {"admin"},
	}).MustFail(t, http.StatusBadRequest, "invalid_scope")
	p.postToken(t, "service", "s3cret-of-the-service", url.Values{
		"grant_type": {"client_credentials"}, "audience": {"https://elsewhere.example.com"},
	}).MustFail(t, http.StatusBadRequest, "invalid_request")
}

// TestWrongSecretRefused: a wrong secret, an expired one, a secret sent by
// a method the client did not register, an unknown client and a public
// client's client_credentials get no token.
func TestWrongSecretRefused(t *testing.T) {
	w := newWorld(t)
	w.Register(t, confidential("service", "s3cret-of-the-service"))
	expired := confidential("expired", "s3cret-that-expired")
	expired.ClientSecretExpiresAt = time.Now().Add(-time.Minute)
	w.Register(t, expired)
	public := confidential("public", "")
	public.TokenEndpointAuthMethod = "none"
	w.Register(t, public)
	p := w.start(t, kvfosite.Hasher{})
	cc := url.Values{"grant_type": {"client_credentials"}}

	p.postToken(t, "service", "s3cret-of-the-servicE", cc).MustFail(t, http.StatusUnauthorized, "invalid_client")
	p.postToken(t, "service", "", cc).MustFail(t, http.StatusUnauthorized, "invalid_client")
	p.postToken(t, "expired", "s3cret-that-expired", cc).MustFail(t, http.StatusUnauthorized, "invalid_client")
	p.postToken(t, "nobody", "s3cret-of-the-service", cc).MustFail(t, http.StatusUnauthorized, "invalid_client")
	post := url.Values{"grant_type": {"client_credentials"}, "client_id": {"service"}, "client_secret": {"s3cret-of-the-service"}}
	p.postToken(t, "", "", post).MustFail(t, http.StatusUnauthorized, "invalid_client")
	p.postToken(t, "", "", url.Values{"grant_type": {"client_credentials"}, "client_id": {"public"}}).
		MustFail(t, http.StatusBadRequest, "invalid_grant")
}

// TestWithoutHasherConfidentialClientsRefused: a provider left with fosite's
// default bcrypt hasher refuses the right secret: the mistake fails closed.
func TestWithoutHasherConfidentialClientsRefused(t *testing.T) {
	w := newWorld(t)
	w.Register(t, confidential("service", "s3cret-of-the-service"))
	p := w.start(t, nil)
	p.postToken(t, "service", "s3cret-of-the-service", url.Values{"grant_type": {"client_credentials"}}).
		MustFail(t, http.StatusUnauthorized, "invalid_client")
}

func nativeApp() oauthclients.Client {
	return oauthclients.Client{
		ClientID:                "native-app",
		TokenEndpointAuthMethod: "none",
		RedirectURIs:            []string{"http://127.0.0.1/callback", "https://app.example.com/callback"},
		GrantTypes:              []string{"authorization_code", "refresh_token"},
		ResponseTypes:           []string{"code"},
		Scope:                   "openid read",
	}
}

// TestAuthorizationCodePKCE: a public client (token_endpoint_auth_method
// none) read from PostgreSQL runs the authorization-code flow with PKCE on
// its registered loopback redirect URI, on a port of its choice (RFC 8252),
// and exchanges the code without a secret; a redirect URI or a scope it did
// not register is refused at the authorization endpoint.
func TestAuthorizationCodePKCE(t *testing.T) {
	w := newWorld(t)
	w.Register(t, nativeApp())
	p := w.start(t, kvfosite.Hasher{})
	verifier, challenge := oauthtest.PKCE()
	redirect := "http://127.0.0.1:51004/callback"
	q := url.Values{
		"response_type": {"code"}, "client_id": {"native-app"}, "redirect_uri": {redirect},
		"scope": {"openid read"}, "state": {"state-of-the-test"}, "nonce": {"nonce-of-the-test"},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"},
	}
	code, answer := oauthtest.AuthorizeCode(t, p.srv.URL+"/auth", q)
	if code == "" {
		t.Fatalf("authorization endpoint answered %s: want a code", answer)
	}
	got := p.postToken(t, "", "", url.Values{
		"grant_type": {"authorization_code"}, "client_id": {"native-app"}, "code": {code},
		"redirect_uri": {redirect}, "code_verifier": {verifier},
	})
	got.MustSucceed(t)
	if got.Scope != "openid read" {
		t.Errorf("granted scope %q, want \"openid read\"", got.Scope)
	}

	for _, c := range []struct {
		name   string
		change func(url.Values)
		want   string // in the answer
	}{
		{"unregistered redirect", func(q url.Values) { q.Set("redirect_uri", "https://evil.example.com/callback") }, "400 Bad Request"},
		{"unregistered scope", func(q url.Values) { q.Set("scope", "openid admin") }, "error=invalid_scope"},
		{"no PKCE", func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") }, "error=invalid_request"},
	} {
		bad := oauthtest.With(q, c.change)
		if code, answer := oauthtest.AuthorizeCode(t, p.srv.URL+"/auth", bad); code != "" || !strings.Contains(answer, c.want) {
			t.Errorf("%s: authorization endpoint answered %s (code issued: %t), want %s", c.name, answer, code != "", c.want)
		}
	}
}

// TestConfidentialAuthorizationCode: a confidential client exchanges its
// code only with its secret, sent the way it registered.
func TestConfidentialAuthorizationCode(t *testing.T) {
	w := newWorld(t)
	c := confidential("web-app", "s3cret-of-the-web-app")
	c.GrantTypes, c.ResponseTypes, c.Scope = nil, nil, "read" // RFC 7591's defaults: authorization_code, code
	w.Register(t, c)
	p := w.start(t, kvfosite.Hasher{})
	q := url.Values{
		"response_type": {"code"}, "client_id": {"web-app"}, "redirect_uri": {"https://app.example.com/callback"},
		"scope": {"read"}, "state": {"state-of-the-test"},
	}
	code, answer := oauthtest.AuthorizeCode(t, p.srv.URL+"/auth", q)
	if code == "" {
		t.Fatalf("authorization endpoint answered %s: want a code", answer)
	}
	exchange := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {"https://app.example.com/callback"}}
	p.postToken(t, "web-app", "wrong", exchange).MustFail(t, http.StatusUnauthorized, "invalid_client")
	p.postToken(t, "web-app", "s3cret-of-the-web-app", exchange).MustSucceed(t)
	p.postToken(t, "web-app", "s3cret-of-the-web-app", url.Values{"grant_type": {"client_credentials"}}).
		MustFail(t, http.StatusBadRequest, "unauthorized_client")
}

// assertion signs the claims of a private_key_jwt client assertion.
func assertion(t *testing.T, key *rsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "key-1"))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
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

func jwks(t *testing.T, key *rsa.PrivateKey) json.RawMessage {
	t.Helper()
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "key-1", Algorithm: "RS256", Use: "sig"}}}
	raw, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestClientAssertionReplayRefused: a private_key_jwt client authenticates
// with a signed assertion checked against the jwks of its record; the same
// assertion presented again, to another replica over the same database, is
// refused, because the first replica recorded its JTI in PostgreSQL: a
// plaintext row of the JTI collection that expires after the assertion.
func TestClientAssertionReplayRefused(t *testing.T) {
	w := newWorld(t)
	key := rsaKey(t)
	c := confidential("signer", "")
	c.TokenEndpointAuthMethod, c.JWKS = "private_key_jwt", jwks(t, key)
	w.Register(t, c)
	first, second := w.start(t, kvfosite.Hasher{}), w.start(t, kvfosite.Hasher{})
	exp := time.Now().Add(10 * time.Minute).Unix()
	signed := func(p *provider, jti string) string {
		return assertion(t, key, map[string]any{
			"iss": "signer", "sub": "signer", "aud": p.srv.URL + "/token", "jti": jti, "exp": exp,
		})
	}
	form := func(assertion string) url.Values {
		return url.Values{
			"grant_type":            {"client_credentials"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
			"client_assertion":      {assertion},
		}
	}

	first.postToken(t, "", "", form(signed(first, "jti-1"))).MustSucceed(t)
	first.postToken(t, "", "", form(signed(first, "jti-1"))).MustFail(t, http.StatusBadRequest, "jti_known")
	second.postToken(t, "", "", form(signed(second, "jti-1"))).MustFail(t, http.StatusBadRequest, "jti_known")
	second.postToken(t, "", "", form(signed(second, "jti-2"))).MustSucceed(t)
	other := rsaKey(t)
	second.postToken(t, "", "", form(assertion(t, other, map[string]any{
		"iss": "signer", "sub": "signer", "aud": second.srv.URL + "/token", "jti": "jti-3", "exp": exp,
	}))).MustFail(t, http.StatusUnauthorized, "invalid_client")

	var value string
	var ttl float64
	err := w.Pool.QueryRow(context.Background(),
		"SELECT value::text, ttl FROM oauth_clients WHERE collection = $1 AND key = $2",
		kvfosite.DefaultJTICollection, hexSHA256("jti-1")).Scan(&value, &ttl)
	if err != nil {
		t.Fatalf("the JTI's row: %v", err)
	}
	if want := fmt.Sprintf(`{"exp": %d}`, exp); value != want {
		t.Errorf("the JTI's row holds %s, want %s", value, want)
	}
	if left := time.Until(time.Unix(exp, 0)).Seconds(); ttl < left || ttl > left+10*60 {
		t.Errorf("the JTI's row has ttl %.0fs, want the assertion's %.0fs and a margin of minutes", ttl, left)
	}
}

func hexSHA256(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
