// Package clientview reads a registered OAuth client as the adapters of
// adapters/ present it to their libraries: RFC 7591's defaults for what the
// record leaves out, and the rules of its secret. Every adapter reads a
// record through it, so the three libraries see the same client.
package clientview

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/url"
	"strings"
	"time"

	"github.com/kvgen/kvgen/generated/oauthclients"
)

// AuthMethod is the client's token_endpoint_auth_method, client_secret_basic
// when the record has none (RFC 7591 section 2).
func AuthMethod(c *oauthclients.Client) string {
	if c.TokenEndpointAuthMethod == "" {
		return "client_secret_basic"
	}
	return c.TokenEndpointAuthMethod
}

// IsPublic reports whether the client has no credentials to authenticate
// with at the token endpoint: token_endpoint_auth_method "none".
func IsPublic(c *oauthclients.Client) bool {
	return AuthMethod(c) == "none"
}

// GrantTypes are the client's grant_types, ["authorization_code"] when the
// record has none (RFC 7591 section 2).
func GrantTypes(c *oauthclients.Client) []string {
	if len(c.GrantTypes) == 0 {
		return []string{"authorization_code"}
	}
	return c.GrantTypes
}

// ResponseTypes are the client's response_types, ["code"] when the record
// has none (RFC 7591 section 2).
func ResponseTypes(c *oauthclients.Client) []string {
	if len(c.ResponseTypes) == 0 {
		return []string{"code"}
	}
	return c.ResponseTypes
}

// Scopes splits the space-separated scope of the record. No scope means no
// scope may be requested, as the Python MCP SDK decides for a client
// registered without one.
func Scopes(c *oauthclients.Client) []string {
	return strings.Fields(c.Scope)
}

// Allows reports whether v is one of values.
func Allows(values []string, v string) bool {
	for _, x := range values {
		if x == v {
			return true
		}
	}
	return false
}

// SecretDigest is the SHA-256 digest of the client's secret while it can
// authenticate the client, and nil when it cannot: a public client, no
// secret, or a secret past client_secret_expires_at (0, or no value, means
// it never expires, RFC 7591 section 3.2.1).
func SecretDigest(c *oauthclients.Client, now time.Time) []byte {
	secret := c.ClientSecret.Reveal()
	if IsPublic(c) || secret == "" || expired(c.ClientSecretExpiresAt, now) {
		return nil
	}
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

func expired(at, now time.Time) bool {
	return !at.IsZero() && at.Unix() != 0 && !now.Before(at)
}

// DigestMatches reports, in constant time, whether presented is the secret
// whose digest is digest (from SecretDigest). Comparing digests rather than
// the secrets keeps the time independent of the secrets' lengths too. A nil
// digest matches nothing.
func DigestMatches(digest []byte, presented string) bool {
	sum := sha256.Sum256([]byte(presented))
	return len(digest) == sha256.Size && subtle.ConstantTimeCompare(digest, sum[:]) == 1
}

// WithoutSecret returns the digest of c's secret (SecretDigest) and c
// without the secret: what an adapter keeps of a record, so that the secret
// leaves the store only as a digest, whatever a library does with the
// client it is given (fosite's storage may keep or serialize it).
func WithoutSecret(c oauthclients.Client, now time.Time) (oauthclients.Client, []byte) {
	digest := SecretDigest(&c, now)
	c.ClientSecret = ""
	return c, digest
}

// RedirectAllowed reports whether requested is one of the registered
// redirect URIs: the same string, or, for a loopback redirect of a native
// app, the same but for the port, which the app picks when it runs (RFC
// 8252 section 7.3: http, host 127.0.0.1, [::1] or localhost).
func RedirectAllowed(registered []string, requested string) bool {
	if Allows(registered, requested) {
		return true
	}
	req, ok := loopback(requested)
	if !ok {
		return false
	}
	for _, r := range registered {
		if reg, ok := loopback(r); ok && reg.Hostname() == req.Hostname() &&
			reg.EscapedPath() == req.EscapedPath() && reg.RawQuery == req.RawQuery {
			return true
		}
	}
	return false
}

// loopback parses s when it is an http URL of a loopback host without
// user info or fragment.
func loopback(s string) (*url.URL, bool) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "http" || u.User != nil || u.Fragment != "" || u.Opaque != "" {
		return nil, false
	}
	switch u.Hostname() {
	case "127.0.0.1", "::1", "localhost":
		return u, true
	}
	return nil, false
}
