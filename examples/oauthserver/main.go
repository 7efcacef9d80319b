// Command oauthserver is an OAuth 2.1 authorization server's client side:
// Dynamic Client Registration (RFC 7591), client management (RFC 7592) and
// client authentication at a client_credentials token endpoint, keeping
// the registrations in kvgen's generated store, in a SQLite file, in
// PostgreSQL or in memory, with client secrets encrypted at rest.
//
// Usage:
//
//	oauthserver [-addr 127.0.0.1:8080] [-base-url URL] [-database-url URL | -db FILE | -memory]
//	            [-key-file FILE] [-allow-plaintext]
//
// Without a database URL (the flag or $DATABASE_URL) registrations live in
// the SQLite file -db, by default $XDG_DATA_HOME/kvgen-oauthserver/clients.db
// (~/.local/share when $XDG_DATA_HOME is unset); -memory keeps them in
// memory, lost on restart. Encryption keys come from $KVGEN_ENCRYPTION_KEYS
// or -key-file, never from a flag value; on SQLite without either, from the
// key file beside the database (FILE.key), which the server creates, mode
// 0600, for a new database.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// shutdownTimeout bounds how long in-flight requests may finish after a signal.
const shutdownTimeout = 15 * time.Second

// startupTimeout bounds connecting to the database and creating the table.
const startupTimeout = 30 * time.Second

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stderr))
}

// config is the command line and environment, parsed.
type config struct {
	addr    string
	baseURL string
	storage storageConfig
}

// run is the program: it returns the exit code, 2 for a usage error.
func run(args []string, getenv func(string) string, stderr io.Writer) int {
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	cfg, err := parseConfig(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		log.Error("invalid command line", "err", err.Error())
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	startCtx, cancel := context.WithTimeout(ctx, startupTimeout)
	store, err := openStorage(startCtx, cfg.storage, log)
	cancel()
	if err != nil {
		log.Error("cannot start: " + err.Error())
		return 1
	}
	defer store.close()
	if !store.persistent {
		log.Warn("registrations are kept in memory and are LOST ON RESTART (-memory); " +
			"leave -memory out to keep them in a SQLite file, or set DATABASE_URL to keep them in PostgreSQL")
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		log.Error("cannot start: " + err.Error())
		return 1
	}
	baseURL := cfg.baseURL
	if baseURL == "" {
		baseURL = "http://" + reachableAddr(ln.Addr())
	}
	srv := &server{
		clients: store.clients,
		ping:    store.ping,
		keys:    store.keys,
		baseURL: baseURL,
		log:     log,
		now:     time.Now,
	}
	if err := serve(ctx, ln, srv, store.describe); err != nil {
		log.Error("server failed", "err", err.Error())
		return 1
	}
	return 0
}

// parseConfig reads the flags, with $DATABASE_URL as the default database.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("oauthserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&cfg.baseURL, "base-url", "", "URL clients reach the server at (default http://<addr>)")
	// The default is applied after parsing, not given to the flag package,
	// which would print it (password included) in the usage text.
	fs.StringVar(&cfg.storage.databaseURL, "database-url", "",
		"PostgreSQL URL (default $DATABASE_URL; none keeps registrations in the SQLite file -db)")
	fs.StringVar(&cfg.storage.dbPath, "db", "",
		"SQLite database file, used without a database URL (default $XDG_DATA_HOME/"+dataDirName+"/clients.db)")
	fs.BoolVar(&cfg.storage.memory, "memory", false,
		"keep registrations in memory: they are lost on restart")
	fs.StringVar(&cfg.storage.keyFile, "key-file", "",
		"file of Fernet keys, one a line, the encrypting key first (used when $"+keysEnv+" is empty)")
	fs.BoolVar(&cfg.storage.allowPlaintext, "allow-plaintext", false,
		"store client secrets unencrypted when no keys are given")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: oauthserver [flags]\n\nEncryption keys come from $"+keysEnv+" or -key-file.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if cfg.storage.databaseURL == "" {
		cfg.storage.databaseURL = getenv("DATABASE_URL")
	}
	if cfg.storage.dbPath == "" && cfg.storage.databaseURL == "" && !cfg.storage.memory {
		path, err := defaultDBPath(getenv)
		if err != nil {
			return config{}, err
		}
		cfg.storage.dbPath = path
	}
	if cfg.baseURL != "" {
		u, err := url.Parse(cfg.baseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return config{}, errors.New("-base-url must be an absolute http or https URL without query or fragment")
		}
		cfg.baseURL = strings.TrimSuffix(cfg.baseURL, "/")
	}
	return cfg, nil
}

// reachableAddr turns a listening address into one a client can dial: an
// unspecified host (":8080", "[::]:8080") becomes localhost.
func reachableAddr(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// serve answers requests on ln until ctx ends (SIGINT, SIGTERM), then
// shuts down gracefully: in-flight requests get shutdownTimeout to finish.
func serve(ctx context.Context, ln net.Listener, s *server, storage string) error {
	httpServer := &http.Server{
		Handler:           s.handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpServer.Serve(ln) }()
	s.log.Info("listening", "addr", ln.Addr().String(), "base_url", s.baseURL, "storage", storage)

	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := httpServer.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	s.log.Info("stopped")
	return nil
}
