package main

import (
	"context"
	"net/http"
	"slices"
	"testing"
)

func TestReadClient(t *testing.T) {
	ts := newTestServer(t)
	reg := ts.mustRegister(t, metadata("https://app.example.com/cb", map[string]any{"client_name": "Reader", "software_id": "sw-1"}))

	r := withBearer(t, nil, http.MethodGet, reg.configURI, reg.registrationToken)
	if r.status != http.StatusOK {
		t.Fatalf("GET with the right token: %d %s", r.status, r.raw)
	}
	if r.str("client_id") != reg.clientID || r.str("client_secret") != reg.clientSecret ||
		r.str("registration_access_token") != reg.registrationToken || r.str("registration_client_uri") != reg.configURI {
		t.Errorf("client information differs from the registration: %s", r.raw)
	}
	if r.str("client_name") != "Reader" || r.str("software_id") != "sw-1" ||
		!slices.Equal(stringList(r.body["redirect_uris"]), []string{"https://app.example.com/cb"}) {
		t.Errorf("metadata not read back: %s", r.raw)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Error("client information may be cached")
	}
}

func TestManagementRejectsBadTokens(t *testing.T) {
	ts := newTestServer(t)
	a := ts.mustRegister(t, metadata("https://a.example/cb", nil))
	b := ts.mustRegister(t, metadata("https://b.example/cb", nil))

	tests := []struct {
		name, url, token string
	}{
		{"no token", a.configURI, ""},
		{"wrong token", a.configURI, "not-the-token"},
		{"another client's token", a.configURI, b.registrationToken},
		{"unknown client", ts.URL + "/register/no-such-client", a.registrationToken},
	}
	for _, tt := range tests {
		for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
			t.Run(tt.name+" "+method, func(t *testing.T) {
				var r response
				if method == http.MethodPut {
					r = postJSON(t, nil, method, tt.url, tt.token, metadata("https://evil.example/cb", map[string]any{"client_id": a.clientID}))
				} else {
					r = withBearer(t, nil, method, tt.url, tt.token)
				}
				if r.status != http.StatusUnauthorized || r.str("error") != "invalid_token" {
					t.Fatalf("got %d %s, want 401 invalid_token", r.status, r.raw)
				}
				if r.header.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
				if _, leaked := r.body["client_secret"]; leaked {
					t.Error("a rejected request got the client secret")
				}
			})
		}
	}
	// Nothing above changed or removed client a.
	r := withBearer(t, nil, http.MethodGet, a.configURI, a.registrationToken)
	if r.status != http.StatusOK || !slices.Equal(stringList(r.body["redirect_uris"]), []string{"https://a.example/cb"}) {
		t.Fatalf("client a after rejected requests: %d %s", r.status, r.raw)
	}
	// An unknown client and a wrong token get the same answer.
	unknown := withBearer(t, nil, http.MethodGet, ts.URL+"/register/no-such-client", a.registrationToken)
	wrong := withBearer(t, nil, http.MethodGet, a.configURI, "not-the-token")
	if unknown.raw != wrong.raw || unknown.header.Get("WWW-Authenticate") != wrong.header.Get("WWW-Authenticate") {
		t.Errorf("unknown client %q and wrong token %q answer differently", unknown.raw, wrong.raw)
	}
}

func TestUpdateClient(t *testing.T) {
	ts := newTestServer(t)
	reg := ts.mustRegister(t, metadata("https://app.example.com/cb", map[string]any{
		"client_name": "Before", "scope": "read", "grant_types": []string{"authorization_code", "client_credentials"},
	}))

	r := postJSON(t, nil, http.MethodPut, reg.configURI, reg.registrationToken, map[string]any{
		"client_id":     reg.clientID,
		"client_secret": reg.clientSecret,
		"redirect_uris": []string{"https://app.example.com/new", "http://127.0.0.1:9000/cb"},
		"client_name":   "After",
	})
	if r.status != http.StatusOK {
		t.Fatalf("PUT: %d %s", r.status, r.raw)
	}
	if r.str("client_name") != "After" || len(stringList(r.body["redirect_uris"])) != 2 {
		t.Errorf("metadata not replaced: %s", r.raw)
	}
	if _, kept := r.body["scope"]; kept {
		t.Errorf("scope left out of the update was kept: %s", r.raw)
	}
	if got := stringList(r.body["grant_types"]); !slices.Equal(got, []string{grantAuthorizationCode, grantRefreshToken}) {
		t.Errorf("grant_types left out of the update: %v, want the default again", got)
	}
	if r.str("client_secret") != reg.clientSecret || r.str("registration_access_token") != reg.registrationToken {
		t.Errorf("credentials changed by an update: %s", r.raw)
	}

	// The update is stored: a read shows it, and the secret still authenticates.
	got := withBearer(t, nil, http.MethodGet, reg.configURI, reg.registrationToken)
	if got.str("client_name") != "After" {
		t.Errorf("GET after PUT: %s", got.raw)
	}
	stored, _, err := ts.srv.clients.Get(context.Background(), reg.clientID)
	if err != nil || stored.ClientSecret.Reveal() != reg.clientSecret || !stored.VerifyRegistrationAccessToken(reg.registrationToken) {
		t.Errorf("stored credentials after the update: err %v", err)
	}
}

