package fosite

import (
	"encoding/json"
	"time"

	"github.com/go-jose/go-jose/v3"
	"github.com/ory/fosite"

	"github.com/kvgen/kvgen/adapters/internal/clientview"
	"github.com/kvgen/kvgen/generated/oauthclients"
)

// Client is a registered client as fosite sees it: a fosite.Client and a
// fosite.OpenIDConnectClient, so that fosite enforces the client's
// token_endpoint_auth_method.
type Client struct {
	record   oauthclients.Client
	digest   []byte
	audience []string
	jwks     *jose.JSONWebKeySet
}

var (
	_ fosite.Client              = (*Client)(nil)
	_ fosite.OpenIDConnectClient = (*Client)(nil)
)

func newClient(rec oauthclients.Client, audience []string, now time.Time) *Client {
	rec, digest := clientview.WithoutSecret(rec, now)
	return &Client{record: rec, digest: digest, audience: audience, jwks: parseJWKS(rec.JWKS)}
}

// parseJWKS reads the client's jwks, nil when it has none or when go-jose
// cannot read it: fosite then finds no key and refuses the client's
// assertions, while its other ways to authenticate keep working.
func parseJWKS(raw json.RawMessage) *jose.JSONWebKeySet {
	if len(raw) == 0 {
		return nil
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(raw, &set); err != nil {
		return nil
	}
	return &set
}

// Record returns the stored record without its client_secret, for what
// fosite does not carry (the client's name and logo at consent, say).
func (c *Client) Record() oauthclients.Client { return c.record }

// GetID returns the client_id.
func (c *Client) GetID() string { return c.record.ClientID }

// GetHashedSecret returns the SHA-256 digest of the client_secret, which
// Hasher compares with; nil for a public client and for a secret past
// client_secret_expires_at, which then authenticates nothing.
func (c *Client) GetHashedSecret() []byte { return c.digest }

// GetRedirectURIs returns the registered redirect_uris; fosite matches them
// exactly (a loopback URI with any port, RFC 8252).
func (c *Client) GetRedirectURIs() []string { return c.record.RedirectURIs }

// GetGrantTypes returns grant_types, ["authorization_code"] when none were registered.
func (c *Client) GetGrantTypes() fosite.Arguments { return clientview.GrantTypes(&c.record) }

// GetResponseTypes returns response_types, ["code"] when none were registered.
func (c *Client) GetResponseTypes() fosite.Arguments { return clientview.ResponseTypes(&c.record) }

// GetScopes returns the scope values of the space-separated scope; none
// when it is empty, so that no scope can be requested.
func (c *Client) GetScopes() fosite.Arguments { return clientview.Scopes(&c.record) }

// IsPublic reports token_endpoint_auth_method "none".
func (c *Client) IsPublic() bool { return clientview.IsPublic(&c.record) }

// GetAudience returns Options.Audience: the record has none of its own.
func (c *Client) GetAudience() fosite.Arguments { return c.audience }

// GetRequestURIs returns none: the record registers no request_uris.
func (c *Client) GetRequestURIs() []string { return nil }

// GetJSONWebKeys returns the client's jwks, for private_key_jwt.
func (c *Client) GetJSONWebKeys() *jose.JSONWebKeySet { return c.jwks }

// GetJSONWebKeysURI returns the client's jwks_uri, for private_key_jwt.
func (c *Client) GetJSONWebKeysURI() string { return c.record.JWKSURI }

// GetRequestObjectSigningAlgorithm returns "": the record has no
// request_object_signing_alg, whose default is any algorithm.
func (c *Client) GetRequestObjectSigningAlgorithm() string { return "" }

// GetTokenEndpointAuthMethod returns token_endpoint_auth_method,
// client_secret_basic when none was registered (RFC 7591).
func (c *Client) GetTokenEndpointAuthMethod() string { return clientview.AuthMethod(&c.record) }

// GetTokenEndpointAuthSigningAlgorithm returns RS256, the default of
// OpenID Connect Dynamic Client Registration: the record has no
// token_endpoint_auth_signing_alg.
func (c *Client) GetTokenEndpointAuthSigningAlgorithm() string { return "RS256" }
