// Package fosite lets a server built on github.com/ory/fosite (v0.49) keep its
// OAuth clients in a kvgen store: Store is a fosite.ClientManager over the
// generated oauthclients.Store, and Hasher is the fosite.Hasher its clients'
// secrets are compared with.
//
// The record keeps the client_secret itself, sealed with the rest of the
// record, because FastMCP and the Python MCP SDK compare it in plaintext and
// share the table. fosite expects a hash: a Client's GetHashedSecret is the
// SHA-256 digest of the secret, so the secret leaves the record only as a
// digest (fosite's own storage may keep or serialize the Client of a
// request), and Hasher compares the digest of the presented secret with it
// in constant time. Set Config.ClientSecretsHasher to Hasher{}: fosite's
// default bcrypt hasher cannot read a SHA-256 digest and refuses every
// confidential client, so forgetting it fails closed. A digest of a random
// secret of 32 bytes needs no salt nor stretching, unlike a password.
package fosite

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/ory/fosite"

	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/kv"
)

// DefaultJTICollection is the collection of the JTIs of client assertions
// unless Options name another.
const DefaultJTICollection = "fosite-client-assertion-jtis"

// jtiMargin keeps a JTI past its assertion's expiry: the replicas that check
// an assertion's exp have clocks of their own, while the row expires on the
// database's clock.
const jtiMargin = 5 * time.Minute

// Options configure a Store.
type Options struct {
	// Audience lists the audiences every client may request, such as the
	// resource servers of this deployment: the record has no audience of its
	// own (RFC 7591 defines none). Empty, a request naming an audience fails.
	Audience []string
	// JTICollection replaces DefaultJTICollection.
	JTICollection string
}

// Store is a fosite.ClientManager over a kvgen store of OAuth clients.
// It is safe for concurrent use.
type Store struct {
	clients *oauthclients.Store
	jtis    kv.Store[map[string]any]
	opts    Options
}

var _ fosite.ClientManager = (*Store)(nil)

// New returns a Store reading clients from clients. jtis keeps the JTIs of
// the client assertions fosite has accepted (private_key_jwt), one row per
// JTI with a ttl, in Options.JTICollection: give it the untyped view of a
// store over the same table without encryption, since a JTI is no secret
// (and a plaintext row shows an operator what it holds):
//
//	plain, err := oauthclients.New(pool, oauthclients.Options{AllowPlaintext: true})
//	store, err := fosite.New(clients, plain.Untyped(), fosite.Options{})
//
// Python writers do not maintain that collection: a JTI is fosite's.
func New(clients *oauthclients.Store, jtis kv.Store[map[string]any], opts Options) (*Store, error) {
	if clients == nil || jtis == nil {
		return nil, errors.New("fosite adapter: New needs a client store and a JTI store")
	}
	if opts.JTICollection == "" {
		opts.JTICollection = DefaultJTICollection
	}
	return &Store{clients: clients, jtis: jtis, opts: opts}, nil
}

// GetClient returns the client registered as id, or fosite.ErrNotFound.
func (s *Store) GetClient(ctx context.Context, id string) (fosite.Client, error) {
	rec, found, err := s.clients.Get(ctx, id)
	if errors.Is(err, kv.ErrInvalidKey) || err == nil && !found {
		// no client can be registered under a key the store refuses
		return nil, fosite.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("fosite adapter: reading client: %w", err)
	}
	return newClient(rec, s.opts.Audience, time.Now()), nil
}

// ClientAssertionJWTValid returns fosite.ErrJTIKnown when jti was used by an
// assertion that has not expired yet.
func (s *Store) ClientAssertionJWTValid(ctx context.Context, jti string) error {
	_, found, err := s.jtis.Get(ctx, s.opts.JTICollection, jtiKey(jti))
	switch {
	case err != nil:
		return fmt.Errorf("fosite adapter: reading a JTI: %w", err)
	case found:
		return fosite.ErrJTIKnown
	}
	return nil
}

// SetClientAssertionJWT records jti until exp, or returns fosite.ErrJTIKnown
// when it is recorded already: of two replicas that accept the same assertion
// at once, only one records it, so the other refuses it. An expired JTI
// counts as none, and the table's Cull removes it.
func (s *Store) SetClientAssertionJWT(ctx context.Context, jti string, exp time.Time) error {
	ttl := time.Until(exp) + jtiMargin
	if ttl <= 0 {
		return nil // the assertion expired long ago: nothing to guard
	}
	value := map[string]any{"exp": exp.Unix()}
	created, err := s.jtis.CompareAndSwap(ctx, s.opts.JTICollection, jtiKey(jti), kv.Version{}, value, ttl)
	switch {
	case err != nil:
		return fmt.Errorf("fosite adapter: recording a JTI: %w", err)
	case !created:
		return fosite.ErrJTIKnown
	}
	return nil
}

// jtiKey is the key of a JTI: its SHA-256 digest in hex. A JTI is the
// client's choice, of any length and bytes; its digest fits every key bound.
func jtiKey(jti string) string {
	sum := sha256.Sum256([]byte(jti))
	return hex.EncodeToString(sum[:])
}
