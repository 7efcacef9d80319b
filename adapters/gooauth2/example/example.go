// Package example wires go-oauth2 to a kvgen store of OAuth clients.
package example

import (
	"github.com/go-oauth2/oauth2/v4/manage"
	"github.com/go-oauth2/oauth2/v4/server"
	"github.com/go-oauth2/oauth2/v4/store"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvgen/kvgen/adapters/gooauth2"
	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/kv"
)

// NewServer returns go-oauth2's server, reading its clients from the
// oauth_clients table of pool, sealed with ring. Tokens stay in memory (put
// your token store); set its UserAuthorizationHandler for the
// authorization endpoint.
func NewServer(pool *pgxpool.Pool, ring *kv.KeyRing) (*server.Server, error) {
	records, err := oauthclients.New(pool, oauthclients.Options{Encrypter: ring})
	if err != nil {
		return nil, err
	}
	clients := gooauth2.New(records)
	manager := manage.NewDefaultManager()
	manager.MustTokenStorage(store.NewMemoryTokenStore())
	manager.MapClientStorage(clients)
	manager.SetValidateURIHandler(gooauth2.ValidateURI) // the registered redirect URIs, exactly
	srv := server.NewDefaultServer(manager)
	srv.SetClientAuthorizedHandler(clients.ClientAuthorizedHandler) // grant_types
	srv.SetClientScopeHandler(clients.ClientScopeHandler)           // scope
	srv.SetPreRedirectErrorHandler(clients.ErrorRedirects(srv))     // no error to an unregistered URI
	return srv, nil
}
