// Package example wires fosite to a kvgen store of OAuth clients.
package example

import (
	"context"
	"crypto/rsa"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/storage"

	kvfosite "github.com/kvgen/kvgen/adapters/fosite"
	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/kv"
)

// Storage keeps codes, tokens and sessions in fosite's memory store (put
// yours), and clients and client-assertion JTIs in PostgreSQL.
type Storage struct {
	*storage.MemoryStore
	Clients *kvfosite.Store
}

func (s *Storage) GetClient(ctx context.Context, id string) (fosite.Client, error) {
	return s.Clients.GetClient(ctx, id)
}

func (s *Storage) ClientAssertionJWTValid(ctx context.Context, jti string) error {
	return s.Clients.ClientAssertionJWTValid(ctx, jti)
}

func (s *Storage) SetClientAssertionJWT(ctx context.Context, jti string, exp time.Time) error {
	return s.Clients.SetClientAssertionJWT(ctx, jti, exp)
}

// NewProvider returns fosite with every handler, reading its clients from
// the oauth_clients table of pool, sealed with ring.
func NewProvider(pool *pgxpool.Pool, ring *kv.KeyRing, config *fosite.Config, key *rsa.PrivateKey) (fosite.OAuth2Provider, error) {
	clients, err := oauthclients.New(pool, oauthclients.Options{Encrypter: ring})
	if err != nil {
		return nil, err
	}
	plain, err := oauthclients.New(pool, oauthclients.Options{AllowPlaintext: true}) // JTIs are no secret
	if err != nil {
		return nil, err
	}
	store, err := kvfosite.New(clients, plain.Untyped(), kvfosite.Options{})
	if err != nil {
		return nil, err
	}
	config.ClientSecretsHasher = kvfosite.Hasher{} // the secret's SHA-256 digest, compared in constant time
	return compose.ComposeAllEnabled(config, &Storage{MemoryStore: storage.NewMemoryStore(), Clients: store}, key), nil
}
