package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/kv"
)

// register is the client registration endpoint of RFC 7591.
func (s *server) register(w http.ResponseWriter, r *http.Request) {
	members, merr := decodeRequestObject(w, r)
	if merr != nil {
		writeMetadataError(w, merr)
		return
	}
	md := clientMetadataOf(members)
	c, merr := withMetadata(oauthclients.Client{}, md)
	if merr == nil {
		merr = completeMetadata(&c, md)
	}
	if merr != nil {
		writeMetadataError(w, merr)
		return
	}

	c.ClientID = randomToken(clientIDBytes)
	c.ClientIDIssuedAt = s.now().Truncate(time.Second)
	issueSecretIfConfidential(&c)
	registrationToken := randomToken(registrationTokenBytes)
	c.RegistrationAccessToken = kv.Hash(registrationToken)
	c.RegistrationClientURI = s.baseURL + "/register/" + url.PathEscape(c.ClientID)
	if merr := checkRecord(&c); merr != nil {
		writeMetadataError(w, merr)
		return
	}
	if !s.putClient(w, r, c) {
		return
	}
	logClient(r, c.ClientID)
	s.writeClientInformation(w, r, http.StatusCreated, c, registrationToken)
}

// readClient is the client read request of RFC 7592 section 2.1.
func (s *server) readClient(w http.ResponseWriter, r *http.Request) {
	c, token, ok := s.authorizeManagement(w, r)
	if !ok {
		return
	}
	s.writeClientInformation(w, r, http.StatusOK, c, token)
}

// updateClient is the client update request of RFC 7592 section 2.2: the
// body replaces the client's metadata; the client ID, secret and
// registration access token stay.
func (s *server) updateClient(w http.ResponseWriter, r *http.Request) {
	current, token, ok := s.authorizeManagement(w, r)
	if !ok {
		return
	}
	members, merr := decodeRequestObject(w, r)
	if merr == nil {
		merr = checkUpdateIdentity(current, members)
	}
	if merr != nil {
		writeMetadataError(w, merr)
		return
	}
	md := clientMetadataOf(members)
	updated, merr := withMetadata(current, md)
	if merr == nil {
		merr = completeMetadata(&updated, md)
	}
	if merr == nil {
		merr = checkRecord(&updated)
	}
	if merr != nil {
		writeMetadataError(w, merr)
		return
	}
	// A change of authentication method may make the client public (its
	// secret goes) or confidential (it gets one).
	if updated.TokenEndpointAuthMethod == authNone {
		updated.ClientSecret = ""
		updated.ClientSecretExpiresAt = time.Time{}
	} else if updated.ClientSecret == "" {
		issueSecretIfConfidential(&updated)
	}
	if !s.putClient(w, r, updated) {
		return
	}
	s.writeClientInformation(w, r, http.StatusOK, updated, token)
}

