package main

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRegisterIssuesCredentials(t *testing.T) {
	ts := newTestServer(t)
	before := time.Now().Unix()
	r := ts.register(t, map[string]any{
		"redirect_uris": []string{"https://app.example.com/callback", "http://127.0.0.1:6274/cb"},
		"client_name":   "Example",
		"scope":         "read write",
		// Members the server issues: a client cannot choose them.
		"client_id":                 "chosen-by-client",
		"client_secret":             "chosen-secret",
		"registration_access_token": "chosen-token",
		"client_id_issued_at":       1,
	})
	if r.status != http.StatusCreated {
		t.Fatalf("status %d, body %s", r.status, r.raw)
	}
	if got := r.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", got)
	}
	reg := registrationOf(t, r)
	if reg.clientID == "" || reg.clientID == "chosen-by-client" {
		t.Errorf("client_id %q: not issued by the server", reg.clientID)
	}
	if len(reg.clientSecret) != 43 || reg.clientSecret == "chosen-secret" {
		t.Errorf("client_secret %q: want 32 random bytes in unpadded base64url", reg.clientSecret)
	}
	if len(reg.registrationToken) != 43 || reg.registrationToken == "chosen-token" {
		t.Errorf("registration_access_token %q: want 32 random bytes in unpadded base64url", reg.registrationToken)
	}
	if want := ts.URL + "/register/" + reg.clientID; reg.configURI != want {
		t.Errorf("registration_client_uri %q, want %q", reg.configURI, want)
	}
	if issued, _ := r.body["client_id_issued_at"].(float64); int64(issued) < before || int64(issued) > time.Now().Unix() {
		t.Errorf("client_id_issued_at %v, want the time of registration", r.body["client_id_issued_at"])
	}
	if exp, ok := r.body["client_secret_expires_at"].(float64); !ok || exp != 0 {
		t.Errorf("client_secret_expires_at %v, want 0", r.body["client_secret_expires_at"])
	}
	if reg.method != authSecretBasic {
		t.Errorf("token_endpoint_auth_method %q, want the default client_secret_basic", reg.method)
	}
	if got := stringList(r.body["grant_types"]); !slices.Equal(got, []string{grantAuthorizationCode, grantRefreshToken}) {
		t.Errorf("grant_types %v, want the default", got)
	}
	if got := stringList(r.body["response_types"]); !slices.Equal(got, []string{responseCode}) {
		t.Errorf("response_types %v, want [code]", got)
	}
	if r.str("client_name") != "Example" || r.str("scope") != "read write" {
		t.Errorf("metadata not echoed: %s", r.raw)
	}
	for name, v := range r.body {
		if v == nil {
			t.Errorf("member %s is null; absent members should be left out", name)
		}
	}

	// What is stored: the secret (decrypted by the store), and only a digest of the token.
	c, found, err := ts.srv.clients.Get(context.Background(), reg.clientID)
	if err != nil || !found {
		t.Fatalf("stored client: found %v, err %v", found, err)
	}
	if c.ClientSecret.Reveal() != reg.clientSecret {
		t.Error("the stored secret is not the issued one")
	}
	if !c.VerifyRegistrationAccessToken(reg.registrationToken) || c.VerifyRegistrationAccessToken("chosen-token") {
		t.Error("the stored registration access token does not verify the issued one alone")
	}
	if strings.Contains(c.RegistrationAccessToken.Digest(), reg.registrationToken) {
		t.Error("the registration access token is stored in plaintext")
	}
}

func TestRegisterPublicClientGetsNoSecret(t *testing.T) {
	ts := newTestServer(t)
	r := ts.register(t, metadata("http://localhost:3000/callback", map[string]any{"token_endpoint_auth_method": "none"}))
	reg := registrationOf(t, r)
	if _, ok := r.body["client_secret"]; ok {
		t.Errorf("a public client got a client_secret: %s", r.raw)
	}
	if _, ok := r.body["client_secret_expires_at"]; ok {
		t.Errorf("a public client got client_secret_expires_at: %s", r.raw)
	}
	if reg.registrationToken == "" {
		t.Error("a public client got no registration access token")
	}
}

