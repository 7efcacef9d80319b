package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/kv"
)

// register is the client registration endpoint of RFC 7591, limited per
// source address (429 past the limit).
func (s *server) register(w http.ResponseWriter, r *http.Request) {
	if ok, wait := s.registerLimit.allow(sourceOf(r, s.trustedProxies)); !ok {
		writeTooManyRequests(w, wait)
		return
	}
	c, registrationToken, merr := s.newClient(w, r)
	if merr != nil {
		writeMetadataError(w, merr)
		return
	}
	if s.idempotentRegistration && idempotent(c) {
		s.registerIdempotent(w, r, c, registrationToken)
		return
	}
	if err := s.createClient(r.Context(), c); err != nil {
		s.writeStoreError(w, r, "storing a client", err)
		return
	}
	logClient(r, c.ClientID)
	s.writeClientInformation(w, r, http.StatusCreated, c, registrationToken)
}

// newClient reads a registration request and returns the client it asks
// for, with the credentials the server issues, and its registration access
// token in plaintext.
func (s *server) newClient(w http.ResponseWriter, r *http.Request) (oauthclients.Client, string, *metadataError) {
	members, merr := decodeRequestObject(w, r)
	if merr != nil {
		return oauthclients.Client{}, "", merr
	}
	md := clientMetadataOf(members)
	c, merr := withMetadata(oauthclients.Client{}, md)
	if merr == nil {
		merr = completeMetadata(&c, md)
	}
	if merr != nil {
		return oauthclients.Client{}, "", merr
	}
	c.ClientID = randomToken(clientIDBytes)
	c.ClientIDIssuedAt = s.now().Truncate(time.Second)
	issueSecretIfConfidential(&c)
	registrationToken := randomToken(registrationTokenBytes)
	c.RegistrationAccessToken = kv.Hash(registrationToken)
	c.RegistrationClientURI = s.baseURL + "/register/" + url.PathEscape(c.ClientID)
	if merr := checkRecord(&c); merr != nil {
		return oauthclients.Client{}, "", merr
	}
	return c, registrationToken, nil
}

// createClient stores a new client only if its client ID is new: a
// registration never replaces another.
func (s *server) createClient(ctx context.Context, c oauthclients.Client) error {
	created, err := s.clients.CompareAndSwap(ctx, c, kv.Version{})
	if err == nil && !created {
		err = errClientIDTaken
	}
	return err
}

// errClientIDTaken is a new random client ID that is already registered: 128
// random bits make it as good as impossible, but never an overwrite.
var errClientIDTaken = errors.New("the new client ID is already registered")

// readClient is the client read request of RFC 7592 section 2.1.
func (s *server) readClient(w http.ResponseWriter, r *http.Request) {
	c, _, token, ok := s.authorizeManagement(w, r)
	if !ok {
		return
	}
	s.writeClientInformation(w, r, http.StatusOK, c, token)
}

// updateClient is the client update request of RFC 7592 section 2.2: the
// body replaces the client's metadata; the client ID, secret and
// registration access token stay.
//
// The write is a compare-and-swap on the version of the client the request
// read, so that a concurrent request is never undone. When another request
// wrote first, the update is applied again on top of what it wrote (as if it
// had come after it, which an update replacing the metadata may): its
// authorization and metadata are checked again against that client, and a
// client deleted meanwhile answers 401, as RFC 7592 says for an unknown
// client. An update that loses maxUpdateAttempts races in a row answers 409
// Conflict (RFC 7592 has no code for it), to be sent again.
func (s *server) updateClient(w http.ResponseWriter, r *http.Request) {
	current, version, token, ok := s.authorizeManagement(w, r)
	if !ok {
		return
	}
	members, merr := decodeRequestObject(w, r)
	if merr != nil {
		writeMetadataError(w, merr)
		return
	}
	for attempt := 1; ; attempt++ {
		updated, rejected := updatedClient(current, members)
		if rejected != nil {
			writeMetadataError(w, rejected)
			return
		}
		written, err := s.clients.CompareAndSwap(r.Context(), updated, version)
		if err != nil {
			s.writeStoreError(w, r, "storing a client", err)
			return
		}
		if written {
			s.writeClientInformation(w, r, http.StatusOK, updated, token)
			return
		}
		if attempt == maxUpdateAttempts {
			writeError(w, http.StatusConflict, "conflict", "the client was changed by concurrent requests; send the update again")
			return
		}
		if current, version, ok = s.managedClient(w, r, token); !ok {
			return
		}
	}
}