func TestUpdateClientChangesAuthMethod(t *testing.T) {
	ts := newTestServer(t)
	reg := ts.mustRegister(t, metadata("https://app.example.com/cb", nil))

	public := postJSON(t, nil, http.MethodPut, reg.configURI, reg.registrationToken, metadata("https://app.example.com/cb",
		map[string]any{"client_id": reg.clientID, "token_endpoint_auth_method": "none"}))
	if public.status != http.StatusOK {
		t.Fatalf("to none: %d %s", public.status, public.raw)
	}
	if _, ok := public.body["client_secret"]; ok {
		t.Errorf("a client made public keeps its secret: %s", public.raw)
	}

	confidential := postJSON(t, nil, http.MethodPut, reg.configURI, reg.registrationToken, metadata("https://app.example.com/cb",
		map[string]any{"client_id": reg.clientID, "token_endpoint_auth_method": "client_secret_post"}))
	if confidential.status != http.StatusOK {
		t.Fatalf("to client_secret_post: %d %s", confidential.status, confidential.raw)
	}
	secret := confidential.str("client_secret")
	if secret == "" || secret == reg.clientSecret {
		t.Errorf("a client made confidential again got secret %q, want a new one", secret)
	}
}

func TestUpdateClientRejectsBadRequests(t *testing.T) {
	ts := newTestServer(t)
	reg := ts.mustRegister(t, metadata("https://app.example.com/cb", map[string]any{"client_name": "Unchanged"}))

	tests := []struct {
		name string
		body map[string]any
		code string
	}{
		{"no client_id", metadata("https://app.example.com/cb", nil), errInvalidClientMetadata},
		{"another client_id", metadata("https://app.example.com/cb", map[string]any{"client_id": "other"}), errInvalidClientMetadata},
		{"wrong client_secret", metadata("https://app.example.com/cb", map[string]any{"client_id": reg.clientID, "client_secret": "wrong"}), errInvalidClientMetadata},
		{"registration_access_token sent", metadata("https://app.example.com/cb", map[string]any{"client_id": reg.clientID, "registration_access_token": "x"}), errInvalidClientMetadata},
		{"client_id_issued_at sent", metadata("https://app.example.com/cb", map[string]any{"client_id": reg.clientID, "client_id_issued_at": 1}), errInvalidClientMetadata},
		{"bad redirect URI", metadata("http://evil.example/cb", map[string]any{"client_id": reg.clientID}), errInvalidRedirectURI},
		{"empty grant_types", metadata("https://app.example.com/cb", map[string]any{"client_id": reg.clientID, "grant_types": []string{}}), errInvalidClientMetadata},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := postJSON(t, nil, http.MethodPut, reg.configURI, reg.registrationToken, tt.body)
			if r.status != http.StatusBadRequest || r.str("error") != tt.code {
				t.Fatalf("got %d %s, want 400 %s", r.status, r.raw, tt.code)
			}
		})
	}
	r := withBearer(t, nil, http.MethodGet, reg.configURI, reg.registrationToken)
	if r.str("client_name") != "Unchanged" {
		t.Errorf("a rejected update changed the client: %s", r.raw)
	}
}

func TestDeleteClient(t *testing.T) {
	ts := newTestServer(t)
	reg := ts.mustRegister(t, metadata("https://app.example.com/cb", map[string]any{"grant_types": []string{"client_credentials"}}))

	r := withBearer(t, nil, http.MethodDelete, reg.configURI, reg.registrationToken)
	if r.status != http.StatusNoContent {
		t.Fatalf("DELETE: %d %s", r.status, r.raw)
	}
	if _, found, err := ts.srv.clients.Get(context.Background(), reg.clientID); found || err != nil {
		t.Fatalf("deleted client still stored: found %v, err %v", found, err)
	}
	if r := withBearer(t, nil, http.MethodGet, reg.configURI, reg.registrationToken); r.status != http.StatusUnauthorized {
		t.Errorf("GET after DELETE: %d, want 401", r.status)
	}
	if r := requestToken(t, nil, ts.URL, authSecretBasic, reg.clientID, reg.clientSecret, nil); r.status != http.StatusUnauthorized {
		t.Errorf("token for a deleted client: %d, want 401", r.status)
	}
}