func TestRegisterRejectsInvalidMetadata(t *testing.T) {
	ts := newTestServer(t)
	tests := []struct {
		name     string
		body     any
		status   int
		wantCode string
	}{
		{"relative redirect URI", metadata("/callback", nil), 400, errInvalidRedirectURI},
		{"redirect URI with a fragment", metadata("https://app.example.com/cb#frag", nil), 400, errInvalidRedirectURI},
		{"redirect URI with an empty fragment", metadata("https://app.example.com/cb#", nil), 400, errInvalidRedirectURI},
		{"http redirect URI off loopback", metadata("http://app.example.com/cb", nil), 400, errInvalidRedirectURI},
		{"file redirect URI", metadata("file:///etc/passwd", nil), 400, errInvalidRedirectURI},
		{"javascript redirect URI", metadata("javascript:alert(1)", nil), 400, errInvalidRedirectURI},
		{"redirect URI with user information", metadata("https://user@app.example.com/cb", nil), 400, errInvalidRedirectURI},
		{"one bad redirect URI among good ones", map[string]any{"redirect_uris": []string{"https://a.example/cb", "http://b.example/cb"}}, 400, errInvalidRedirectURI},
		{"no redirect URIs", map[string]any{"client_name": "x"}, 400, errInvalidRedirectURI},
		{"empty redirect URIs", map[string]any{"redirect_uris": []string{}}, 400, errInvalidRedirectURI},
		{"redirect_uris not a list", map[string]any{"redirect_uris": "https://a.example/cb"}, 400, errInvalidClientMetadata},
		{"unknown auth method", metadata("https://a.example/cb", map[string]any{"token_endpoint_auth_method": "client_secret_jwt"}), 400, errInvalidClientMetadata},
		{"private_key_jwt without keys", metadata("https://a.example/cb", map[string]any{"token_endpoint_auth_method": "private_key_jwt"}), 400, errInvalidClientMetadata},
		{"jwks and jwks_uri together", metadata("https://a.example/cb", map[string]any{"jwks": map[string]any{"keys": []any{}}, "jwks_uri": "https://a.example/jwks"}), 400, errInvalidClientMetadata},
		{"unknown grant type", metadata("https://a.example/cb", map[string]any{"grant_types": []string{"authorization_code", "password"}}), 400, errInvalidClientMetadata},
		{"implicit grant", metadata("https://a.example/cb", map[string]any{"grant_types": []string{"implicit"}}), 400, errInvalidClientMetadata},
		{"public client with client_credentials", metadata("https://a.example/cb", map[string]any{"token_endpoint_auth_method": "none", "grant_types": []string{"client_credentials"}}), 400, errInvalidClientMetadata},
		{"token response type", metadata("https://a.example/cb", map[string]any{"response_types": []string{"token"}}), 400, errInvalidClientMetadata},
		{"code without authorization_code", metadata("https://a.example/cb", map[string]any{"grant_types": []string{"client_credentials"}, "response_types": []string{"code"}}), 400, errInvalidClientMetadata},
		{"client_uri not a URL", metadata("https://a.example/cb", map[string]any{"client_uri": "not a url"}), 400, errInvalidClientMetadata},
		{"javascript client_uri", metadata("https://a.example/cb", map[string]any{"client_uri": "javascript:alert(1)"}), 400, errInvalidClientMetadata},
		{"data logo_uri", metadata("https://a.example/cb", map[string]any{"logo_uri": "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="}), 400, errInvalidClientMetadata},
		{"view-source tos_uri", metadata("https://a.example/cb", map[string]any{"tos_uri": "view-source:https://a.example/"}), 400, errInvalidClientMetadata},
		{"jar policy_uri", metadata("https://a.example/cb", map[string]any{"policy_uri": "jar:https://a.example/x.jar!/"}), 400, errInvalidClientMetadata},
		{"jwks_uri at the metadata service", metadata("https://a.example/cb", map[string]any{"jwks_uri": "https://169.254.169.254/latest/meta-data/", "token_endpoint_auth_method": "private_key_jwt"}), 400, errInvalidClientMetadata},
		{"logo_uri at a decimal metadata address", metadata("https://a.example/cb", map[string]any{"logo_uri": "https://2852039166/logo.png"}), 400, errInvalidClientMetadata},
		{"client_uri with a port out of range", metadata("https://a.example/cb", map[string]any{"client_uri": "https://a.example:70000/"}), 400, errInvalidClientMetadata},
		{"redirect URI with a port out of range", metadata("http://127.0.0.1:99999/cb", nil), 400, errInvalidRedirectURI},
		{"redirect URI with a scheme that is no app's", metadata("myapp:/cb", nil), 400, errInvalidRedirectURI},
		{"view-source redirect URI", metadata("view-source:https://a.example/cb", nil), 400, errInvalidRedirectURI},
		{"not JSON", `{"redirect_uris": [`, 400, errInvalidClientMetadata},
		{"a JSON array", `["https://a.example/cb"]`, 400, errInvalidClientMetadata},
		{"two JSON values", `{"redirect_uris":["https://a.example/cb"]} {}`, 400, errInvalidClientMetadata},
		{"a stray brace after the object", `{"redirect_uris":["https://a.example/cb"]} }`, 400, errInvalidClientMetadata},
		{"a stray bracket after the object", `{"redirect_uris":["https://a.example/cb"]}]`, 400, errInvalidClientMetadata},
		{"text after the object", `{"redirect_uris":["https://a.example/cb"]} trailing`, 400, errInvalidClientMetadata},
		{"empty grant_types", metadata("https://a.example/cb", map[string]any{"grant_types": []string{}}), 400, errInvalidClientMetadata},
		{"empty response_types with authorization_code", metadata("https://a.example/cb", map[string]any{"response_types": []string{}}), 400, errInvalidClientMetadata},
		{"body over 64 KiB", metadata("https://a.example/cb", map[string]any{"client_name": strings.Repeat("x", 70<<10)}), 413, errInvalidClientMetadata},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.register(t, tt.body)
			if r.status != tt.status || r.str("error") != tt.wantCode {
				t.Fatalf("got %d %s, want %d %s", r.status, r.raw, tt.status, tt.wantCode)
			}
			if r.str("error_description") == "" {
				t.Errorf("no error_description: %s", r.raw)
			}
		})
	}
	keys, err := ts.srv.clients.List(context.Background(), "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 0 {
		t.Errorf("rejected registrations were stored: %d clients", len(keys))
	}
}

