package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/kv"
)

// Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document,
// which the MCP authorization specification of 2025-11-25 adopts): a client
// whose client_id is an HTTPS URL needs no registration. The server fetches
// the JSON document at that URL, checks it, and keeps the client it
// describes in the store as FastMCP does (cimd_document, cimd_fetched_at), for
// as long as the document's cache headers say, within bounds.

// maxMetadataURLBytes bounds a client_id URL: it is the key of a row.
const maxMetadataURLBytes = 2000

// isMetadataURL reports whether a client_id names a metadata document
// rather than a registration: the client IDs this server issues are never
// URLs.
func isMetadataURL(clientID string) bool {
	return strings.HasPrefix(clientID, "https://")
}

// checkMetadataURL applies the draft's rules for a client_id URL: https, a
// host, a path, no fragment, no user information, no dot segments.
func checkMetadataURL(id string) error {
	if len(id) > maxMetadataURLBytes {
		return cimdErrorf("the client_id URL is longer than %d bytes", maxMetadataURLBytes)
	}
	if msg := kv.CheckURL(id, kv.SchemeHTTPS); msg != "" {
		return cimdErrorf("the client_id URL is invalid: %s", msg)
	}
	u, err := url.Parse(id)
	switch {
	case err != nil:
		return cimdErrorf("the client_id URL is invalid")
	case u.User != nil:
		return cimdErrorf("the client_id URL has user information")
	case strings.Contains(id, "#"):
		return cimdErrorf("the client_id URL has a fragment")
	case u.Path == "" || u.Path == "/":
		return cimdErrorf("the client_id URL has no path: a document lives at one, such as https://app.example/client.json")
	case slices.ContainsFunc(strings.Split(u.Path, "/"), isDotSegment): // decoded: %2E%2E too
		return cimdErrorf("the client_id URL has a . or .. path segment")
	}
	return nil
}

func isDotSegment(s string) bool { return s == "." || s == ".." }

// cimdClients resolves client IDs that are metadata document URLs. A
// document is fetched when the store holds no fresh copy, and concurrent
// requests for one URL share one fetch. A document that cannot be fetched
// or checked refuses the request, even when a stale copy was kept: the
// draft says to abort then, and the stale copy may list redirect URIs its
// owner has since withdrawn. A row written with the store's ttl expires with
// the document's cache lifetime, so a stale copy is not even kept.
type cimdClients struct {
	clients *oauthclients.Store
	fetcher *cimdFetcher
	now     func() time.Time
	log     *slog.Logger

	mu       sync.Mutex
	inFlight map[string]*cimdRefresh
}

// cimdRefresh is one fetch in progress, which concurrent requests wait for.
type cimdRefresh struct {
	done    chan struct{}
	waiters atomic.Int32
	client  oauthclients.Client
	err     error
}

func newCIMDClients(clients *oauthclients.Store, cfg cimdConfig, now func() time.Time, log *slog.Logger) *cimdClients {
	return &cimdClients{clients: clients, fetcher: newCIMDFetcher(cfg), now: now, log: log,
		inFlight: map[string]*cimdRefresh{}}
}

// client returns the client of a metadata document URL; a *cimdError says
// why the document cannot be used. A client that the store holds under the
// URL without a document (registered some other way) is returned as it is.
func (c *cimdClients) client(ctx context.Context, id string) (oauthclients.Client, bool, error) {
	if err := checkMetadataURL(id); err != nil {
		return oauthclients.Client{}, false, err
	}
	e, version, err := c.clients.KV().GetVersion(ctx, "", id)
	if err != nil {
		return oauthclients.Client{}, false, err
	}
	if e.Found && (e.Value.CimdDocument == nil || c.fresh(e)) {
		return e.Value, true, nil
	}
	client, err := c.refreshShared(ctx, id, version)
	return client, err == nil, err
}

// fresh reports whether a stored document may still be used. A row with an
// expiry is fresh until it expires (the store hides it then), up to maxTTL
// after its fetch; a row without one, as FastMCP writes them, for
// defaultTTL after its fetch.
func (c *cimdClients) fresh(e kv.Entry[oauthclients.Client]) bool {
	fetchedAt := e.Value.CimdFetchedAt
	if fetchedAt == nil {
		return false
	}
	lifetime := c.fetcher.cfg.defaultTTL
	if e.Expires {
		lifetime = c.fetcher.cfg.maxTTL
	}
	return c.now().Before(unixSeconds(*fetchedAt).Add(lifetime))
}

// refreshShared fetches the document of id, or waits for the fetch that
// another request started.
func (c *cimdClients) refreshShared(ctx context.Context, id string, version kv.Version) (oauthclients.Client, error) {
	c.mu.Lock()
	if r, ok := c.inFlight[id]; ok {
		r.waiters.Add(1)
		c.mu.Unlock()
		select {
		case <-r.done:
			return r.client, r.err
		case <-ctx.Done():
			return oauthclients.Client{}, ctx.Err()
		}
	}
	r := &cimdRefresh{done: make(chan struct{})}
	c.inFlight[id] = r
	c.mu.Unlock()

	// The fetch serves every waiting request: it does not end with the
	// request that started it, only with its own time limit.
	refreshCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*c.fetcher.cfg.timeout)
	r.client, r.err = c.refresh(refreshCtx, id, version)
	cancel()

	c.mu.Lock()
	delete(c.inFlight, id)
	c.mu.Unlock()
	close(r.done)
	return r.client, r.err
}

