package gooauth2

import (
	"strings"

	"github.com/go-oauth2/oauth2/v4"

	"github.com/kvgen/kvgen/adapters/internal/clientview"
	"github.com/kvgen/kvgen/generated/oauthclients"
)

// domainSeparator joins the redirect URIs in GetDomain. A URL cannot hold a
// newline (net/url refuses control characters), so the list splits back
// exactly, and go-oauth2's own URI check cannot parse a joined list: it
// fails closed.
const domainSeparator = "\n"

// Client is a registered client as go-oauth2 sees it.
type Client struct {
	record oauthclients.Client
	digest []byte
}

var (
	_ oauth2.ClientInfo             = (*Client)(nil)
	_ oauth2.ClientPasswordVerifier = (*Client)(nil)
)

// Record returns the stored record without its client_secret, for what
// go-oauth2 does not carry.
func (c *Client) Record() oauthclients.Client { return c.record }

// GetID returns the client_id.
func (c *Client) GetID() string { return c.record.ClientID }

// GetSecret returns "": the secret is compared by VerifyPassword, which
// go-oauth2 calls whenever a client has it, and is never handed out.
func (c *Client) GetSecret() string { return "" }

// GetDomain returns the registered redirect URIs, one per line, for
// ValidateURI. With one URI it is that URI: go-oauth2 redirects there when
// an authorization request names none (RFC 6749 section 3.1.2.3).
func (c *Client) GetDomain() string { return strings.Join(c.record.RedirectURIs, domainSeparator) }

// IsPublic reports token_endpoint_auth_method "none"; go-oauth2 refuses
// client_credentials to a public client.
func (c *Client) IsPublic() bool { return clientview.IsPublic(&c.record) }

// GetUserID returns "": a registered client belongs to no user.
func (c *Client) GetUserID() string { return "" }

// VerifyPassword reports, in constant time, whether secret authenticates
// the client: its client_secret, unless that expired
// (client_secret_expires_at). A public client has no secret: it passes
// only when it presents none.
func (c *Client) VerifyPassword(secret string) bool {
	if c.IsPublic() {
		return secret == ""
	}
	return clientview.DigestMatches(c.digest, secret)
}