func TestRegisterRejectsOtherContentTypes(t *testing.T) {
	ts := newTestServer(t)
	req := newRequest(t, http.MethodPost, ts.URL+"/register", strings.NewReader(`{"redirect_uris":["https://a.example/cb"]}`))
	req.Header.Set("Content-Type", "text/plain")
	if r := do(t, nil, req); r.status != http.StatusBadRequest || r.str("error") != errInvalidClientMetadata {
		t.Fatalf("text/plain body: got %d %s, want 400 invalid_client_metadata", r.status, r.raw)
	}
}

func TestCheckRedirectURI(t *testing.T) {
	accepted := []string{
		"https://app.example.com/callback",
		"https://app.example.com:8443/cb?x=1",
		"http://127.0.0.1:6274/oauth/callback",
		"http://127.0.0.2/cb",
		"http://[::1]:8080/cb",
		"http://localhost:3000/callback",
		"http://LOCALHOST/cb",
		"com.example.app:/oauth2redirect",
		"com.example.app://callback",
		"cursor://anysphere.cursor-retrieval/oauth/callback",
		"vscode://vscode.github-authentication/did-authenticate",
	}
	rejected := []string{
		"", "/cb", "callback", "//app.example.com/cb",
		"https:///cb", "https://app.example.com/cb#x", "http://app.example.com/cb",
		"http://127.0.0.1.example.com/cb", "http://0.0.0.0/cb",
		"javascript:alert(1)", "vbscript:x", "blob:https://a.example/x",
		"data:text/html,x", "file:///etc/passwd", "https://u:p@app.example.com/cb",
		"view-source:https://a.example/cb", "jar:https://a.example/x.jar!/", "myapp:/cb",
		"http://localhost:99999/cb", "https://app.example.com:65536/cb", "com.example.app://cb:70000/x",
		"https://169.254.169.254/cb", "http://[fe80::1]/cb", "https://0xa9fea9fe/cb",
	}
	for _, raw := range accepted {
		if err := checkRedirectURI(raw); err != nil {
			t.Errorf("checkRedirectURI(%q) = %v, want accepted", raw, err)
		}
	}
	for _, raw := range rejected {
		if err := checkRedirectURI(raw); err == nil {
			t.Errorf("checkRedirectURI(%q) accepted, want rejected", raw)
		}
	}
}

