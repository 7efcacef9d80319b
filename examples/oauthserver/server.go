package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/kvgen/kvgen/generated/oauthclients"
)

// server is the OAuth authorization server's HTTP side: Dynamic Client
// Registration (RFC 7591), its management protocol (RFC 7592) and a token
// endpoint that authenticates clients (RFC 6749 client_credentials).
type server struct {
	clients *oauthclients.Store
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
	s.route(mux, "POST /token", s.token)
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
