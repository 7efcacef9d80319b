package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/internal/pgtest"
	"github.com/kvgen/kvgen/kv"
)

// testServer is the server on an encrypted memory store, behind httptest.
type testServer struct {
	*httptest.Server
	srv  *server
	logs *logBuffer
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	return serveWith(t, memoryStores(t, nil), serverOptions{})
}

// newPostgresTestServer is newTestServer on a fresh PostgreSQL database.
func newPostgresTestServer(t *testing.T) *testServer {
	t.Helper()
	return serveWith(t, postgresStores(t), serverOptions{})
}

// testStores are the two views of one table, or of one memory, that a
// server runs on: its encrypted clients and its own plaintext rows.
type testStores struct {
	clients *oauthclients.Store
	side    kv.Store[map[string]any]
	// reopen opens another typed store on the same table, as another
	// writer with other options would.
	reopen func(oauthclients.Options) (*oauthclients.Store, error)
}

// memoryStores are on a new memory whose clock is now (nil: time.Now).
func memoryStores(t *testing.T, now func() time.Time) testStores {
	t.Helper()
	mem := kv.NewMemory()
	mem.Now = now
	clients, err := oauthclients.NewWithBackend(mem, oauthclients.Options{Encrypter: testRing(t)})
	if err != nil {
		t.Fatal(err)
	}
	side, err := sideView(oauthclients.NewWithBackend(mem, plainOptions))
	if err != nil {
		t.Fatal(err)
	}
	reopen := func(opts oauthclients.Options) (*oauthclients.Store, error) {
		return oauthclients.NewWithBackend(mem, opts)
	}
	return testStores{clients: clients, side: side, reopen: reopen}
}

// bothStores opens the stores of each backend; the memory's clock is now
// (nil: time.Now), PostgreSQL's and SQLite's their own.
var bothStores = map[string]func(t *testing.T, now func() time.Time) testStores{
	"memory":   memoryStores,
	"postgres": func(t *testing.T, _ func() time.Time) testStores { return postgresStores(t) },
	"sqlite":   func(t *testing.T, _ func() time.Time) testStores { return sqliteStores(t) },
}

// postgresStores are on a fresh PostgreSQL database.
func postgresStores(t *testing.T) testStores {
	t.Helper()
	pool := pgtest.New(t)
	if err := oauthclients.CreateTable(t.Context(), pool); err != nil {
		t.Fatal(err)
	}
	clients, err := oauthclients.New(pool, oauthclients.Options{Encrypter: testRing(t)})
	if err != nil {
		t.Fatal(err)
	}
	side, err := sideView(oauthclients.New(pool, plainOptions))
	if err != nil {
		t.Fatal(err)
	}
	reopen := func(opts oauthclients.Options) (*oauthclients.Store, error) { return oauthclients.New(pool, opts) }
	return testStores{clients: clients, side: side, reopen: reopen}
}

func testRing(t *testing.T) *kv.KeyRing {
	t.Helper()
	key, err := kv.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ring, err := kv.ParseKeys(key)
	if err != nil {
		t.Fatal(err)
	}
	return ring
}

// serveWith runs a server on st with opts behind httptest; opts.now nil
// is time.Now, and the server logs into the testServer's logs.
func serveWith(t *testing.T, st testStores, opts serverOptions) *testServer {
	t.Helper()
	logs := &logBuffer{}
	opts.log = slog.New(slog.NewJSONHandler(logs, nil))
	if opts.now == nil {
		opts.now = time.Now
	}
	srv := newServer(st.clients, st.side, opts)
	ts := httptest.NewServer(srv.handler())
	t.Cleanup(ts.Close)
	srv.baseURL = ts.URL // before any request
	return &testServer{Server: ts, srv: srv, logs: logs}
}

// logBuffer collects log output written from several goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// response is an HTTP answer with its body decoded as a JSON object, when it is one.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (r response) str(name string) string {
	s, _ := r.body[name].(string)
	return s
}

func do(t *testing.T, client *http.Client, req *http.Request) response {
	t.Helper()
	r, err := send(client, req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	return r
}

// send is do for goroutines, which must not call t.Fatal.
func send(client *http.Client, req *http.Request) (response, error) {
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, err
	}
	out := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &out.body)
	return out, nil
}

func newRequest(t *testing.T, method, url string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// postJSON sends v (or, as a string, the raw body) as JSON.
func postJSON(t *testing.T, client *http.Client, method, url, bearer string, v any) response {
	t.Helper()
	var body []byte
	if s, ok := v.(string); ok {
		body = []byte(s)
	} else {
		var err error
		if body, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	req := newRequest(t, method, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return do(t, client, req)
}

func withBearer(t *testing.T, client *http.Client, method, url, bearer string) response {
	t.Helper()
	req := newRequest(t, method, url, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return do(t, client, req)
}

// registration is what a client keeps from its registration response.
type registration struct {
	clientID, clientSecret, registrationToken, configURI, method string
}

func registrationOf(t *testing.T, r response) registration {
	t.Helper()
	if r.status != http.StatusCreated {
		t.Fatalf("registration: status %d, body %s", r.status, r.raw)
	}
	return registration{
		clientID:          r.str("client_id"),
		clientSecret:      r.str("client_secret"),
		registrationToken: r.str("registration_access_token"),
		configURI:         r.str("registration_client_uri"),
		method:            r.str("token_endpoint_auth_method"),
	}
}

func (ts *testServer) register(t *testing.T, metadata any) response {
	t.Helper()
	return postJSON(t, nil, http.MethodPost, ts.URL+"/register", "", metadata)
}

func (ts *testServer) mustRegister(t *testing.T, metadata any) registration {
	t.Helper()
	return registrationOf(t, ts.register(t, metadata))
}

// requestToken asks for a client_credentials token, authenticating with
// method: client_secret_basic (HTTP Basic), client_secret_post (form) or
// none (client_id alone).
func requestToken(t *testing.T, client *http.Client, baseURL, method, id, secret string, extra url.Values) response {
	t.Helper()
	req, err := tokenRequest(baseURL, method, id, secret, extra)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, client, req)
}

func tokenRequest(baseURL, method, id, secret string, extra url.Values) (*http.Request, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	for k, v := range extra {
		form[k] = v
	}
	switch method {
	case authSecretPost:
		form.Set("client_id", id)
		form.Set("client_secret", secret)
	case authNone:
		form.Set("client_id", id)
	}
	req, err := http.NewRequest(http.MethodPost, baseURL+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if method == authSecretBasic {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	return req, nil
}

// basicCredentials is the HTTP Basic form of a client's credentials, as an
// Authorization header carries it.
func basicCredentials(id, secret string) string {
	return base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id) + ":" + url.QueryEscape(secret)))
}

func metadata(redirect string, extra map[string]any) map[string]any {
	m := map[string]any{"redirect_uris": []string{redirect}}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func stringList(v any) []string {
	items, _ := v.([]any)
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, _ := it.(string)
		out = append(out, s)
	}
	return out
}