// unreadableMetadata are registration bodies whose jwks (or another member)
// holds what PostgreSQL refuses or Python cannot read back.
var unreadableMetadata = map[string]string{
	"NUL in jwks":                     `"jwks":{"keys":[{"kty":"RSA","n":"a\u0000b"}]}`,
	"invalid UTF-8 in jwks":           "\"jwks\":{\"keys\":[{\"kty\":\"RSA\",\"n\":\"a\xffb\"}]}",
	"lone surrogate in jwks":          `"jwks":{"keys":[{"kty":"RSA","n":"\ud800"}]}`,
	"lone surrogate in a jwks name":   `"jwks":{"keys":[{"\udc00":"x"}]}`,
	"jwks number beyond float64":      `"jwks":{"keys":[{"kty":"RSA","e":1e999999}]}`,
	"jwks number Python reads as inf": `"jwks":{"keys":[{"kty":"RSA","e":1e400}]}`,
	"jwks nested 600 deep":            `"jwks":{"keys":` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `}`,
	"NUL in client_name":              `"client_name":"a\u0000b"`,
}

// TestUnreadableMetadataRefused: metadata that the store may not write is a
// 400 invalid_client_metadata naming the member, on registration and on
// update, over memory and PostgreSQL alike; never a 500 or an error log,
// and nothing is stored.
func TestUnreadableMetadataRefused(t *testing.T) {
	for backend, open := range map[string]func(*testing.T) *testServer{"memory": newTestServer, "postgres": newPostgresTestServer} {
		t.Run(backend, func(t *testing.T) {
			ts := open(t)
			reg := ts.mustRegister(t, metadata("https://app.example.com/cb", map[string]any{"client_name": "Unchanged"}))
			for name, member := range unreadableMetadata {
				body := `{"redirect_uris":["https://a.example/cb"],` + member + `}`
				r := ts.register(t, body)
				if r.status != http.StatusBadRequest || r.str("error") != errInvalidClientMetadata || !strings.Contains(r.str("error_description"), strings.Split(member, `"`)[1]) {
					t.Errorf("%s: register: %d %s; want 400 invalid_client_metadata naming the member", name, r.status, r.raw)
				}
				update := `{"client_id":"` + reg.clientID + `","redirect_uris":["https://app.example.com/cb"],` + member + `}`
				r = postJSON(t, nil, http.MethodPut, reg.configURI, reg.registrationToken, update)
				if r.status != http.StatusBadRequest || r.str("error") != errInvalidClientMetadata {
					t.Errorf("%s: update: %d %s; want 400 invalid_client_metadata", name, r.status, r.raw)
				}
			}
			clients, err := ts.srv.clients.List(context.Background(), "", 10)
			if err != nil || len(clients) != 1 || clients[0].ClientName != "Unchanged" || len(clients[0].JWKS) != 0 {
				t.Errorf("after the refused requests: %d clients, err %v; want the one registered, unchanged", len(clients), err)
			}
			if logs := ts.logs.String(); strings.Contains(logs, `"level":"ERROR"`) {
				t.Errorf("refused metadata logged an error:\n%s", logs)
			}
		})
	}
}