// waiting counts the requests waiting for another's fetch of id.
func (c *cimdClients) waiting(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r, ok := c.inFlight[id]; ok {
		return int(r.waiters.Load())
	}
	return 0
}

// refresh fetches and checks the document of id and stores its client
// over the row at version, to expire with the document's cache lifetime. A
// row that another replica wrote meanwhile is left alone: it holds the same
// document, or a newer one.
func (c *cimdClients) refresh(ctx context.Context, id string, version kv.Version) (oauthclients.Client, error) {
	client, ttl, err := c.fetchClient(ctx, id)
	var refused *cimdError
	if errors.As(err, &refused) {
		c.log.InfoContext(ctx, "refused a client ID metadata document", "reason", refused.reason)
	}
	if err != nil {
		return oauthclients.Client{}, err
	}
	if _, err := c.clients.KV().CompareAndSwap(ctx, "", id, version, client, ttl); err != nil {
		return oauthclients.Client{}, err
	}
	c.log.InfoContext(ctx, "fetched a client ID metadata document", "client_id", id, "ttl", ttl.String())
	return client, nil
}

// fetchClient fetches the document of id and returns the client it
// describes and how long it may be kept.
func (c *cimdClients) fetchClient(ctx context.Context, id string) (oauthclients.Client, time.Duration, error) {
	now := c.now()
	doc, err := c.fetcher.fetch(ctx, id, now)
	if err != nil {
		return oauthclients.Client{}, 0, err
	}
	client, err := clientFromDocument(id, doc.body, now)
	return client, doc.ttl, err
}

// clientFromDocument checks a fetched document and returns the client it
// describes, as a registration of the same metadata would be checked (the
// same redirect URI, grant and response type rules), with the rules of the
// draft on top: its client_id is the URL it was fetched from, and it holds
// no shared secret.
func clientFromDocument(id string, body []byte, now time.Time) (oauthclients.Client, error) {
	members, err := decodeObject(bytes.NewReader(body))
	if err != nil {
		return oauthclients.Client{}, cimdErrorf("it is not a JSON object")
	}
	if err := checkDocumentIdentity(id, members); err != nil {
		return oauthclients.Client{}, err
	}
	md := clientMetadataOf(members)
	applyDocumentDefaults(md)
	c, merr := withMetadata(oauthclients.Client{}, md)
	if merr == nil {
		merr = completeMetadata(&c, md)
	}
	if merr != nil {
		return oauthclients.Client{}, cimdErrorf("%s", merr.description)
	}
	var doc oauthclients.ClientCimdDocument
	if err := doc.UnmarshalJSON(body); err != nil {
		return oauthclients.Client{}, cimdErrorf("malformed: %s", describeDecodeError(err))
	}
	if doc.ClientID != id { // a duplicate member read otherwise than by the check above
		return oauthclients.Client{}, cimdErrorf("its client_id is not the URL it was fetched from")
	}
	c.ClientID = id
	c.CimdDocument = &doc
	fetchedAt := float64(now.UnixMicro()) / 1e6
	c.CimdFetchedAt = &fetchedAt
	if merr := checkRecord(&c); merr != nil {
		return oauthclients.Client{}, cimdErrorf("%s", merr.description)
	}
	return c, nil
}

// checkDocumentIdentity applies the draft's rules on who a document says
// the client is: its client_id is the URL, compared as strings, and it
// cannot authenticate with a shared secret (a document is public).
func checkDocumentIdentity(id string, members map[string]json.RawMessage) error {
	var claimed string
	if raw, ok := members["client_id"]; !ok || json.Unmarshal(raw, &claimed) != nil {
		return cimdErrorf("it has no client_id string")
	}
	if claimed != id {
		return cimdErrorf("its client_id is not the URL it was fetched from")
	}
	for _, name := range []string{"client_secret", "client_secret_expires_at"} {
		if present(members, name) {
			return cimdErrorf("it holds %s: a metadata document is public, so its client has no secret", name)
		}
	}
	if present(members, "token_endpoint_auth_method") {
		var method string
		_ = json.Unmarshal(members["token_endpoint_auth_method"], &method)
		if method != authNone && method != authPrivateKeyJWT {
			return cimdErrorf("token_endpoint_auth_method must be none or private_key_jwt: a metadata document cannot carry a shared secret")
		}
	}
	return nil
}

// applyDocumentDefaults fills in what a document leaves out with the
// defaults of RFC 7591 section 2 for a client without a secret.
func applyDocumentDefaults(md map[string]json.RawMessage) {
	if !present(md, "token_endpoint_auth_method") {
		md["token_endpoint_auth_method"] = json.RawMessage(`"none"`)
	}
	if !present(md, "grant_types") {
		md["grant_types"] = json.RawMessage(`["authorization_code"]`)
	}
}

// unixSeconds is the time of fractional seconds since the Unix epoch, as
// cimd_fetched_at holds it.
func unixSeconds(s float64) time.Time {
	return time.UnixMicro(int64(s * 1e6))
}
