// Package example wires zitadel/oidc to a kvgen store of OAuth clients.
package example

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/kvgen/kvgen/adapters/zitadel"
	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/kv"
)

// Storage is the op.Storage of the provider: the kvgen store answers for
// clients, Rest for the rest.
type Storage struct {
	*zitadel.Clients
	Rest
}

// Rest is yours: authorization requests, tokens, signing keys and users.
type Rest interface {
	op.AuthStorage
	SetUserinfoFromScopes(ctx context.Context, userinfo *oidc.UserInfo, userID, clientID string, scopes []string) error
	SetUserinfoFromToken(ctx context.Context, userinfo *oidc.UserInfo, tokenID, subject, origin string) error
	SetIntrospectionFromToken(ctx context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, clientID string) error
	GetPrivateClaimsFromScopes(ctx context.Context, userID, clientID string, scopes []string) (map[string]any, error)
	ValidateJWTProfileScopes(ctx context.Context, userID string, scopes []string) ([]string, error)
	Health(ctx context.Context) error
}

// NewProvider returns an OpenID provider at issuer, reading its clients from
// the oauth_clients table of pool, sealed with ring; loginURL is the login
// page of an authorization request.
func NewProvider(pool *pgxpool.Pool, ring *kv.KeyRing, issuer string, config *op.Config, rest Rest,
	loginURL func(requestID string) string, opts ...op.Option) (*op.Provider, error) {
	records, err := oauthclients.New(pool, oauthclients.Options{Encrypter: ring})
	if err != nil {
		return nil, err
	}
	clients := zitadel.New(records, zitadel.Options{LoginURL: loginURL})
	return op.NewProvider(config, &Storage{Clients: clients, Rest: rest}, op.StaticIssuer(issuer), opts...)
}
