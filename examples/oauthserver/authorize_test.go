package main

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// noRedirects is a client that hands redirects back instead of following
// them: an authorization answer is a redirect to the client.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// pkcePair returns a fresh code verifier and its S256 challenge.
func pkcePair() (verifier, challenge string) {
	verifier = randomToken(32)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorizeRequest sends an authorization request for a code with PKCE;
// extra overrides or adds parameters.
func (ts *testServer) authorizeRequest(t *testing.T, clientID, redirectURI, challenge string, extra url.Values) response {
	t.Helper()
	q := url.Values{
		"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirectURI},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}, "state": {"st-1"},
	}
	for k, v := range extra {
		q[k] = v
	}
	return do(t, noRedirects, newRequest(t, http.MethodGet, ts.URL+"/authorize?"+q.Encode(), nil))
}

// redirectParams checks that r sends the user agent back to redirectURI,
// with the issuer and state, and returns the parameters it carries.
func (ts *testServer) redirectParams(t *testing.T, r response, redirectURI string) url.Values {
	t.Helper()
	if r.status != http.StatusFound {
		t.Fatalf("authorization: status %d, body %s; want 302", r.status, r.raw)
	}
	loc, err := url.Parse(r.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	q := loc.Query()
	if base := strings.SplitN(loc.String(), "?", 2)[0]; base != redirectURI {
		t.Fatalf("redirected to %s, want %s", base, redirectURI)
	}
	if q.Get("state") != "st-1" || q.Get("iss") != ts.URL {
		t.Fatalf("redirect parameters %v: want state st-1 and iss %s", q, ts.URL)
	}
	return q
}

// exchangeCode asks /token for a token for code, as a public client.
func (ts *testServer) exchangeCode(t *testing.T, clientID, code, redirectURI, verifier string) response {
	t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "client_id": {clientID}, "code": {code},
		"redirect_uri": {redirectURI}, "code_verifier": {verifier}}
	req := newRequest(t, http.MethodPost, ts.URL+"/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(t, nil, req)
}

// authorizationCodeFlow runs the flow for a public client and returns the
// token response.
func (ts *testServer) authorizationCodeFlow(t *testing.T, clientID, redirectURI string) response {
	t.Helper()
	verifier, challenge := pkcePair()
	code := ts.redirectParams(t, ts.authorizeRequest(t, clientID, redirectURI, challenge, nil), redirectURI).Get("code")
	return ts.exchangeCode(t, clientID, code, redirectURI, verifier)
}

// TestAuthorizationCodeFlow: a public client gets a code at /authorize and
// exchanges it once, with its PKCE verifier, at /token; on PostgreSQL and
// in memory.
func TestAuthorizationCodeFlow(t *testing.T) {
	for name, open := range map[string]func(*testing.T) *testServer{"memory": newTestServer, "postgres": newPostgresTestServer} {
		t.Run(name, func(t *testing.T) {
			ts := open(t)
			const redirect = "http://127.0.0.1:9000/cb"
			reg := ts.mustRegister(t, metadata(redirect, map[string]any{"token_endpoint_auth_method": "none", "scope": "read write"}))
			verifier, challenge := pkcePair()
			params := ts.redirectParams(t, ts.authorizeRequest(t, reg.clientID, redirect, challenge, url.Values{"scope": {"read"}}), redirect)
			code := params.Get("code")
			tok := ts.exchangeCode(t, reg.clientID, code, redirect, verifier)
			if tok.status != http.StatusOK || tok.str("access_token") == "" || tok.str("scope") != "read" {
				t.Fatalf("code exchange: %d %s", tok.status, tok.raw)
			}
			if again := ts.exchangeCode(t, reg.clientID, code, redirect, verifier); again.status != http.StatusBadRequest || again.str("error") != "invalid_grant" {
				t.Errorf("second exchange of one code: %d %s, want 400 invalid_grant", again.status, again.raw)
			}
		})
	}
}

func TestAuthorizationCodeRefusals(t *testing.T) {
	ts := newTestServer(t)
	const redirect = "http://127.0.0.1:9000/cb"
	reg := ts.mustRegister(t, metadata(redirect, map[string]any{"token_endpoint_auth_method": "none"}))
	other := ts.mustRegister(t, metadata(redirect, map[string]any{"token_endpoint_auth_method": "none"}))
	machine := ts.mustRegister(t, metadata(redirect, map[string]any{"grant_types": []string{"client_credentials"}}))

	t.Run("at the authorization endpoint, before the redirect URI is trusted", func(t *testing.T) {
		_, challenge := pkcePair()
		for name, tc := range map[string]struct {
			clientID, redirect string
			wantCode           string
		}{
			"unknown client":        {"no-such-client", redirect, "invalid_client"},
			"no client":             {"", redirect, "invalid_request"},
			"unregistered redirect": {reg.clientID, "http://127.0.0.1:9001/cb", "invalid_request"},
			"redirect prefix":       {reg.clientID, redirect + "/more", "invalid_request"},
			"no redirect":           {reg.clientID, "", "invalid_request"},
		} {
			r := ts.authorizeRequest(t, tc.clientID, tc.redirect, challenge, nil)
			if r.status != http.StatusBadRequest || r.str("error") != tc.wantCode || r.header.Get("Location") != "" {
				t.Errorf("%s: %d %s (Location %q), want 400 %s and no redirect", name, r.status, r.raw, r.header.Get("Location"), tc.wantCode)
			}
		}
	})
	t.Run("at the authorization endpoint, sent back to the client", func(t *testing.T) {
		_, challenge := pkcePair()
		for name, tc := range map[string]struct {
			clientID string
			extra    url.Values
			wantCode string
		}{
			"no PKCE":                 {reg.clientID, url.Values{"code_challenge": {""}}, "invalid_request"},
			"plain PKCE":              {reg.clientID, url.Values{"code_challenge_method": {"plain"}}, "invalid_request"},
			"short challenge":         {reg.clientID, url.Values{"code_challenge": {"abc"}}, "invalid_request"},
			"token response type":     {reg.clientID, url.Values{"response_type": {"token"}}, "unsupported_response_type"},
			"scope not registered":    {reg.clientID, url.Values{"scope": {"admin"}}, "invalid_scope"},
			"client_credentials only": {machine.clientID, nil, "unauthorized_client"},
		} {
			q := ts.redirectParams(t, ts.authorizeRequest(t, tc.clientID, redirect, challenge, tc.extra), redirect)
			if q.Get("error") != tc.wantCode || q.Get("code") != "" {
				t.Errorf("%s: redirect parameters %v, want error %s and no code", name, q, tc.wantCode)
			}
		}
	})
	t.Run("repeated parameter", func(t *testing.T) {
		r := do(t, noRedirects, newRequest(t, http.MethodGet, ts.URL+"/authorize?client_id="+reg.clientID+"&client_id="+other.clientID, nil))
		if r.status != http.StatusBadRequest || r.str("error") != "invalid_request" {
			t.Errorf("got %d %s, want 400 invalid_request", r.status, r.raw)
		}
	})
	t.Run("at the token endpoint", func(t *testing.T) {
		for name, exchange := range map[string]func(code, verifier string) response{
			"wrong verifier": func(code, _ string) response {
				v, _ := pkcePair()
				return ts.exchangeCode(t, reg.clientID, code, redirect, v)
			},
			"no verifier":      func(code, _ string) response { return ts.exchangeCode(t, reg.clientID, code, redirect, "") },
			"another client":   func(code, v string) response { return ts.exchangeCode(t, other.clientID, code, redirect, v) },
			"another redirect": func(code, v string) response { return ts.exchangeCode(t, reg.clientID, code, redirect+"x", v) },
			"an unknown code":  func(_, v string) response { return ts.exchangeCode(t, reg.clientID, randomToken(32), redirect, v) },
		} {
			verifier, challenge := pkcePair()
			code := ts.redirectParams(t, ts.authorizeRequest(t, reg.clientID, redirect, challenge, nil), redirect).Get("code")
			if r := exchange(code, verifier); r.status != http.StatusBadRequest || r.str("error") != "invalid_grant" {
				t.Errorf("%s: %d %s, want 400 invalid_grant", name, r.status, r.raw)
			}
			// A failed exchange burns the code: the right one fails after it.
			if name != "an unknown code" && name != "another client" {
				if r := ts.exchangeCode(t, reg.clientID, code, redirect, verifier); r.status != http.StatusBadRequest {
					t.Errorf("%s: the code still worked after a failed exchange: %d %s", name, r.status, r.raw)
				}
			}
		}
	})
	t.Run("an expired code", func(t *testing.T) {
		clock := newTestClock(time.Now())
		ts := serveWith(t, memoryStores(t, clock.now), serverOptions{now: clock.now})
		reg := ts.mustRegister(t, metadata(redirect, map[string]any{"token_endpoint_auth_method": "none"}))
		verifier, challenge := pkcePair()
		code := ts.redirectParams(t, ts.authorizeRequest(t, reg.clientID, redirect, challenge, nil), redirect).Get("code")
		clock.advance(codeLifetime)
		if r := ts.exchangeCode(t, reg.clientID, code, redirect, verifier); r.status != http.StatusBadRequest || r.str("error") != "invalid_grant" {
			t.Errorf("a code %v old: %d %s, want 400 invalid_grant", codeLifetime, r.status, r.raw)
		}
	})
	t.Run("a confidential client authenticates", func(t *testing.T) {
		conf := ts.mustRegister(t, metadata(redirect, nil))
		verifier, challenge := pkcePair()
		code := ts.redirectParams(t, ts.authorizeRequest(t, conf.clientID, redirect, challenge, nil), redirect).Get("code")
		if r := ts.exchangeCode(t, conf.clientID, code, redirect, verifier); r.status != http.StatusUnauthorized || r.str("error") != "invalid_client" {
			t.Errorf("a confidential client without its secret: %d %s, want 401 invalid_client", r.status, r.raw)
		}
	})
}

// TestServerMetadata: the metadata that MCP clients read says where the
// endpoints are, that PKCE is S256, and whether metadata documents are accepted.
func TestServerMetadata(t *testing.T) {
	ts := newTestServer(t)
	r := withBearer(t, nil, http.MethodGet, ts.URL+"/.well-known/oauth-authorization-server", "")
	if r.status != http.StatusOK || r.str("token_endpoint") != ts.URL+"/token" || r.str("authorization_endpoint") != ts.URL+"/authorize" ||
		r.str("issuer") != ts.URL || strings.Join(stringList(r.body["code_challenge_methods_supported"]), ",") != "S256" {
		t.Errorf("metadata: %d %s", r.status, r.raw)
	}
	if supported, _ := r.body["client_id_metadata_document_supported"].(bool); supported {
		t.Errorf("a server without CIMD says it supports it: %s", r.raw)
	}
}

// testClock is a clock that tests move by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock(start time.Time) *testClock { return &testClock{t: start} }

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
