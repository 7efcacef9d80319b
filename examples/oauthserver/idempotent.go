package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"

	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/kv"
)

// Idempotent registration (off by default; -idempotent-registration): a
// public client that registers again with the same software_id and the same
// redirect URIs gets the client it registered before, not a new one, so
// that clients registering at every start do not fill the table.
//
// The trade-off: software_id and redirect URIs are public, so whoever
// presents them gets that client. For a public client that is no more than
// anyone has: its client_id travels in every authorization request, it has
// no secret, and codes still go only to its own redirect URIs. What the
// answer must not carry is the registration access token, which manages the
// client: it carries none (the store keeps only its digest and could not
// give it back anyway), so only the first registrant can read, change or
// delete the client. For a confidential client the answer would hand its
// client_secret to anyone who knows its public metadata, so a confidential
// registration always creates a new client.

// idempotent reports whether a registration of c may return an earlier one.
func idempotent(c oauthclients.Client) bool {
	return c.TokenEndpointAuthMethod == authNone && c.SoftwareID != ""
}

// registrationKey is the key of a registration in registrationKeyCollection:
// a digest of its software_id and its set of redirect URIs.
func registrationKey(softwareID string, redirectURIs []string) string {
	uris := slices.Clone(redirectURIs)
	slices.Sort(uris)
	h := sha256.New()
	h.Write([]byte(softwareID))
	for _, u := range slices.Compact(uris) {
		h.Write([]byte{0})
		h.Write([]byte(u))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// sameRegistration reports whether existing is what a registration of c
// would create again: public, of the same software and redirect URIs. A
// client changed since (RFC 7592) may no longer be.
func sameRegistration(existing, c oauthclients.Client) bool {
	return existing.TokenEndpointAuthMethod == authNone && existing.CimdDocument == nil &&
		existing.SoftwareID == c.SoftwareID &&
		registrationKey(existing.SoftwareID, existing.RedirectURIs) == registrationKey(c.SoftwareID, c.RedirectURIs)
}

// registerIdempotent answers a registration of the public client c with the
// client an earlier registration of the same software and redirect URIs
// created (200, without registration access token), or creates c (201).
// Of concurrent identical registrations one claims the key; the others
// delete the client they created and answer with the winner's.
func (s *server) registerIdempotent(w http.ResponseWriter, r *http.Request, c oauthclients.Client, registrationToken string) {
	ctx := r.Context()
	key := registrationKey(c.SoftwareID, c.RedirectURIs)
	earlier, found, version, err := s.earlierRegistration(ctx, key, c)
	if err == nil && !found {
		if err = s.createClient(ctx, c); err == nil {
			earlier, found, err = s.claimRegistration(ctx, key, version, c)
		}
	}
	switch {
	case err != nil:
		s.writeStoreError(w, r, "registering a client idempotently", err)
	case found:
		logClient(r, earlier.ClientID)
		s.writeClientInformation(w, r, http.StatusOK, earlier, "")
	default:
		logClient(r, c.ClientID)
		s.writeClientInformation(w, r, http.StatusCreated, c, registrationToken)
	}
}

// earlierRegistration returns the client that key points to when it is
// still the registration of c, and the version of the key's row.
func (s *server) earlierRegistration(ctx context.Context, key string, c oauthclients.Client) (oauthclients.Client, bool, kv.Version, error) {
	e, version, err := s.side.GetVersion(ctx, registrationKeyCollection, key)
	if err != nil || !e.Found {
		return oauthclients.Client{}, false, version, err
	}
	id, _ := e.Value["client_id"].(string)
	existing, found, err := s.clients.Get(ctx, id)
	if errors.Is(err, kv.ErrInvalidKey) {
		found, err = false, nil
	}
	if err != nil || !found || !sameRegistration(existing, c) {
		return oauthclients.Client{}, false, version, err
	}
	return existing, true, version, nil
}

// claimRegistration points key, at version, to the new client c. When
// another registration claimed it first with a client that still matches,
// c is deleted and that client returned.
func (s *server) claimRegistration(ctx context.Context, key string, version kv.Version, c oauthclients.Client) (oauthclients.Client, bool, error) {
	row := map[string]any{"client_id": c.ClientID}
	claimed, err := s.side.CompareAndSwap(ctx, registrationKeyCollection, key, version, row, usageRetention)
	if err != nil || claimed {
		return oauthclients.Client{}, false, err
	}
	winner, found, _, err := s.earlierRegistration(ctx, key, c)
	if err != nil || !found {
		// A third registration repointed the key to a client that no longer
		// matches: c stays, a client of its own.
		return oauthclients.Client{}, false, err
	}
	if _, err := s.clients.Delete(ctx, c.ClientID); err != nil {
		return oauthclients.Client{}, false, err
	}
	return winner, true, nil
}