// deleteClient is the client delete request of RFC 7592 section 2.3.
func (s *server) deleteClient(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.authorizeManagement(w, r)
	if !ok {
		return
	}
	if _, err := s.clients.Delete(r.Context(), c.ClientID); err != nil {
		s.writeServerError(w, r, "deleting a client", err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// checkUpdateIdentity applies RFC 7592 section 2.2 to an update request:
// client_id must be the client's own, a client_secret must be its current
// one, and the members the server issues must be absent.
func checkUpdateIdentity(current oauthclients.Client, members map[string]json.RawMessage) *metadataError {
	var id string
	if raw, ok := members["client_id"]; !ok || json.Unmarshal(raw, &id) != nil || id != current.ClientID {
		return invalidMetadata("client_id must be given and be the client's own")
	}
	for _, name := range forbiddenInUpdate {
		if _, ok := members[name]; ok {
			return invalidMetadata("%s is issued by the server and must not be sent in an update", name)
		}
	}
	if present(members, "client_secret") {
		var secret string
		if json.Unmarshal(members["client_secret"], &secret) != nil || !secretsEqual(secret, current.ClientSecret.Reveal()) {
			return invalidMetadata("client_secret does not match the client's current secret")
		}
	}
	return nil
}

// issueSecretIfConfidential gives a client that authenticates with a
// shared secret a new one that never expires.
func issueSecretIfConfidential(c *oauthclients.Client) {
	switch c.TokenEndpointAuthMethod {
	case authSecretBasic, authSecretPost:
		c.ClientSecret = kv.Secret(randomToken(clientSecretBytes))
		c.ClientSecretExpiresAt = time.Unix(0, 0).UTC() // 0: never (RFC 7591 section 3.2.1)
	}
}

// authorizeManagement authenticates a request to the client configuration
// endpoint with its registration access token (RFC 7592 section 2) and
// returns the client and the token. It answers 401 itself, alike for an
// unknown client and a wrong token, so the answer does not tell them apart.
func (s *server) authorizeManagement(w http.ResponseWriter, r *http.Request) (oauthclients.Client, string, bool) {
	token := bearerToken(r)
	if token == "" {
		writeInvalidToken(w, false)
		return oauthclients.Client{}, "", false
	}
	c, found, err := s.clients.Get(r.Context(), r.PathValue("client_id"))
	if err != nil && !errors.Is(err, kv.ErrInvalidKey) {
		s.writeServerError(w, r, "reading a client", err)
		return oauthclients.Client{}, "", false
	}
	if found {
		logClient(r, c.ClientID)
	}
	// Verified even for a missing client (against no digest, always
	// false), so that both cases cost one hash.
	if valid := c.VerifyRegistrationAccessToken(token); !valid || !found {
		writeInvalidToken(w, true)
		return oauthclients.Client{}, "", false
	}
	return c, token, true
}

// bearerToken returns the token of an "Authorization: Bearer" header (RFC
// 6750 section 2.1), or "".
func bearerToken(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// writeInvalidToken answers 401 per RFC 6750 section 3; a request that
// carried no token gets no error code.
func writeInvalidToken(w http.ResponseWriter, presented bool) {
	if !presented {
		w.Header().Set("WWW-Authenticate", `Bearer`)
		writeError(w, http.StatusUnauthorized, "invalid_token", "a registration access token is required")
		return
	}
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	writeError(w, http.StatusUnauthorized, "invalid_token", "")
}

// putClient stores c, answering the error itself when that fails.
func (s *server) putClient(w http.ResponseWriter, r *http.Request, c oauthclients.Client) bool {
	err := s.clients.Put(r.Context(), c)
	if err == nil {
		return true
	}
	var ve *kv.ValidationError
	if errors.As(err, &ve) {
		writeError(w, http.StatusBadRequest, errInvalidClientMetadata, "invalid: "+describeProblems(ve))
		return false
	}
	s.writeServerError(w, r, "storing a client", err)
	return false
}

func writeMetadataError(w http.ResponseWriter, e *metadataError) {
	writeError(w, e.status, e.code, e.description)
}

// writeClientInformation answers with the client information response
// (RFC 7591 section 3.2.1, RFC 7592 section 3). The record's own JSON form
// redacts the secret and shows only a digest of the registration access
// token, so the response puts both in explicitly: the secret decrypted
// from the store, the token as the client presented it (or was just given
// it). Null members are left out.
func (s *server) writeClientInformation(w http.ResponseWriter, r *http.Request, status int, c oauthclients.Client, registrationToken string) {
	body, err := clientInformation(c, registrationToken)
	if err != nil {
		s.writeServerError(w, r, "encoding client information", err)
		return
	}
	writeJSONBody(w, status, body)
}

func clientInformation(c oauthclients.Client, registrationToken string) ([]byte, error) {
	recordJSON, err := c.MarshalJSON()
	if err != nil {
		return nil, err
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(recordJSON, &members); err != nil {
		return nil, err
	}
	for name, v := range members {
		if strings.TrimSpace(string(v)) == "null" {
			delete(members, name)
		}
	}
	if secret := c.ClientSecret.Reveal(); secret != "" {
		members["client_secret"] = jsonString(secret)
		if _, ok := members["client_secret_expires_at"]; !ok {
			members["client_secret_expires_at"] = json.RawMessage("0")
		}
	} else {
		delete(members, "client_secret")
		delete(members, "client_secret_expires_at")
	}
	members["registration_access_token"] = jsonString(registrationToken)
	return json.Marshal(members)
}

func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s) // a string always marshals
	return b
}
