// Package gooauth2 lets a server built on github.com/go-oauth2/oauth2/v4
// (v4.5) keep its OAuth clients in a kvgen store: Store is an
// oauth2.ClientStore over the generated oauthclients.Store, and its clients
// are oauth2.ClientPasswordVerifier, so that the library compares secrets
// through VerifyPassword, in constant time, and never reads one.
//
// go-oauth2 knows less of a client than the record holds. What it cannot
// ask a ClientInfo, Store answers through the server's hooks:
//
//	manager.MapClientStorage(store)
//	manager.SetValidateURIHandler(gooauth2.ValidateURI)      // the registered redirect_uris, exactly
//	srv.SetClientAuthorizedHandler(store.ClientAuthorizedHandler) // grant_types
//	srv.SetClientScopeHandler(store.ClientScopeHandler)           // scope
//	srv.SetPreRedirectErrorHandler(store.ErrorRedirects(srv))     // no error sent to an unregistered URI
//
// Without ValidateURI, go-oauth2 accepts any redirect URI on a host that ends
// with the host of the client's single redirect URI, and none of a client
// with several. Without ErrorRedirects, it sends its authorization errors to
// any redirect URI a request names.
package gooauth2

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-oauth2/oauth2/v4"
	oautherrors "github.com/go-oauth2/oauth2/v4/errors"

	"github.com/kvgen/kvgen/adapters/internal/clientview"
	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/kv"
)

// Store is an oauth2.ClientStore over a kvgen store of OAuth clients. It is
// safe for concurrent use.
type Store struct {
	clients *oauthclients.Store
}

var _ oauth2.ClientStore = (*Store)(nil)

// New returns a Store reading clients from clients.
func New(clients *oauthclients.Store) *Store {
	return &Store{clients: clients}
}

// GetByID returns the client registered as id (a *Client), or
// errors.ErrInvalidClient of go-oauth2 when there is none, which its server
// answers with 401 invalid_client.
func (s *Store) GetByID(ctx context.Context, id string) (oauth2.ClientInfo, error) {
	c, err := s.get(ctx, id)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (s *Store) get(ctx context.Context, id string) (*Client, error) {
	rec, found, err := s.clients.Get(ctx, id)
	if errors.Is(err, kv.ErrInvalidKey) || err == nil && !found {
		// no client can be registered under a key the store refuses
		return nil, oautherrors.ErrInvalidClient
	}
	if err != nil {
		return nil, fmt.Errorf("go-oauth2 adapter: reading client: %w", err)
	}
	rec, digest := clientview.WithoutSecret(rec, time.Now())
	return &Client{record: rec, digest: digest}, nil
}

// ClientAuthorizedHandler is a server.ClientAuthorizedHandler: it allows a
// client the grant types it registered (grant_types; authorization_code when
// none), and an implicit grant only with the response type token.
// go-oauth2 gives it no context: the lookup runs without a deadline of the
// request.
func (s *Store) ClientAuthorizedHandler(clientID string, grant oauth2.GrantType) (bool, error) {
	c, err := s.get(context.Background(), clientID)
	if errors.Is(err, oautherrors.ErrInvalidClient) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if grant == oauth2.Implicit {
		return clientview.Allows(clientview.ResponseTypes(&c.record), "token"), nil
	}
	return clientview.Allows(clientview.GrantTypes(&c.record), grant.String()), nil
}

// ClientScopeHandler is a server.ClientScopeHandler: it allows the scope
// values the client registered in its space-separated scope, and no scope
// to a client that registered none.
func (s *Store) ClientScopeHandler(tgr *oauth2.TokenGenerateRequest) (bool, error) {
	ctx := context.Background()
	if tgr.Request != nil {
		ctx = tgr.Request.Context()
	}
	c, err := s.get(ctx, tgr.ClientID)
	if errors.Is(err, oautherrors.ErrInvalidClient) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	allowed := clientview.Scopes(&c.record)
	for _, scope := range strings.Fields(tgr.Scope) {
		if !clientview.Allows(allowed, scope) {
			return false, nil
		}
	}
	return true, nil
}
