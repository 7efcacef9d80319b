package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// cimdConfig configures the fetches of client ID metadata documents; a zero
// field takes its default (see withDefaults).
type cimdConfig struct {
	// allow decides which addresses a fetch may connect to, checked after
	// DNS resolution on the socket itself; nil is publicAddressesOnly.
	// Tests put a policy here that lets them reach a local TLS server.
	allow addressPolicy
	// resolver looks up the hosts of client IDs; nil is net.DefaultResolver.
	resolver resolver
	// rootCAs verifies the servers of the documents; nil is the system's.
	rootCAs *x509.CertPool
	// timeout bounds a whole fetch: connection, redirects and body.
	timeout time.Duration
	// maxBytes bounds a document.
	maxBytes int64
	// maxRedirects is how many redirects a fetch follows, each to https
	// and each dialed through the policy; 0, the default, follows none, as
	// the current CIMD draft says (the server MUST NOT follow redirects).
	maxRedirects int
	// minTTL and maxTTL bound how long a fetched document is kept, whatever
	// its Cache-Control or Expires say: the floor keeps a document from
	// making the server fetch it on every request, the ceiling makes a
	// changed document count within a day. defaultTTL applies when the
	// response says nothing.
	minTTL, maxTTL, defaultTTL time.Duration
}

// Defaults of cimdConfig.
const (
	defaultFetchTimeout  = 5 * time.Second
	defaultMaxCIMDBytes  = 64 << 10
	defaultCIMDMinTTL    = 5 * time.Minute
	defaultCIMDMaxTTL    = 24 * time.Hour
	defaultCIMDTTL       = time.Hour
	maxResponseHeaderLen = 16 << 10
)

func (c cimdConfig) withDefaults() cimdConfig {
	if c.timeout <= 0 {
		c.timeout = defaultFetchTimeout
	}
	if c.maxBytes <= 0 {
		c.maxBytes = defaultMaxCIMDBytes
	}
	if c.minTTL <= 0 {
		c.minTTL = defaultCIMDMinTTL
	}
	if c.maxTTL <= 0 {
		c.maxTTL = defaultCIMDMaxTTL
	}
	if c.defaultTTL <= 0 {
		c.defaultTTL = defaultCIMDTTL
	}
	return c
}

// cimdError is a client ID metadata document that cannot be used: it could
// not be fetched, or what was fetched is not a valid document. Its message
// is for the client and the operator, and names what went wrong, never a
// resolved address.
type cimdError struct{ reason string }

func (e *cimdError) Error() string { return "client ID metadata document: " + e.reason }

func cimdErrorf(format string, args ...any) *cimdError {
	return &cimdError{fmt.Sprintf(format, args...)}
}

// cimdFetcher fetches documents over HTTPS through a guardedDialer.
type cimdFetcher struct {
	cfg    cimdConfig
	client *http.Client
}

