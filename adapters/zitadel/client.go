package zitadel

import (
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/kvgen/kvgen/adapters/internal/clientview"
	"github.com/kvgen/kvgen/generated/oauthclients"
)

// Client is a registered client as zitadel/oidc sees it.
type Client struct {
	record oauthclients.Client
	digest []byte // of the client_secret, while it authenticates the client
	opts   *Options
}

var _ op.Client = (*Client)(nil)

// Record returns the stored record without its client_secret, for what
// zitadel/oidc does not carry (the client's name and logo at consent, say).
func (c *Client) Record() oauthclients.Client { return c.record }

// GetID returns the client_id.
func (c *Client) GetID() string { return c.record.ClientID }

// RedirectURIs returns the registered redirect_uris.
func (c *Client) RedirectURIs() []string { return c.record.RedirectURIs }

// PostLogoutRedirectURIs returns none: the record registers none.
func (c *Client) PostLogoutRedirectURIs() []string { return nil }

// ApplicationType maps application_type: "native" is op.ApplicationTypeNative
// (loopback redirect URIs on any port, private-use schemes), "web" is
// op.ApplicationTypeWeb. A client that registered none is web (OpenID
// Connect Registration's default) unless it is public: zitadel/oidc takes
// web for confidential (op.IsConfidentialType), and the public clients of
// dynamic registration are native apps (RFC 8252).
func (c *Client) ApplicationType() op.ApplicationType {
	switch {
	case c.record.ApplicationType == "native":
		return op.ApplicationTypeNative
	case c.record.ApplicationType == "web":
		return op.ApplicationTypeWeb
	case clientview.IsPublic(&c.record):
		return op.ApplicationTypeNative
	}
	return op.ApplicationTypeWeb
}

// AuthMethod returns token_endpoint_auth_method, client_secret_basic when
// none was registered (RFC 7591).
func (c *Client) AuthMethod() oidc.AuthMethod {
	return oidc.AuthMethod(clientview.AuthMethod(&c.record))
}

// ResponseTypes returns response_types, ["code"] when none were registered.
func (c *Client) ResponseTypes() []oidc.ResponseType {
	return convert[oidc.ResponseType](clientview.ResponseTypes(&c.record))
}

// GrantTypes returns grant_types, ["authorization_code"] when none were registered.
func (c *Client) GrantTypes() []oidc.GrantType {
	return convert[oidc.GrantType](clientview.GrantTypes(&c.record))
}

func convert[T ~string](values []string) []T {
	out := make([]T, len(values))
	for i, v := range values {
		out[i] = T(v)
	}
	return out
}

// LoginURL returns Options.LoginURL(id), "" without one.
func (c *Client) LoginURL(id string) string {
	if c.opts.LoginURL == nil {
		return ""
	}
	return c.opts.LoginURL(id)
}

// AccessTokenType returns Options.AccessTokenType.
func (c *Client) AccessTokenType() op.AccessTokenType { return c.opts.AccessTokenType }

// IDTokenLifetime returns Options.IDTokenLifetime.
func (c *Client) IDTokenLifetime() time.Duration { return c.opts.IDTokenLifetime }

// DevMode returns false: no registered client relaxes the redirect rules.
func (c *Client) DevMode() bool { return false }

// RestrictAdditionalIdTokenScopes keeps every scope.
func (c *Client) RestrictAdditionalIdTokenScopes() func([]string) []string { return keepScopes }

// RestrictAdditionalAccessTokenScopes keeps every scope.
func (c *Client) RestrictAdditionalAccessTokenScopes() func([]string) []string { return keepScopes }

func keepScopes(scopes []string) []string { return scopes }

// IsScopeAllowed reports whether the client registered scope in its
// space-separated scope. zitadel/oidc asks only of scopes beyond OpenID
// Connect's own (openid, profile, email, phone, address, offline_access),
// and drops those not allowed from an authorization request.
func (c *Client) IsScopeAllowed(scope string) bool {
	return clientview.Allows(clientview.Scopes(&c.record), scope)
}

// IDTokenUserinfoClaimsAssertion returns false: the ID token carries the
// userinfo claims only when no access token is issued with it.
func (c *Client) IDTokenUserinfoClaimsAssertion() bool { return false }

// ClockSkew returns Options.ClockSkew.
func (c *Client) ClockSkew() time.Duration { return c.opts.ClockSkew }
