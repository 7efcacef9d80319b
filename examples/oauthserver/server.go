package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/kv"
)

// server is the OAuth authorization server's HTTP side: Dynamic Client
// Registration (RFC 7591), its management protocol (RFC 7592), client ID
// metadata documents, and the authorization and token endpoints, which
// authenticate clients and record their use.
type server struct {
	clients *oauthclients.Store
	// side is the table seen untyped and unencrypted, for the server's own
	// collections (usage, registration keys, authorization codes).
	side  kv.Store[map[string]any]
	usage *usageLog
	// cimd resolves client IDs that are metadata document URLs; nil refuses them.
	cimd *cimdClients
	// registerLimit limits registrations per source; nil does not.
	registerLimit *rateLimiter
	// trustedProxies are the reverse proxies whose X-Forwarded-For names
	// the source of a request.
	trustedProxies []netip.Prefix
	// idempotentRegistration: see idempotent.go.
	idempotentRegistration bool
	// ping checks the database for /healthz; nil when there is none.
	ping func(context.Context) error
	// keys reports for /healthz whether the key ring opens the stored
	// clients (false: it opens none of those sealed); nil to say nothing.
	keys func(context.Context) (status string, ok bool)
	// baseURL is where clients reach the server, without a trailing slash;
	// registration_client_uri is built from it.
	baseURL string
	log     *slog.Logger
	now     func() time.Time
}

// serverOptions are the settings of a server beside its storage.
type serverOptions struct {
	baseURL string
	log     *slog.Logger
	now     func() time.Time
	// usageInterval is how often, at most, a client's use is written.
	usageInterval          time.Duration
	registerLimit          rateLimit
	trustedProxies         []netip.Prefix
	idempotentRegistration bool
	// cimd accepts client IDs that are metadata document URLs, fetched as cimdConfig says.
	cimd       bool
	cimdConfig cimdConfig
}

// newServer returns a server over clients and side, the two views of one table.
func newServer(clients *oauthclients.Store, side kv.Store[map[string]any], opts serverOptions) *server {
	s := &server{
		clients:                clients,
		side:                   side,
		usage:                  newUsageLog(side, opts.usageInterval, opts.now, opts.log),
		registerLimit:          newRateLimiter(opts.registerLimit, opts.now),
		trustedProxies:         opts.trustedProxies,
		idempotentRegistration: opts.idempotentRegistration,
		baseURL:                opts.baseURL,
		log:                    opts.log,
		now:                    opts.now,
	}
	if opts.cimd {
		s.cimd = newCIMDClients(clients, opts.cimdConfig, opts.now, opts.log)
	}
	return s
}

// Request body limits: registration metadata is small, and an
// unauthenticated endpoint must not buffer what an attacker sends.
const (
	maxMetadataBytes  = 64 << 10
	maxTokenFormBytes = 16 << 10
)

// handler returns the routes, wrapped in the request log.
func (s *server) handler() http.Handler {
	mux := http.NewServeMux()
	s.route(mux, "POST /register", s.register)
	s.route(mux, "GET /register/{client_id}", s.readClient)
	s.route(mux, "PUT /register/{client_id}", s.updateClient)
	s.route(mux, "DELETE /register/{client_id}", s.deleteClient)
	s.route(mux, "GET /authorize", s.authorize)
	s.route(mux, "POST /token", s.token)
	s.route(mux, "GET /.well-known/oauth-authorization-server", s.serverMetadata)
	s.route(mux, "GET /healthz", s.healthz)
	return s.logRequests(mux)
}

// route registers h for pattern and records the route's path template for
// the request log, which logs the template rather than the request's own
// path so that nothing a caller typed into a URL reaches the logs.
func (s *server) route(mux *http.ServeMux, pattern string, h http.HandlerFunc) {
	_, path, _ := strings.Cut(pattern, " ")
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if info := requestInfoOf(r); info != nil {
			info.route = path
		}
		h(w, r)
	})
}

// lookupClient returns the client of id: the registered one, or, for a
// client ID that is a metadata document URL, the client the document
// describes. A *cimdError says why such a document cannot be used.
func (s *server) lookupClient(ctx context.Context, id string) (oauthclients.Client, bool, error) {
	if s.cimd != nil && isMetadataURL(id) {
		return s.cimd.client(ctx, id)
	}
	c, found, err := s.clients.Get(ctx, id)
	if errors.Is(err, kv.ErrInvalidKey) {
		return oauthclients.Client{}, false, nil
	}
	return c, found, err
}

// serverMetadata is the authorization server metadata (RFC 8414) that MCP
// clients read first: where the endpoints are, PKCE, and whether client ID
// metadata documents are accepted.
func (s *server) serverMetadata(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                s.baseURL,
		"authorization_endpoint":                s.baseURL + "/authorize",
		"token_endpoint":                        s.baseURL + "/token",
		"registration_endpoint":                 s.baseURL + "/register",
		"response_types_supported":              []string{responseCode},
		"grant_types_supported":                 []string{grantAuthorizationCode, grantClientCredentials},
		"token_endpoint_auth_methods_supported": []string{authSecretBasic, authSecretPost, authNone},
		"code_challenge_methods_supported":      []string{"S256"},
		"client_id_metadata_document_supported": s.cimd != nil,
	})
}

// healthz reports the storage and the key ring: 503 when the database is
// unreachable, or when the keys open none of the stored clients sealed
// with a key (every request for them would fail).
func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	report := map[string]string{"status": "ok", "storage": "memory"}
	status := http.StatusOK
	if s.ping != nil {
		report["storage"] = "ok"
		if err := s.ping(ctx); err != nil {
			s.log.Error("health check: database unreachable", "err", err)
			report["status"], report["storage"] = "database unreachable", "unreachable"
			writeJSON(w, http.StatusServiceUnavailable, report)
			return
		}
	}
	if s.keys != nil {
		keys, ok := s.keys(ctx)
		report["keys"] = keys
		if !ok {
			s.log.Error("health check: the encryption keys open no stored client", "keys", keys)
			report["status"], status = "encryption keys do not open the stored clients", http.StatusServiceUnavailable
		}
	}
	writeJSON(w, status, report)
}

// oauthError is the error body of RFC 6749 section 5.2 and RFC 7591
// section 3.2.2.
type oauthError struct {
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

func writeError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, oauthError{Code: code, Description: description})
}

// writeServerError answers 500 and logs err, which the caller must not see.
func (s *server) writeServerError(w http.ResponseWriter, r *http.Request, what string, err error) {
	s.log.ErrorContext(r.Context(), what, "err", err)
	writeError(w, http.StatusInternalServerError, "server_error", "internal error")
}

// writeJSON answers with v; responses may carry credentials, so no cache
// may keep them (RFC 6749 section 5.1, RFC 7591 section 3.2.1).
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"error":"server_error"}`)
	}
	writeJSONBody(w, status, body)
}

func writeJSONBody(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// randomToken returns n random bytes as unpadded URL-safe base64: client
// IDs, secrets and tokens, all unguessable.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+): it crashes the program instead.
	return base64.RawURLEncoding.EncodeToString(b)
}

// Sizes of what the server issues, in random bytes.
const (
	clientIDBytes          = 16
	clientSecretBytes      = 32
	registrationTokenBytes = 32
	accessTokenBytes       = 32
)
