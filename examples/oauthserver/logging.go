package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// requestInfo is what handlers tell the request log. It holds no request
// data that a caller chose freely: the route template, and the client ID
// only once the client is known to exist.
type requestInfo struct {
	route    string
	clientID string
}

type requestInfoKey struct{}

func requestInfoOf(r *http.Request) *requestInfo {
	info, _ := r.Context().Value(requestInfoKey{}).(*requestInfo)
	return info
}

// logClient names the client of the request in its log line.
func logClient(r *http.Request, clientID string) {
	if info := requestInfoOf(r); info != nil {
		info.clientID = clientID
	}
}

// statusRecorder remembers the status a handler answered with.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests writes one line per request: method, route, status, duration
// and client ID. Never bodies, headers, query strings, secrets or tokens.
func (s *server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{}
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info)))
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		route := info.route
		if route == "" {
			route = "(no route)"
		}
		attrs := []slog.Attr{
			slog.String("method", r.Method),
			slog.String("path", route),
			slog.Int("status", rec.status),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
		}
		if info.clientID != "" {
			attrs = append(attrs, slog.String("client_id", info.clientID))
		}
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	})
}
