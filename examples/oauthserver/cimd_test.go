package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvgen/kvgen/generated/oauthclients"
)

// cimdRedirect is the redirect URI of the test documents: a native app's
// loopback port.
const cimdRedirect = "http://127.0.0.1:9999/callback"

// docServer is a local HTTPS server of client ID metadata documents. The
// default address policy refuses it (it is on loopback): tests reach it
// through loopbackPolicy.
type docServer struct {
	*httptest.Server
	fetches atomic.Int64

	mu     sync.Mutex
	routes map[string]http.HandlerFunc
}

func newDocServer(t *testing.T) *docServer {
	t.Helper()
	d := &docServer{routes: map[string]http.HandlerFunc{}}
	d.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.fetches.Add(1)
		d.mu.Lock()
		h := d.routes[r.URL.Path]
		d.mu.Unlock()
		if h == nil {
			http.NotFound(w, r)
			return
		}
		h(w, r)
	}))
	t.Cleanup(d.Close)
	return d
}

func (d *docServer) handle(path string, h http.HandlerFunc) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.routes[path] = h
}

// publish serves doc at path as application/json, with a Cache-Control
// header unless cacheControl is "".
func (d *docServer) publish(t *testing.T, path string, doc any, cacheControl string) string {
	t.Helper()
	body, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	d.handle(path, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if cacheControl != "" {
			w.Header().Set("Cache-Control", cacheControl)
		}
		_, _ = w.Write(body)
	})
	return d.URL + path
}

// config is what the server needs to fetch from d: its certificate, and a
// policy that lets loopback through.
func (d *docServer) config() cimdConfig {
	pool := x509.NewCertPool()
	pool.AddCert(d.Certificate())
	return cimdConfig{allow: loopbackPolicy, rootCAs: pool}
}

// loopbackPolicy is the default policy, except that it lets the fetcher
// reach a test server on loopback (not through an IPv4-mapped address).
func loopbackPolicy(ip netip.Addr) error {
	if ip.IsLoopback() && !ip.Is4In6() {
		return nil
	}
	return publicAddressesOnly(ip)
}

// cimdDocument is a valid document for the client ID id, with extra members.
func cimdDocument(id string, extra map[string]any) map[string]any {
	doc := map[string]any{
		"client_id": id, "client_name": "CIMD test client",
		"redirect_uris": []string{cimdRedirect}, "token_endpoint_auth_method": "none",
	}
	for k, v := range extra {
		doc[k] = v
	}
	return doc
}

// cimdServer is a server that accepts metadata documents from docs, on st.
func cimdServer(t *testing.T, st testStores, docs *docServer, now func() time.Time) *testServer {
	t.Helper()
	return serveWith(t, st, serverOptions{cimd: true, cimdConfig: docs.config(), now: now})
}

// TestCIMDFlow: a client whose client_id is the URL of its metadata
// document runs the authorization code flow without registering. The
// document is fetched once, checked, and kept in the store as FastMCP keeps
// it (cimd_document, cimd_fetched_at) for its Cache-Control max-age; on
// PostgreSQL and in memory.
func TestCIMDFlow(t *testing.T) {
	for name, stores := range map[string]func(*testing.T) testStores{
		"memory":   func(t *testing.T) testStores { return memoryStores(t, nil) },
		"postgres": postgresStores,
	} {
		t.Run(name, func(t *testing.T) {
			docs := newDocServer(t)
			st := stores(t)
			ts := cimdServer(t, st, docs, nil)
			id := docs.publish(t, "/oauth/client.json", cimdDocument(docs.URL+"/oauth/client.json", nil), "public, max-age=600")

			for i := range 2 {
				tok := ts.authorizationCodeFlow(t, id, cimdRedirect)
				if tok.status != http.StatusOK || tok.str("access_token") == "" {
					t.Fatalf("flow %d: %d %s", i, tok.status, tok.raw)
				}
			}
			if n := docs.fetches.Load(); n != 1 {
				t.Errorf("the document was fetched %d times for two flows (four requests), want 1", n)
			}

			e, err := st.clients.KV().TTL(context.Background(), "", id)
			if err != nil || !e.Found {
				t.Fatalf("the client is not in the store: %v", err)
			}
			c := e.Value
			if c.CimdDocument == nil || c.CimdDocument.ClientID != id || c.CimdDocument.ClientName != "CIMD test client" ||
				c.CimdFetchedAt == nil || time.Since(unixSeconds(*c.CimdFetchedAt)).Abs() > time.Minute {
				t.Errorf("stored client: document %+v, fetched at %v", c.CimdDocument, c.CimdFetchedAt)
			}
			if c.TokenEndpointAuthMethod != authNone || c.ClientSecret != "" || strings.Join(c.RedirectURIs, " ") != cimdRedirect {
				t.Errorf("stored client: method %q, secret set %v, redirect URIs %v", c.TokenEndpointAuthMethod, c.ClientSecret != "", c.RedirectURIs)
			}
			if !e.Expires || e.TTL > 600*time.Second || e.TTL < 590*time.Second {
				t.Errorf("the stored document expires %v in %v, want with its max-age of 600s", e.Expires, e.TTL)
			}

			meta := withBearer(t, nil, http.MethodGet, ts.URL+"/.well-known/oauth-authorization-server", "")
			if supported, _ := meta.body["client_id_metadata_document_supported"].(bool); !supported {
				t.Errorf("the server metadata does not announce CIMD: %s", meta.raw)
			}
		})
	}
}