// maxUpdateAttempts bounds the compare-and-swap attempts of one update. Each
// failed attempt means another request wrote the client, so two concurrent
// updates need two attempts.
const maxUpdateAttempts = 4

// updatedClient is current with the update request members applied.
func updatedClient(current oauthclients.Client, members map[string]json.RawMessage) (oauthclients.Client, *metadataError) {
	if merr := checkUpdateIdentity(current, members); merr != nil {
		return oauthclients.Client{}, merr
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
		return oauthclients.Client{}, merr
	}
	// A change of authentication method may make the client public (its
	// secret goes) or confidential (it gets one).
	if updated.TokenEndpointAuthMethod == authNone {
		updated.ClientSecret = ""
		updated.ClientSecretExpiresAt = time.Time{}
	} else if updated.ClientSecret == "" {
		issueSecretIfConfidential(&updated)
	}
	return updated, nil
}

// deleteClient is the client delete request of RFC 7592 section 2.3.
func (s *server) deleteClient(w http.ResponseWriter, r *http.Request) {
	c, _, _, ok := s.authorizeManagement(w, r)
	if !ok {
		return
	}
	// Unconditional: a delete wins over a concurrent update, whose
	// compare-and-swap then fails and finds no client.
	if _, err := s.clients.Delete(r.Context(), c.ClientID); err != nil {
		s.writeServerError(w, r, "deleting a client", err)
		return
	}
	s.usage.forget(r.Context(), c.ClientID)
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
// returns the client, its version and the token. It answers 401 itself.
func (s *server) authorizeManagement(w http.ResponseWriter, r *http.Request) (oauthclients.Client, kv.Version, string, bool) {
	token := bearerToken(r)
	if token == "" {
		writeInvalidToken(w, false)
		return oauthclients.Client{}, kv.Version{}, "", false
	}
	c, version, ok := s.managedClient(w, r, token)
	return c, version, token, ok
}

// managedClient reads the client of the request's path with its version and
// checks token against it. It answers 401 itself, alike for an unknown client
// and a wrong token, so the answer does not tell them apart.
func (s *server) managedClient(w http.ResponseWriter, r *http.Request, token string) (oauthclients.Client, kv.Version, bool) {
	c, version, found, err := s.clients.GetVersion(r.Context(), r.PathValue("client_id"))
	if err != nil && !errors.Is(err, kv.ErrInvalidKey) {
		s.writeServerError(w, r, "reading a client", err)
		return oauthclients.Client{}, kv.Version{}, false
	}
	if found {
		logClient(r, c.ClientID)
	}
	// Verified even for a missing client (against no digest, always
	// false), so that both cases cost one hash.
	if valid := c.VerifyRegistrationAccessToken(token); !valid || !found {
		writeInvalidToken(w, true)
		return oauthclients.Client{}, kv.Version{}, false
	}
	return c, version, true
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

// writeStoreError answers a failed write of a client: 400 for a record the
// store's validation refused, 500 otherwise.
func (s *server) writeStoreError(w http.ResponseWriter, r *http.Request, what string, err error) {
	var ve *kv.ValidationError
	if errors.As(err, &ve) {
		writeError(w, http.StatusBadRequest, errInvalidClientMetadata, "invalid: "+describeProblems(ve))
		return
	}
	s.writeServerError(w, r, what, err)
}

func writeMetadataError(w http.ResponseWriter, e *metadataError) {
	writeError(w, e.status, e.code, e.description)
}

// writeClientInformation answers with the client information response
// (RFC 7591 section 3.2.1, RFC 7592 section 3). The record's own JSON form
// redacts the secret and shows only a digest of the registration access
// token, so the response puts both in explicitly: the secret decrypted
// from the store, the token as the client presented it (or was just given
// it; none when an idempotent registration answers with an earlier client,
// and then no registration_client_uri either). Null members are left out.
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
	if registrationToken != "" {
		members["registration_access_token"] = jsonString(registrationToken)
	} else {
		delete(members, "registration_access_token")
		delete(members, "registration_client_uri")
	}
	return json.Marshal(members)
}

func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s) // a string always marshals
	return b
}
