package main

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestTokenAuthenticatesClients(t *testing.T) {
	ts := newTestServer(t)
	cc := []string{"client_credentials"}
	basic := ts.mustRegister(t, metadata("https://a.example/cb", map[string]any{"grant_types": cc, "token_endpoint_auth_method": authSecretBasic}))
	post := ts.mustRegister(t, metadata("https://a.example/cb", map[string]any{"grant_types": cc, "token_endpoint_auth_method": authSecretPost}))

	for _, c := range []registration{basic, post} {
		r := requestToken(t, nil, ts.URL, c.method, c.clientID, c.clientSecret, nil)
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d %s", c.method, r.status, r.raw)
		}
		if len(r.str("access_token")) != 43 || r.str("token_type") != "Bearer" || r.body["expires_in"] != float64(3600) {
			t.Errorf("%s: token response %s", c.method, r.raw)
		}
		if r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: token response may be cached", c.method)
		}
	}

	// RFC 6749 section 2.3.1: Basic credentials are form-urlencoded, so an
	// escaped ID is the same ID.
	req := newRequest(t, http.MethodPost, ts.URL+"/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(percentEncodeAll(basic.clientID), basic.clientSecret)
	if r := do(t, nil, req); r.status != http.StatusOK {
		t.Errorf("percent-encoded Basic client_id: %d %s", r.status, r.raw)
	}
}

// percentEncodeAll escapes every byte, as a client's form encoding may.
func percentEncodeAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteString("%" + strings.ToUpper(string("0123456789abcdef"[s[i]>>4])+string("0123456789abcdef"[s[i]&15])))
	}
	return b.String()
}

func TestTokenRejectsBadClients(t *testing.T) {
	ts := newTestServer(t)
	cc := []string{"client_credentials"}
	basic := ts.mustRegister(t, metadata("https://a.example/cb", map[string]any{"grant_types": cc, "token_endpoint_auth_method": authSecretBasic}))
	post := ts.mustRegister(t, metadata("https://a.example/cb", map[string]any{"grant_types": cc, "token_endpoint_auth_method": authSecretPost}))
	public := ts.mustRegister(t, metadata("http://localhost:3000/cb", map[string]any{"token_endpoint_auth_method": authNone}))

	tests := []struct {
		name, method, id, secret string
		wantChallenge            bool
	}{
		{"wrong secret, basic", authSecretBasic, basic.clientID, basic.clientSecret + "x", true},
		{"wrong secret, post", authSecretPost, post.clientID, "wrong", false},
		{"empty secret, basic", authSecretBasic, basic.clientID, "", true},
		{"other client's secret", authSecretBasic, basic.clientID, post.clientSecret, true},
		{"unknown client", authSecretBasic, "no-such-client", basic.clientSecret, true},
		{"basic client using post", authSecretPost, basic.clientID, basic.clientSecret, false},
		{"post client using basic", authSecretBasic, post.clientID, post.clientSecret, true},
		{"client_id alone", authNone, basic.clientID, "", false},
		{"public client, client_id alone", authNone, public.clientID, "", false},
		{"public client, empty Basic secret", authSecretBasic, public.clientID, "", true},
		{"public client, empty post secret", authSecretPost, public.clientID, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := requestToken(t, nil, ts.URL, tt.method, tt.id, tt.secret, nil)
			if r.status != http.StatusUnauthorized || r.str("error") != "invalid_client" {
				t.Fatalf("got %d %s, want 401 invalid_client", r.status, r.raw)
			}
			if got := r.header.Get("WWW-Authenticate"); (got != "") != tt.wantChallenge || (tt.wantChallenge && !strings.HasPrefix(got, "Basic")) {
				t.Errorf("WWW-Authenticate %q, want a Basic challenge: %v", got, tt.wantChallenge)
			}
			if _, issued := r.body["access_token"]; issued {
				t.Error("an access token was issued")
			}
		})
	}
}