// TestCIMDCacheTTL: how long a document is kept, from its response's
// Cache-Control or Expires, bounded to [5 min, 24 h].
func TestCIMDCacheTTL(t *testing.T) {
	cfg := cimdConfig{}.withDefaults()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	date := now.Add(-time.Hour).Format(http.TimeFormat) // a server clock an hour behind ours
	for _, tc := range []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{"max-age", http.Header{"Cache-Control": {"public, max-age=600"}}, 10 * time.Minute},
		{"max-age below the floor", http.Header{"Cache-Control": {"max-age=10"}}, 5 * time.Minute},
		{"max-age above the ceiling", http.Header{"Cache-Control": {"max-age=31536000"}}, 24 * time.Hour},
		{"huge max-age", http.Header{"Cache-Control": {"max-age=99999999999999999999"}}, 5 * time.Minute},
		{"invalid max-age", http.Header{"Cache-Control": {"max-age=soon"}}, 5 * time.Minute},
		{"no-store", http.Header{"Cache-Control": {"no-store"}}, 5 * time.Minute},
		{"no-cache wins over max-age", http.Header{"Cache-Control": {"no-cache, max-age=7200"}}, 5 * time.Minute},
		{"max-age wins over Expires", http.Header{"Cache-Control": {"max-age=1200"}, "Expires": {now.Add(5 * time.Hour).Format(http.TimeFormat)}}, 20 * time.Minute},
		{"Expires against Date", http.Header{"Date": {date}, "Expires": {now.Add(time.Hour).Format(http.TimeFormat)}}, 2 * time.Hour},
		{"Expires without Date", http.Header{"Expires": {now.Add(3 * time.Hour).Format(http.TimeFormat)}}, 3 * time.Hour},
		{"Expires in the past", http.Header{"Expires": {now.Add(-time.Hour).Format(http.TimeFormat)}}, 5 * time.Minute},
		{"invalid Expires", http.Header{"Expires": {"0"}}, 5 * time.Minute},
		{"nothing", http.Header{}, time.Hour},
	} {
		if got := cfg.cacheTTL(tc.header, now); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestCIMDRefetchesWhenStale: a document is fetched again once its cache
// lifetime is over, and the new one counts. When the refetch fails, the
// request is refused: no stale copy is served.
func TestCIMDRefetchesWhenStale(t *testing.T) {
	clock := newTestClock(time.Now())
	docs := newDocServer(t)
	st := memoryStores(t, clock.now)
	ts := cimdServer(t, st, docs, clock.now)
	const path = "/client.json"
	id := docs.URL + path
	docs.publish(t, path, cimdDocument(id, nil), "max-age=600")
	authorizeOK := func(redirect string) bool {
		t.Helper()
		_, challenge := pkcePair()
		r := ts.authorizeRequest(t, id, redirect, challenge, nil)
		return r.status == http.StatusFound && ts.redirectParams(t, r, redirect).Get("code") != ""
	}

	if !authorizeOK(cimdRedirect) {
		t.Fatal("the first authorization failed")
	}
	const moved = "http://127.0.0.1:8888/callback"
	docs.publish(t, path, cimdDocument(id, map[string]any{"redirect_uris": []string{moved}}), "max-age=600")
	clock.advance(599 * time.Second)
	if !authorizeOK(cimdRedirect) || docs.fetches.Load() != 1 {
		t.Fatalf("within max-age: fetched %d times, want 1, with the first document's redirect URI", docs.fetches.Load())
	}
	clock.advance(2 * time.Second)
	if authorizeOK(moved); docs.fetches.Load() != 2 {
		t.Fatalf("past max-age: fetched %d times, want 2", docs.fetches.Load())
	}
	if !authorizeOK(moved) {
		t.Error("the new document's redirect URI is refused")
	}
	if _, challenge := pkcePair(); ts.authorizeRequest(t, id, cimdRedirect, challenge, nil).status != http.StatusBadRequest {
		t.Error("the withdrawn redirect URI is still accepted")
	}

	docs.handle(path, func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) })
	clock.advance(601 * time.Second)
	_, challenge := pkcePair()
	r := ts.authorizeRequest(t, id, moved, challenge, nil)
	if r.status != http.StatusBadRequest || r.str("error") != "invalid_client" || !strings.Contains(r.str("error_description"), "HTTP 503") {
		t.Errorf("a stale document whose refetch fails: %d %s, want 400 invalid_client naming HTTP 503", r.status, r.raw)
	}
}

