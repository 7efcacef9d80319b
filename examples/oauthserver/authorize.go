package main

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/kvgen/kvgen/generated/oauthclients"
)

// Authorization codes live codeLifetime, are used once, and are stored
// under the SHA-256 of the code, so that the table never holds a code that
// could be redeemed.
const (
	codeLifetime           = time.Minute
	authorizationCodeBytes = 32
)

// authorize is the authorization endpoint (RFC 6749 section 4.1.1) with
// PKCE (RFC 7636, S256 only), as OAuth 2.1 and MCP require. This example
// has no users: it approves every valid request at once, where a real
// server authenticates the user and asks for consent, showing the client's
// name and, for a metadata document client, the host of its client_id.
func (s *server) authorize(w http.ResponseWriter, r *http.Request) {
	q, ok := singleValued(r.URL.Query())
	if !ok {
		writeError(w, http.StatusBadRequest, "invalid_request", "a parameter is repeated")
		return
	}
	c, ok := s.authorizingClient(w, r, q.Get("client_id"))
	if !ok {
		return
	}
	redirectURI := q.Get("redirect_uri")
	if !slices.Contains(c.RedirectURIs, redirectURI) {
		// Not redirected: the URI is not one the client is known to own.
		writeError(w, http.StatusBadRequest, "invalid_request", "redirect_uri must be one of the client's redirect URIs, exactly")
		return
	}
	back := authorizationReply{redirectURI: redirectURI, state: q.Get("state"), issuer: s.baseURL}
	if code, description := checkAuthorizationRequest(c, q); code != "" {
		back.send(w, r, url.Values{"error": {code}, "error_description": {description}})
		return
	}
	code := randomToken(authorizationCodeBytes)
	grant := map[string]any{
		"client_id": c.ClientID, "redirect_uri": redirectURI,
		"code_challenge": q.Get("code_challenge"), "scope": q.Get("scope"),
	}
	if err := s.side.Put(r.Context(), codeCollection, codeKey(code), grant, codeLifetime); err != nil {
		s.writeServerError(w, r, "storing an authorization code", err)
		return
	}
	s.usage.touch(r.Context(), c.ClientID)
	back.send(w, r, url.Values{"code": {code}})
}

// authorizingClient resolves the client of an authorization request. It
// answers errors itself, to the user agent: the redirect URI is not known
// to be the client's yet.
func (s *server) authorizingClient(w http.ResponseWriter, r *http.Request, id string) (oauthclients.Client, bool) {
	if id == "" {
		writeError(w, http.StatusBadRequest, "invalid_request", "client_id is required")
		return oauthclients.Client{}, false
	}
	c, found, err := s.lookupClient(r.Context(), id)
	var refused *cimdError
	switch {
	case errors.As(err, &refused):
		writeError(w, http.StatusBadRequest, "invalid_client", refused.Error())
		return oauthclients.Client{}, false
	case err != nil:
		s.writeServerError(w, r, "reading a client", err)
		return oauthclients.Client{}, false
	case !found:
		writeError(w, http.StatusBadRequest, "invalid_client", "unknown client")
		return oauthclients.Client{}, false
	}
	logClient(r, c.ClientID)
	return c, true
}

// checkAuthorizationRequest returns the error code and description of an
// authorization request that c may not make, or "".
func checkAuthorizationRequest(c oauthclients.Client, q url.Values) (string, string) {
	switch {
	case q.Get("response_type") != responseCode:
		return "unsupported_response_type", "response_type must be code"
	case !slices.Contains(c.GrantTypes, grantAuthorizationCode) || !slices.Contains(c.ResponseTypes, responseCode):
		return "unauthorized_client", "the client is not registered for the authorization code flow"
	case q.Get("code_challenge_method") != "S256":
		return "invalid_request", "PKCE is required: code_challenge_method must be S256"
	case !isPKCEString(q.Get("code_challenge")):
		return "invalid_request", "code_challenge must be 43 to 128 characters of A-Z, a-z, 0-9, -, ., _ and ~"
	case !scopeAllowed(q.Get("scope"), c.Scope):
		return "invalid_scope", "the requested scope exceeds the client's registered scope"
	}
	return "", ""
}

// authorizationReply sends the user agent back to the client (RFC 6749
// section 4.1.2), with the issuer (RFC 9207) against mix-up attacks.
type authorizationReply struct {
	redirectURI, state, issuer string
}

func (b authorizationReply) send(w http.ResponseWriter, r *http.Request, params url.Values) {
	u, err := url.Parse(b.redirectURI) // a stored redirect URI always parses
	if err != nil {
		writeError(w, http.StatusInternalServerError, "server_error", "internal error")
		return
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	if b.state != "" {
		q.Set("state", b.state)
	}
	q.Set("iss", b.issuer)
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// singleValued returns the parameters when none is repeated (RFC 6749
// section 3.1: parameters must not be included more than once).
func singleValued(q url.Values) (url.Values, bool) {
	for _, v := range q {
		if len(v) > 1 {
			return nil, false
		}
	}
	return q, true
}

// authorizationCodeGrant exchanges a code for a token (RFC 6749 section
// 4.1.3): the client that got the code, the same redirect URI, and the
// PKCE verifier of the challenge. The code is gone after the first try,
// right or wrong.
func (s *server) authorizationCodeGrant(w http.ResponseWriter, r *http.Request, form url.Values) {
	c, ok := s.tokenClient(w, r, form, true)
	if !ok {
		return
	}
	if !slices.Contains(c.GrantTypes, grantAuthorizationCode) {
		writeError(w, http.StatusBadRequest, "unauthorized_client", "the client is not registered for authorization_code")
		return
	}
	code := form.Get("code")
	if code == "" {
		writeError(w, http.StatusBadRequest, "invalid_request", "code is required")
		return
	}
	grant, found, err := s.side.GetAndDelete(r.Context(), codeCollection, codeKey(code))
	if err != nil {
		s.writeServerError(w, r, "redeeming an authorization code", err)
		return
	}
	str := func(name string) string { v, _ := grant[name].(string); return v }
	if !found || str("client_id") != c.ClientID || str("redirect_uri") != form.Get("redirect_uri") ||
		!pkceMatches(form.Get("code_verifier"), str("code_challenge")) {
		writeError(w, http.StatusBadRequest, "invalid_grant", "the code is invalid, expired or used, "+
			"or was issued to another client, redirect URI or code verifier")
		return
	}
	s.usage.touch(r.Context(), c.ClientID)
	writeJSON(w, http.StatusOK, tokenResponse{
		AccessToken: randomToken(accessTokenBytes),
		TokenType:   "Bearer",
		ExpiresIn:   accessTokenLifetime,
		Scope:       str("scope"),
	})
}

// codeKey is the row key of an authorization code.
func codeKey(code string) string {
	sum := sha256.Sum256([]byte(code))
	return hex.EncodeToString(sum[:])
}

// pkceMatches checks a code verifier against an S256 challenge (RFC 7636
// section 4.6).
func pkceMatches(verifier, challenge string) bool {
	if !isPKCEString(verifier) || challenge == "" {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	computed := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(computed), []byte(challenge)) == 1
}

// isPKCEString reports whether s is 43 to 128 unreserved characters, the
// form of code verifiers and challenges (RFC 7636 section 4.1).
func isPKCEString(s string) bool {
	if len(s) < 43 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}
