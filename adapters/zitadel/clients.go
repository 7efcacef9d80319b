// Package zitadel lets an OpenID provider built on github.com/zitadel/oidc/v3
// (v3.52) keep its OAuth clients in a kvgen store. zitadel/oidc has no
// client-only interface: Clients holds the client methods of op.Storage
// (GetClientByClientID, AuthorizeClientIDSecret, GetKeyByIDAndClientID) and
// of op.ClientCredentialsStorage, over the generated oauthclients.Store,
// and Client is an op.Client. Embed *Clients in your op.Storage:
//
//	type storage struct {
//		*zitadel.Clients
//		// your auth requests, tokens and keys
//	}
//
// Secrets are compared in constant time (digests of the presented and the
// stored secret); an expired secret (client_secret_expires_at) authenticates
// nothing.
package zitadel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/kvgen/kvgen/adapters/internal/clientview"
	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/kv"
)

// Options configure Clients: what an op.Client must answer and the record
// does not hold.
type Options struct {
	// LoginURL returns the URL of the server's login page for the
	// authorization request id (op.Client.LoginURL); required for the
	// authorization-code flow.
	LoginURL func(authRequestID string) string
	// AccessTokenType is the kind of access token issued; the zero value is
	// op.AccessTokenTypeBearer.
	AccessTokenType op.AccessTokenType
	// IDTokenLifetime defaults to one hour.
	IDTokenLifetime time.Duration
	// ClockSkew is added to the validity of the tokens issued.
	ClockSkew time.Duration
	// Audience of the tokens of the client_credentials grant, such as the
	// resource servers of this deployment; the client itself when empty.
	Audience []string
}

// errUnknownClient answers a client_id with no client: a plain error, which
// zitadel/oidc answers with invalid_client.
var errUnknownClient = errors.New("zitadel adapter: unknown client")

// errBadSecret answers a wrong or expired secret, and a public client that
// tries to authenticate with one.
var errBadSecret = errors.New("zitadel adapter: the client secret does not authenticate the client")

// Clients are the client methods of op.Storage over a kvgen store of OAuth
// clients. They are safe for concurrent use.
type Clients struct {
	clients *oauthclients.Store
	opts    Options
}

var _ op.ClientCredentialsStorage = (*Clients)(nil)

// New returns the Clients of a store.
func New(clients *oauthclients.Store, opts Options) *Clients {
	if opts.IDTokenLifetime <= 0 {
		opts.IDTokenLifetime = time.Hour
	}
	return &Clients{clients: clients, opts: opts}
}

// get returns the client registered as id: an error that zitadel/oidc
// answers with invalid_client when there is none, and op's server_error
// when the store fails.
func (c *Clients) get(ctx context.Context, id string) (*Client, error) {
	rec, found, err := c.clients.Get(ctx, id)
	if errors.Is(err, kv.ErrInvalidKey) || err == nil && !found {
		// no client can be registered under a key the store refuses
		return nil, errUnknownClient
	}
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(fmt.Errorf("zitadel adapter: reading client: %w", err))
	}
	rec, digest := clientview.WithoutSecret(rec, time.Now())
	return &Client{record: rec, digest: digest, opts: &c.opts}, nil
}

// GetClientByClientID returns the client registered as clientID.
func (c *Clients) GetClientByClientID(ctx context.Context, clientID string) (op.Client, error) {
	client, err := c.get(ctx, clientID)
	if err != nil {
		return nil, err
	}
	return client, nil
}

// AuthorizeClientIDSecret returns nil when clientSecret authenticates the
// confidential client clientID now.
func (c *Clients) AuthorizeClientIDSecret(ctx context.Context, clientID, clientSecret string) error {
	_, err := c.authenticate(ctx, clientID, clientSecret)
	return err
}

// ClientCredentials returns the client clientID when clientSecret
// authenticates it: the client half of the client_credentials grant.
// zitadel/oidc then checks that the client registered that grant.
func (c *Clients) ClientCredentials(ctx context.Context, clientID, clientSecret string) (op.Client, error) {
	client, err := c.authenticate(ctx, clientID, clientSecret)
	if err != nil {
		return nil, err
	}
	return client, nil
}

func (c *Clients) authenticate(ctx context.Context, clientID, clientSecret string) (*Client, error) {
	client, err := c.get(ctx, clientID)
	if err != nil {
		return nil, err
	}
	if !clientview.DigestMatches(client.digest, clientSecret) {
		return nil, errBadSecret
	}
	return client, nil
}

// ClientCredentialsTokenRequest is the token of the client_credentials grant
// of clientID: the client is its subject, its audience Options.Audience (the
// client when empty), and its scopes those requested, each of which the
// client must have registered in its scope (else invalid_scope).
func (c *Clients) ClientCredentialsTokenRequest(ctx context.Context, clientID string, scopes []string) (op.TokenRequest, error) {
	client, err := c.get(ctx, clientID)
	if err != nil {
		return nil, err
	}
	allowed := clientview.Scopes(&client.record)
	for _, s := range scopes {
		if !clientview.Allows(allowed, s) {
			return nil, oidc.ErrInvalidScope().WithDescription("the client did not register the scope %s", quoteScope(s))
		}
	}
	audience := c.opts.Audience
	if len(audience) == 0 {
		audience = []string{clientID}
	}
	return &oidc.JWTTokenRequest{Subject: clientID, Audience: audience, Scopes: scopes}, nil
}

// quoteScope quotes a scope value for an error description, which the
// client that sent it reads; a scope value is printable ASCII (RFC 6749
// section 3.3), so anything else is left out.
func quoteScope(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return r < 0x21 || r > 0x7e }) >= 0 {
		return "(not a valid scope value)"
	}
	return fmt.Sprintf("%q", s)
}

// GetKeyByIDAndClientID returns the key keyID of the client's jwks: the key
// its JWT assertions (private_key_jwt, the JWT profile grant) are verified
// with.
func (c *Clients) GetKeyByIDAndClientID(ctx context.Context, keyID, clientID string) (*jose.JSONWebKey, error) {
	client, err := c.get(ctx, clientID)
	if err != nil {
		return nil, err
	}
	var set jose.JSONWebKeySet
	if len(client.record.JWKS) == 0 || json.Unmarshal(client.record.JWKS, &set) != nil {
		return nil, errors.New("zitadel adapter: the client has no JSON Web Key Set that can be read")
	}
	keys := set.Key(keyID)
	if len(keys) == 0 {
		return nil, errors.New("zitadel adapter: the client's JSON Web Key Set has no key of that key ID")
	}
	return &keys[0], nil
}