// TestCIMDStoredRows: rows that another writer left under a document URL.
// FastMCP writes CIMD clients without an expiry: they are fresh for the
// default lifetime after cimd_fetched_at. A client stored under the URL
// without a document was registered otherwise and is never fetched over.
func TestCIMDStoredRows(t *testing.T) {
	clock := newTestClock(time.Now())
	docs := newDocServer(t)
	st := memoryStores(t, clock.now)
	ts := cimdServer(t, st, docs, clock.now)
	ctx := context.Background()
	put := func(path string, fetchedAgo time.Duration, withDocument bool) string {
		t.Helper()
		id := docs.URL + path
		docs.publish(t, path, cimdDocument(id, nil), "max-age=600")
		c := oauthclients.Client{ClientID: id, RedirectURIs: []string{cimdRedirect}, TokenEndpointAuthMethod: authNone,
			GrantTypes: []string{grantAuthorizationCode}, ResponseTypes: []string{responseCode}}
		if withDocument {
			at := float64(clock.now().Add(-fetchedAgo).UnixMicro()) / 1e6
			c.CimdDocument, c.CimdFetchedAt = &oauthclients.ClientCimdDocument{ClientID: id, RedirectURIs: []string{cimdRedirect}}, &at
		}
		if err := st.clients.Put(ctx, c); err != nil {
			t.Fatal(err)
		}
		return id
	}
	for _, tc := range []struct {
		name        string
		id          string
		wantFetches int64
	}{
		{"fetched 10 minutes ago, no expiry", put("/recent.json", 10*time.Minute, true), 0},
		{"fetched 2 hours ago, no expiry", put("/old.json", 2*time.Hour, true), 1},
		{"registered under the URL, no document", put("/registered.json", 0, false), 0},
	} {
		before := docs.fetches.Load()
		if tok := ts.authorizationCodeFlow(t, tc.id, cimdRedirect); tok.status != http.StatusOK {
			t.Errorf("%s: flow %d %s", tc.name, tok.status, tok.raw)
		}
		if got := docs.fetches.Load() - before; got != tc.wantFetches {
			t.Errorf("%s: fetched %d times, want %d", tc.name, got, tc.wantFetches)
		}
	}
}

