// Package oauthtest is what the adapters' end-to-end tests share: a client
// store on the tests' PostgreSQL, and an OAuth client's side of the token
// and authorization endpoints, spoken over HTTP as a client speaks it.
package oauthtest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/internal/pgtest"
	"github.com/kvgen/kvgen/kv"
)

// DB is a fresh database holding the oauth_clients table, with a store of
// clients sealed by a Fernet key ring, as a server keeps them.
type DB struct {
	Pool    *pgxpool.Pool
	Ring    *kv.KeyRing
	Clients *oauthclients.Store
	// Plain is a store over the same table without encryption, for the
	// rows that hold no secret (Untyped: any collection).
	Plain *oauthclients.Store
}

// NewDB creates the table in a fresh database of the tests' PostgreSQL.
func NewDB(t *testing.T) *DB {
	t.Helper()
	pool := pgtest.New(t)
	if err := oauthclients.CreateTable(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	key, err := kv.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ring, err := kv.ParseKeys(key)
	if err != nil {
		t.Fatal(err)
	}
	clients, err := oauthclients.New(pool, oauthclients.Options{Encrypter: ring})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := oauthclients.New(pool, oauthclients.Options{AllowPlaintext: true})
	if err != nil {
		t.Fatal(err)
	}
	return &DB{Pool: pool, Ring: ring, Clients: clients, Plain: plain}
}

// Register puts c in the client store.
func (db *DB) Register(t *testing.T, c oauthclients.Client) {
	t.Helper()
	if err := db.Clients.Put(context.Background(), c); err != nil {
		t.Fatal(err)
	}
}

// TokenResponse is a token endpoint's answer, success or error.
type TokenResponse struct {
	Status      int    `json:"-"`
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	Scope       string `json:"scope"`
	Error       string `json:"error"`
}

// PostToken posts form to the token endpoint at endpoint, with HTTP Basic
// credentials (form-encoded first, RFC 6749 section 2.3.1) when id is not
// empty.
func PostToken(t *testing.T, endpoint, id, secret string, form url.Values) TokenResponse {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := TokenResponse{Status: resp.StatusCode}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("token endpoint answered %d with no JSON: %v", resp.StatusCode, err)
	}
	return out
}

// MustSucceed fails the test unless the endpoint issued an access token.
func (r TokenResponse) MustSucceed(t *testing.T) {
	t.Helper()
	if r.Status != http.StatusOK || r.AccessToken == "" {
		t.Fatalf("token endpoint answered %d %q, want 200 with an access token", r.Status, r.Error)
	}
}

// MustFail fails the test unless the endpoint answered status and the
// error code, and issued no token.
func (r TokenResponse) MustFail(t *testing.T, status int, code string) {
	t.Helper()
	if r.Status != status || r.Error != code || r.AccessToken != "" {
		t.Fatalf("token endpoint answered %d %q (token issued: %t), want %d %q", r.Status, r.Error, r.AccessToken != "", status, code)
	}
}

// AuthorizeCode sends the authorization request q to endpoint, follows the
// redirects that stay on the endpoint's server (a login page, say), and
// returns the code of the redirect that leaves it, and what the server
// answered (that redirect, or its status when it did not redirect). The
// code is "" when the server answered with an error.
func AuthorizeCode(t *testing.T, endpoint string, q url.Values) (code, answer string) {
	t.Helper()
	start, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Host != start.Host || len(via) > 5 {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err := client.Get(endpoint + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		return "", resp.Status
	}
	if got := loc.Query().Get("state"); got != q.Get("state") {
		t.Fatalf("authorization endpoint redirected with state %q, want %q", got, q.Get("state"))
	}
	return loc.Query().Get("code"), loc.Redacted()
}

// PKCE returns a code verifier and its S256 challenge (RFC 7636).
func PKCE() (verifier, challenge string) {
	verifier = base64.RawURLEncoding.EncodeToString([]byte("a code verifier of the test, 43 characters or more"))
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// With returns a copy of q with change applied.
func With(q url.Values, change func(url.Values)) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	change(out)
	return out
}