func newCIMDFetcher(cfg cimdConfig) *cimdFetcher {
	cfg = cfg.withDefaults()
	dialer := newGuardedDialer(cfg.allow, cfg.resolver)
	transport := &http.Transport{
		// No proxy, whatever $HTTPS_PROXY says: the policy checks the
		// address the fetch connects to, and through a proxy that would be
		// the proxy's.
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		TLSClientConfig:        &tls.Config{RootCAs: cfg.rootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    cfg.timeout,
		ResponseHeaderTimeout:  cfg.timeout,
		MaxResponseHeaderBytes: maxResponseHeaderLen,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           16,
		IdleConnTimeout:        30 * time.Second,
	}
	return &cimdFetcher{cfg: cfg, client: &http.Client{
		Transport:     transport,
		Timeout:       cfg.timeout, // the body's reading included: a slow body ends here
		CheckRedirect: cfg.checkRedirect,
	}}
}

// checkRedirect lets a fetch follow at most maxRedirects redirects, each to
// an https URL; the dialer checks where each one leads.
func (c cimdConfig) checkRedirect(req *http.Request, via []*http.Request) error {
	switch {
	case c.maxRedirects == 0:
		return errors.New("the server answered with a redirect, which is not followed")
	case len(via) > c.maxRedirects:
		return fmt.Errorf("more than %d redirects", c.maxRedirects)
	case req.URL.Scheme != "https":
		return errors.New("a redirect leads away from https")
	}
	return nil
}

// fetched is a document as the server answered it.
type fetched struct {
	body []byte
	// ttl is how long it may be kept, bounded by minTTL and maxTTL.
	ttl time.Duration
}

// fetch GETs the document at rawURL: a 200 answer with a JSON content type
// and a body of at most maxBytes, within timeout.
func (f *cimdFetcher) fetch(ctx context.Context, rawURL string, now time.Time) (fetched, error) {
	// The deadline is the client's Timeout too; it is kept here as well,
	// since a body cut short by a cancellation may read as a clean end.
	ctx, cancel := context.WithTimeout(ctx, f.cfg.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return fetched{}, cimdErrorf("cannot build a request for it")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := f.client.Do(req)
	if err != nil {
		return fetched{}, f.transportError(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fetched{}, cimdErrorf("its server answered HTTP %d, not 200", resp.StatusCode)
	}
	if !isJSONMediaType(resp.Header.Get("Content-Type")) {
		return fetched{}, cimdErrorf("its server answered with content type %q, not application/json",
			shortHeader(resp.Header.Get("Content-Type")))
	}
	if resp.ContentLength > f.cfg.maxBytes {
		return fetched{}, f.tooLarge()
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.cfg.maxBytes+1))
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return fetched{}, f.transportError(err)
	}
	if int64(len(body)) > f.cfg.maxBytes {
		return fetched{}, f.tooLarge()
	}
	return fetched{body: body, ttl: f.cfg.cacheTTL(resp.Header, now)}, nil
}

func (f *cimdFetcher) tooLarge() *cimdError {
	return cimdErrorf("it is larger than %d bytes", f.cfg.maxBytes)
}

// transportError says why a fetch failed, without the URL that url.Error
// repeats (the caller knows it).
func (f *cimdFetcher) transportError(err error) *cimdError {
	var refused *refusedAddressError
	var urlErr *url.Error
	switch {
	case errors.As(err, &refused):
		return cimdErrorf("%s", refused.Error())
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return cimdErrorf("the fetch did not finish within %v", f.cfg.timeout)
	case errors.As(err, &urlErr):
		return cimdErrorf("cannot fetch it: %v", urlErr.Err)
	}
	return cimdErrorf("cannot fetch it: %v", err)
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// isJSONMediaType accepts application/json and application/<anything>+json
// (draft-ietf-oauth-client-id-metadata-document: every other type is an error).
func isJSONMediaType(contentType string) bool {
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	sub, ok := strings.CutPrefix(mediaType, "application/")
	return ok && (sub == "json" || strings.HasSuffix(sub, "+json"))
}

// shortHeader cuts a header value a remote server chose to a length fit
// for an error message.
func shortHeader(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// cacheTTL is how long a response may be kept, from its Cache-Control
// (no-store, no-cache, max-age) or else its Expires relative to its Date
// (RFC 9111 section 4.2.1), bounded to [minTTL, maxTTL]: no-store and an
// Expires in the past give minTTL, since the document must be kept for the
// flow that fetched it.
func (c cimdConfig) cacheTTL(h http.Header, now time.Time) time.Duration {
	ttl, ok := cacheControlTTL(h.Values("Cache-Control"))
	if !ok {
		ttl, ok = expiresTTL(h, now)
	}
	if !ok {
		ttl = c.defaultTTL
	}
	return min(max(ttl, c.minTTL), c.maxTTL)
}

// cacheControlTTL reads the directives of Cache-Control headers: no-store
// and no-cache, wherever they stand, mean no reuse; false when the headers
// say nothing about freshness.
func cacheControlTTL(values []string) (time.Duration, bool) {
	maxAge, found := time.Duration(0), false
	for _, v := range values {
		for directive := range strings.SplitSeq(v, ",") {
			name, arg, _ := strings.Cut(strings.TrimSpace(directive), "=")
			switch strings.ToLower(name) {
			case "no-store", "no-cache":
				return 0, true
			case "max-age":
				if !found {
					maxAge, found = parseMaxAge(arg), true
				}
			}
		}
	}
	return maxAge, found
}

// parseMaxAge reads a max-age; an invalid one is stale (RFC 9111 section
// 4.2.1), a huge one a year (the ceiling cuts it anyway).
func parseMaxAge(arg string) time.Duration {
	seconds, err := strconv.ParseInt(strings.Trim(arg, `"`), 10, 64)
	if err != nil || seconds < 0 {
		return 0
	}
	return time.Duration(min(seconds, int64(365*24*time.Hour/time.Second))) * time.Second
}

// expiresTTL reads Expires against Date (or now, without a Date); an
// unreadable Expires is in the past (RFC 9111 section 5.3).
func expiresTTL(h http.Header, now time.Time) (time.Duration, bool) {
	raw := h.Get("Expires")
	if raw == "" {
		return 0, false
	}
	expires, err := http.ParseTime(raw)
	if err != nil {
		return 0, true
	}
	if date, err := http.ParseTime(h.Get("Date")); err == nil {
		now = date
	}
	return expires.Sub(now), true
}