// TestCIMDRefusesHostileDocuments: every way a document or its server can
// be wrong is a clear invalid_client naming what, and nothing is stored.
func TestCIMDRefusesHostileDocuments(t *testing.T) {
	docs := newDocServer(t)
	released := make(chan struct{})
	t.Cleanup(func() { close(released) }) // before docs.Close, which waits for the stalled handlers
	cfg := docs.config()
	cfg.timeout = 300 * time.Millisecond
	st := memoryStores(t, nil)
	ts := serveWith(t, st, serverOptions{cimd: true, cimdConfig: cfg})
	withRedirects := cfg
	withRedirects.maxRedirects = 3
	tsRedirects := serveWith(t, memoryStores(t, nil), serverOptions{cimd: true, cimdConfig: withRedirects})

	doc := func(path string, extra map[string]any) map[string]any { return cimdDocument(docs.URL+path, extra) }
	raw := func(contentType, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", contentType)
			_, _ = w.Write([]byte(body))
		}
	}
	redirectTo := func(target string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, target, http.StatusFound) }
	}
	big := strings.Repeat("x", defaultMaxCIMDBytes)
	bigDoc, _ := json.Marshal(doc("/big.json", map[string]any{"client_name": big}))
	port := docs.Listener.Addr().(*net.TCPAddr).Port

	for _, tc := range []struct {
		name    string
		path    string
		handler http.HandlerFunc
		server  *testServer
		want    string
	}{
		{"oversized", "/big.json", raw("application/json", string(bigDoc)), ts, "larger than 65536 bytes"},
		{"oversized without a length", "/stream.json", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			for range 80 {
				_, _ = w.Write([]byte(strings.Repeat(" ", 1024)))
				w.(http.Flusher).Flush()
			}
		}, ts, "larger than 65536 bytes"},
		{"another client_id", "/wrong.json", jsonHandler(doc("/other.json", nil)), ts, "its client_id is not the URL it was fetched from"},
		{"client_id with a trailing slash", "/slash.json", jsonHandler(cimdDocument(docs.URL+"/slash.json/", nil)), ts, "its client_id is not the URL"},
		{"no client_id", "/anon.json", jsonHandler(map[string]any{"redirect_uris": []string{cimdRedirect}}), ts, "no client_id"},
		{"not JSON", "/html.json", raw("application/json", "<html>hello</html>"), ts, "not a JSON object"},
		{"a JSON array", "/array.json", raw("application/json", "[1,2]"), ts, "not a JSON object"},
		{"data after the object", "/trailing.json", raw("application/json", `{"client_id":"x"} {}`), ts, "not a JSON object"},
		{"HTML content type", "/page.json", raw("text/html", "{}"), ts, `content type "text/html"`},
		{"not found", "/missing.json", nil, ts, "HTTP 404"},
		{"a client secret", "/secret.json", jsonHandler(doc("/secret.json", map[string]any{"client_secret": "s3cret"})), ts, "holds client_secret"},
		{"a shared-secret method", "/basic.json", jsonHandler(doc("/basic.json", map[string]any{"token_endpoint_auth_method": "client_secret_basic"})), ts, "must be none or private_key_jwt"},
		{"a javascript redirect URI", "/js.json", jsonHandler(doc("/js.json", map[string]any{"redirect_uris": []string{"javascript:alert(1)"}})), ts, "redirect_uris[0]"},
		{"a wildcard redirect URI", "/wild.json", jsonHandler(doc("/wild.json", map[string]any{"redirect_uris": []string{"http://localhost:*/cb"}})), ts, "redirect_uris[0]"},
		{"no redirect URI", "/none.json", jsonHandler(doc("/none.json", map[string]any{"redirect_uris": []string{}})), ts, "redirect_uris is required"},
		{"client_credentials", "/cc.json", jsonHandler(doc("/cc.json", map[string]any{"grant_types": []string{"client_credentials"}})), ts, "client_credentials needs a confidential client"},
		{"a redirect, not followed", "/moved.json", redirectTo("/big.json"), ts, "redirect, which is not followed"},
		{"a redirect loop", "/loop.json", redirectTo("/loop.json"), tsRedirects, "more than 3 redirects"},
		{"a redirect to http", "/downgrade.json", redirectTo(fmt.Sprintf("http://127.0.0.1:%d/x.json", port)), tsRedirects, "leads away from https"},
		{"a redirect to an IPv4-mapped address", "/mapped.json", redirectTo(fmt.Sprintf("https://[::ffff:127.0.0.1]:%d/x.json", port)), tsRedirects, "IPv4-mapped IPv6 address"},
		{"a slow body", "/slow.json", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"client_id":`))
			w.(http.Flusher).Flush()
			waitForEither(r.Context().Done(), released)
		}, ts, "did not finish within 300ms"},
		{"slow headers", "/stall.json", func(_ http.ResponseWriter, r *http.Request) {
			waitForEither(r.Context().Done(), released)
		}, ts, "did not finish within 300ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.handler != nil {
				docs.handle(tc.path, tc.handler)
			}
			id := docs.URL + tc.path
			_, challenge := pkcePair()
			before := docs.fetches.Load()
			r := tc.server.authorizeRequest(t, id, cimdRedirect, challenge, nil)
			// A loop is followed as far as the limit, and no further.
			if n := docs.fetches.Load() - before; tc.name == "a redirect loop" && n != 1+3 {
				t.Errorf("the document's server got %d requests, want 4: the first and 3 redirects", n)
			}
			if r.status != http.StatusBadRequest || r.str("error") != "invalid_client" || !strings.Contains(r.str("error_description"), tc.want) {
				t.Fatalf("got %d %s, want 400 invalid_client naming %q", r.status, r.raw, tc.want)
			}
			if _, found, err := tc.server.srv.clients.Get(context.Background(), id); found || err != nil {
				t.Errorf("stored after a refusal: %v %v", found, err)
			}
		})
	}

	t.Run("at the token endpoint", func(t *testing.T) {
		r := ts.exchangeCode(t, docs.URL+"/wrong.json", "a-code", cimdRedirect, "")
		if r.status != http.StatusUnauthorized || r.str("error") != "invalid_client" || !strings.Contains(r.str("error_description"), "its client_id is not the URL") {
			t.Errorf("got %d %s, want 401 invalid_client naming the client_id", r.status, r.raw)
		}
	})
	t.Run("a redirect followed to a valid document", func(t *testing.T) {
		id := docs.URL + "/start.json"
		docs.handle("/start.json", redirectTo("/final.json"))
		docs.publish(t, "/final.json", cimdDocument(id, nil), "")
		if tok := tsRedirects.authorizationCodeFlow(t, id, cimdRedirect); tok.status != http.StatusOK {
			t.Errorf("flow through a redirect: %d %s", tok.status, tok.raw)
		}
	})
}

// TestCIMDRefusesBadClientIDs: client_id URLs that the draft forbids are
// refused before any fetch.
func TestCIMDRefusesBadClientIDs(t *testing.T) {
	docs := newDocServer(t)
	ts := cimdServer(t, memoryStores(t, nil), docs, nil)
	for id, want := range map[string]string{
		docs.URL:                             "has no path",
		docs.URL + "/":                       "has no path",
		docs.URL + "/a.json#frag":            "has a fragment",
		docs.URL + "/a/../b.json":            "path segment",
		docs.URL + "/a/%2E%2E/b.json":        "path segment",
		"https://user:pw@example.com/a.json": "user information",
		"https://" + strings.Repeat("a", 2000) + ".example/a.json": "longer than 2000 bytes",
	} {
		_, challenge := pkcePair()
		r := ts.authorizeRequest(t, id, cimdRedirect, challenge, nil)
		if r.status != http.StatusBadRequest || !strings.Contains(r.str("error_description"), want) {
			t.Errorf("%.60s: %d %s, want 400 naming %q", id, r.status, r.raw, want)
		}
	}
	if n := docs.fetches.Load(); n != 0 {
		t.Errorf("%d fetches for refused client IDs", n)
	}
}

// TestCIMDSharesConcurrentFetches: concurrent requests for one document
// share one fetch.
func TestCIMDSharesConcurrentFetches(t *testing.T) {
	docs := newDocServer(t)
	ts := cimdServer(t, memoryStores(t, nil), docs, nil)
	id := docs.URL + "/client.json"
	body, _ := json.Marshal(cimdDocument(id, nil))
	arrived, release := make(chan struct{}, 64), make(chan struct{})
	docs.handle("/client.json", func(w http.ResponseWriter, _ *http.Request) {
		arrived <- struct{}{}
		<-release
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	const requests = 8
	var wg sync.WaitGroup
	statuses := make(chan int, requests)
	for range requests {
		wg.Go(func() {
			_, challenge := pkcePair()
			r, err := send(noRedirects, authorizeURL(t, ts, id, challenge))
			if err != nil {
				statuses <- 0
				return
			}
			statuses <- r.status
		})
	}
	<-arrived
	// The others are waiting for this fetch, or still on their way to it;
	// either way none starts a second one while it runs.
	waitUntil(t, func() bool { return ts.srv.cimd.waiting(id) == requests-1 })
	close(release)
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s != http.StatusFound {
			t.Errorf("a concurrent request answered %d", s)
		}
	}
	if n := docs.fetches.Load(); n != 1 {
		t.Errorf("%d fetches for %d concurrent requests, want 1", n, requests)
	}
}

func authorizeURL(t *testing.T, ts *testServer, id, challenge string) *http.Request {
	q := url.Values{"response_type": {"code"}, "client_id": {id}, "redirect_uri": {cimdRedirect},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}, "state": {"st-1"}}
	return newRequest(t, http.MethodGet, ts.URL+"/authorize?"+q.Encode(), nil)
}

func jsonHandler(doc any) http.HandlerFunc {
	body, _ := json.Marshal(doc)
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}
}

func waitForEither(a <-chan struct{}, b chan struct{}) {
	select {
	case <-a:
	case <-b:
	}
}

// waitUntil polls cond until it holds, for at most 10 seconds.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(time.Millisecond)
	}
}