func TestTokenRejectsBadRequests(t *testing.T) {
	ts := newTestServer(t)
	reg := ts.mustRegister(t, metadata("https://a.example/cb", map[string]any{"grant_types": []string{"client_credentials"}, "scope": "read write"}))
	codeClient := ts.mustRegister(t, metadata("https://a.example/cb", nil)) // authorization_code + refresh_token

	send := func(t *testing.T, form url.Values, basicID, basicSecret string) response {
		t.Helper()
		req := newRequest(t, http.MethodPost, ts.URL+"/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if basicID != "" {
			req.SetBasicAuth(basicID, basicSecret)
		}
		return do(t, nil, req)
	}
	tests := []struct {
		name     string
		form     url.Values
		basic    bool
		status   int
		wantCode string
	}{
		{"no grant_type", url.Values{}, true, 400, "invalid_request"},
		{"refresh_token grant", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}, true, 400, "unsupported_grant_type"},
		{"authorization_code grant of a client not registered for it", url.Values{"grant_type": {"authorization_code"}, "code": {"x"}}, true, 400, "unauthorized_client"},
		{"password grant", url.Values{"grant_type": {"password"}}, true, 400, "unsupported_grant_type"},
		{"two authentication methods", url.Values{"grant_type": {"client_credentials"}, "client_secret": {reg.clientSecret}}, true, 400, "invalid_request"},
		{"no authentication", url.Values{"grant_type": {"client_credentials"}}, false, 401, "invalid_client"},
		{"scope beyond the registered one", url.Values{"grant_type": {"client_credentials"}, "scope": {"read admin"}}, true, 400, "invalid_scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, secret := "", ""
			if tt.basic {
				id, secret = reg.clientID, reg.clientSecret
			}
			r := send(t, tt.form, id, secret)
			if r.status != tt.status || r.str("error") != tt.wantCode {
				t.Fatalf("got %d %s, want %d %s", r.status, r.raw, tt.status, tt.wantCode)
			}
		})
	}

	t.Run("client not registered for client_credentials", func(t *testing.T) {
		r := requestToken(t, nil, ts.URL, authSecretBasic, codeClient.clientID, codeClient.clientSecret, nil)
		if r.status != http.StatusBadRequest || r.str("error") != "unauthorized_client" {
			t.Fatalf("got %d %s, want 400 unauthorized_client", r.status, r.raw)
		}
	})
	t.Run("scope within the registered one", func(t *testing.T) {
		r := requestToken(t, nil, ts.URL, authSecretBasic, reg.clientID, reg.clientSecret, url.Values{"scope": {"read"}})
		if r.status != http.StatusOK || r.str("scope") != "read" {
			t.Fatalf("got %d %s, want 200 with scope read", r.status, r.raw)
		}
	})
	t.Run("a Bearer token is no client authentication", func(t *testing.T) {
		req := newRequest(t, http.MethodPost, ts.URL+"/token", strings.NewReader("grant_type=client_credentials"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer "+reg.clientSecret)
		r := do(t, nil, req)
		if r.status != http.StatusUnauthorized || r.str("error") != "invalid_client" || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic") {
			t.Fatalf("got %d %s (WWW-Authenticate %q), want 401 invalid_client with a Basic challenge", r.status, r.raw, r.header.Get("WWW-Authenticate"))
		}
	})
	t.Run("parameters in the query string do not count", func(t *testing.T) {
		req := newRequest(t, http.MethodPost, ts.URL+"/token?grant_type=client_credentials", strings.NewReader(""))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(reg.clientID, reg.clientSecret)
		if r := do(t, nil, req); r.status != http.StatusBadRequest || r.str("error") != "invalid_request" {
			t.Fatalf("got %d %s, want 400 invalid_request", r.status, r.raw)
		}
	})
}

func TestLogsHoldNoSecrets(t *testing.T) {
	ts := newTestServer(t)
	reg := ts.mustRegister(t, metadata("https://a.example/cb", map[string]any{"grant_types": []string{"client_credentials"}}))
	tok := requestToken(t, nil, ts.URL, authSecretBasic, reg.clientID, reg.clientSecret, nil)
	if tok.status != http.StatusOK {
		t.Fatalf("token: %d %s", tok.status, tok.raw)
	}
	withBearer(t, nil, http.MethodGet, reg.configURI, reg.registrationToken)
	requestToken(t, nil, ts.URL, authSecretBasic, reg.clientID, "a-wrong-secret-attempt", nil)
	// A caller who puts a secret into a URL does not get it logged either.
	withBearer(t, nil, http.MethodGet, ts.URL+"/register/"+reg.clientSecret, reg.registrationToken)

	logs := ts.logs.String()
	for name, secret := range map[string]string{
		"client_secret": reg.clientSecret, "registration_access_token": reg.registrationToken,
		"access_token": tok.str("access_token"), "wrong secret": "a-wrong-secret-attempt",
		"Basic credentials": basicCredentials(reg.clientID, reg.clientSecret),
	} {
		if strings.Contains(logs, secret) {
			t.Errorf("the logs hold the %s", name)
		}
	}
	// The logs are there, and say what happened.
	for _, want := range []string{`"path":"/token"`, `"path":"/register"`, `"path":"/register/{client_id}"`,
		`"client_id":"` + reg.clientID + `"`, `"status":401`, `"status":201`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the logs lack %s:\n%s", want, logs)
		}
	}
}

func TestHealthz(t *testing.T) {
	ts := newTestServer(t)
	if r := withBearer(t, nil, http.MethodGet, ts.URL+"/healthz", ""); r.status != http.StatusOK {
		t.Fatalf("memory store: %d %s", r.status, r.raw)
	}
	ts.srv.ping = func(context.Context) error { return errors.New("connection refused") }
	if r := withBearer(t, nil, http.MethodGet, ts.URL+"/healthz", ""); r.status != http.StatusServiceUnavailable {
		t.Fatalf("unreachable database: %d %s, want 503", r.status, r.raw)
	}
}
