package main

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/kvgen/kvgen/generated/oauthclients"
)

// accessTokenLifetime is the expires_in of the tokens /token issues.
const accessTokenLifetime = 3600

// tokenResponse is the successful response of RFC 6749 section 5.1.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope,omitempty"`
}

// token is the token endpoint: the client credentials grant (RFC 6749
// section 4.4) and the authorization code grant (section 4.1.3, with PKCE).
// It demonstrates client authentication against the store; the access
// tokens it issues are not kept.
func (s *server) token(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxTokenFormBytes)
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", "the body must be a form (application/x-www-form-urlencoded)")
		return
	}
	// Parameters count only from the body (RFC 6749 section 3.2); r.Form
	// would mix in the query string.
	form := r.PostForm
	switch grant := form.Get("grant_type"); grant {
	case "":
		writeError(w, http.StatusBadRequest, "invalid_request", "grant_type is required")
	case grantClientCredentials:
		s.clientCredentialsGrant(w, r, form)
	case grantAuthorizationCode:
		s.authorizationCodeGrant(w, r, form)
	default:
		writeError(w, http.StatusBadRequest, "unsupported_grant_type",
			"this server issues tokens for client_credentials and authorization_code")
	}
}

// clientCredentialsGrant issues a token to a confidential client that
// authenticates.
func (s *server) clientCredentialsGrant(w http.ResponseWriter, r *http.Request, form url.Values) {
	c, ok := s.tokenClient(w, r, form, false)
	if !ok {
		return
	}
	if !slices.Contains(c.GrantTypes, grantClientCredentials) {
		writeError(w, http.StatusBadRequest, "unauthorized_client", "the client is not registered for client_credentials")
		return
	}
	scope := form.Get("scope")
	if scope != "" && !scopeAllowed(scope, c.Scope) {
		writeError(w, http.StatusBadRequest, "invalid_scope", "the requested scope exceeds the client's registered scope")
		return
	}
	s.usage.touch(r.Context(), c.ClientID)
	writeJSON(w, http.StatusOK, tokenResponse{
		AccessToken: randomToken(accessTokenBytes),
		TokenType:   "Bearer",
		ExpiresIn:   accessTokenLifetime,
		Scope:       scope,
	})
}

// tokenClient finds and authenticates the client of a token request; a
// public client (method none, a client_id alone) counts only where
// publicAllowed. It answers errors itself.
func (s *server) tokenClient(w http.ResponseWriter, r *http.Request, form url.Values, publicAllowed bool) (oauthclients.Client, bool) {
	creds, problem := clientCredentialsOf(r, form)
	if problem != "" {
		writeError(w, http.StatusBadRequest, "invalid_request", problem)
		return oauthclients.Client{}, false
	}
	var c oauthclients.Client
	found := false
	if creds.id != "" {
		var err error
		c, found, err = s.lookupClient(r.Context(), creds.id)
		var refused *cimdError
		switch {
		case errors.As(err, &refused):
			writeError(w, http.StatusUnauthorized, "invalid_client", refused.Error())
			return oauthclients.Client{}, false
		case err != nil:
			s.writeServerError(w, r, "reading a client", err)
			return oauthclients.Client{}, false
		}
	}
	if found {
		// An existing client's ID is no secret; a failed attempt against it
		// is worth seeing in the logs.
		logClient(r, c.ClientID)
	}
	if !s.authenticates(c, found, creds, publicAllowed) {
		writeInvalidClient(w, creds.method == authSecretBasic)
		return oauthclients.Client{}, false
	}
	return c, true
}

// clientCredentials is what a token request presents to authenticate.
type clientCredentials struct {
	id, secret string
	// method is how they came: client_secret_basic (also for any other
	// Authorization header), client_secret_post, or none (a client_id alone,
	// or nothing).
	method string
}

// clientCredentialsOf reads the client's credentials from HTTP Basic
// authentication or the form (RFC 6749 section 2.3.1), or says why the
// request is malformed.
func clientCredentialsOf(r *http.Request, form url.Values) (clientCredentials, string) {
	_, formSecret := form["client_secret"]
	if rawID, rawSecret, ok := r.BasicAuth(); ok {
		if formSecret {
			return clientCredentials{}, "the client must authenticate with one method only"
		}
		// Basic credentials are form-urlencoded before they are joined
		// with ':' (RFC 6749 section 2.3.1).
		id, errID := url.QueryUnescape(rawID)
		secret, errSecret := url.QueryUnescape(rawSecret)
		if errID != nil || errSecret != nil {
			return clientCredentials{}, "malformed HTTP Basic credentials"
		}
		if formID := form.Get("client_id"); formID != "" && formID != id {
			return clientCredentials{}, "client_id differs from the authenticated client"
		}
		return clientCredentials{id: id, secret: secret, method: authSecretBasic}, ""
	}
	if r.Header.Get("Authorization") != "" {
		// An unsupported scheme fails authentication (RFC 6749 section
		// 5.2), answered with the Basic challenge.
		return clientCredentials{method: authSecretBasic}, ""
	}
	id := form.Get("client_id")
	if formSecret {
		return clientCredentials{id: id, secret: form.Get("client_secret"), method: authSecretPost}, ""
	}
	return clientCredentials{id: id, method: authNone}, ""
}

// unknownClientSecret stands in for the secret of a client that does not
// exist, so that a failed lookup costs the same comparison as a wrong secret.
var unknownClientSecret = randomToken(clientSecretBytes)

// authenticates reports whether creds authenticate client c: the method it
// registered, its unexpired secret, compared in constant time. A public
// client (none) has no secret to prove anything: it is let through, on its
// client_id alone, only where publicAllowed (a code exchange, which PKCE
// binds to the client that asked for the code).
func (s *server) authenticates(c oauthclients.Client, found bool, creds clientCredentials, publicAllowed bool) bool {
	if found && c.TokenEndpointAuthMethod == authNone {
		return publicAllowed && creds.method == authNone
	}
	stored := c.ClientSecret.Reveal()
	if !found || stored == "" {
		stored = unknownClientSecret
	}
	match := secretsEqual(creds.secret, stored)
	if !found || c.ClientSecret.Reveal() == "" || creds.method == authNone {
		return false
	}
	if c.TokenEndpointAuthMethod != creds.method {
		return false
	}
	if exp := c.ClientSecretExpiresAt; exp.Unix() > 0 && !s.now().Before(exp) {
		return false
	}
	return match
}

// secretsEqual compares in constant time, also in the length: digests of
// equal size are compared, not the secrets.
func secretsEqual(a, b string) bool {
	da, db := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(da[:], db[:]) == 1
}

// scopeAllowed reports whether every scope of requested (space-separated)
// is among the client's registered ones; a client with no registered scope
// may request none.
func scopeAllowed(requested, registered string) bool {
	allowed := strings.Fields(registered)
	for _, sc := range strings.Fields(requested) {
		if !slices.Contains(allowed, sc) {
			return false
		}
	}
	return true
}

// writeInvalidClient answers a failed client authentication (RFC 6749
// section 5.2): 401, with a Basic challenge when the client tried Basic.
func writeInvalidClient(w http.ResponseWriter, triedBasic bool) {
	if triedBasic {
		w.Header().Set("WWW-Authenticate", `Basic realm="token", charset="UTF-8"`)
	}
	writeError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
}
