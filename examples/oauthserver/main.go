// Command oauthserver is an OAuth 2.1 authorization server's client side:
// Dynamic Client Registration (RFC 7591), client management (RFC 7592),
// client ID metadata documents, and client authentication at an
// authorization endpoint and a token endpoint (authorization_code with PKCE,
// client_credentials), keeping the registrations in kvgen's generated
// store, in a SQLite file, in PostgreSQL or in memory, with client secrets
// encrypted at rest.
//
// Usage:
//
//	oauthserver [-addr 127.0.0.1:8080] [-base-url URL] [-database-url URL | -db FILE | -memory]
//	            [-key-file FILE] [-allow-plaintext] [more flags: -h]
//	oauthserver reap -older-than 720h [-dry-run] [-database-url URL | -db FILE] [-key-file FILE]
//
// Without a database URL (the flag or $DATABASE_URL) registrations live in
// the SQLite file -db, by default $XDG_DATA_HOME/kvgen-oauthserver/clients.db
// (~/.local/share when $XDG_DATA_HOME is unset); -memory keeps them in
// memory, lost on restart. Encryption keys come from $KVGEN_ENCRYPTION_KEYS
// or -key-file, never from a flag value; on SQLite without either, from the
// key file beside the database (FILE.key), which the server creates, mode
// 0600, for a new database. reap deletes the clients not used for the given
// time (see reap.go).
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
	"net/netip"
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
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// config is the command line and environment, parsed.
type config struct {
	addr    string
	baseURL string
	storage storageConfig
	// server holds the server's settings; its baseURL, log and clock are
	// set when it starts.
	server serverOptions
}

// run is the program: it returns the exit code, 2 for a usage error.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "reap" {
		return runReap(args[1:], getenv, stdout, stderr)
	}
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
		log.Warn("registrations are kept in memory and are LOST ON RESTART; " +
			"set DATABASE_URL or -database-url to keep them in PostgreSQL")
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
	opts := cfg.server
	opts.baseURL, opts.log, opts.now = baseURL, log, time.Now
	srv := newServer(store.clients, store.side, opts)
	srv.ping, srv.keys = store.ping, store.keys
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
	storageFlags(fs, &cfg.storage)
	serverFlags(fs, &cfg.server)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: oauthserver [flags]\n       oauthserver reap -h\n\n"+
			"Encryption keys come from $"+keysEnv+" or -key-file.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	resolveStorage(&cfg.storage, getenv)
	if err := checkServerOptions(cfg.server); err != nil {
		return config{}, err
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

// storageFlags are the flags that say where the clients are kept, for the
// server and for reap.
func storageFlags(fs *flag.FlagSet, cfg *storageConfig) {
	// The default is applied after parsing, not given to the flag package,
	// which would print it (password included) in the usage text.
	fs.StringVar(&cfg.databaseURL, "database-url", "",
		"PostgreSQL URL (default $DATABASE_URL; none keeps registrations in the SQLite file -db)")
	fs.StringVar(&cfg.dbPath, "db", "",
		"SQLite database file, used without a database URL (default $XDG_DATA_HOME/"+dataDirName+"/clients.db)")
	fs.BoolVar(&cfg.memory, "memory", false,
		"keep registrations in memory: they are lost on restart")
	fs.StringVar(&cfg.keyFile, "key-file", "",
		"file of Fernet keys, one a line, the encrypting key first (used when $"+keysEnv+" is empty)")
	fs.BoolVar(&cfg.allowPlaintext, "allow-plaintext", false,
		"store client secrets unencrypted when no keys are given")
}

// serverFlags are the flags of usage recording, registration limits and
// client ID metadata documents.
func serverFlags(fs *flag.FlagSet, opts *serverOptions) {
	fs.DurationVar(&opts.usageInterval, "usage-interval", defaultUsageInterval,
		"how often, at most, one client's use is written to the store (1m to 24h)")
	fs.Float64Var(&opts.registerLimit.perMinute, "register-rate", defaultRegisterPerMinute,
		"registrations a minute from one source address (an IPv6 /64); 0 turns the limit off")
	fs.IntVar(&opts.registerLimit.burst, "register-burst", defaultRegisterBurst,
		"registrations one source address may make at once")
	fs.Func("trusted-proxy", "address or CIDR of a reverse proxy whose X-Forwarded-For names the source of a request "+
		"(repeatable, or comma-separated); without it, X-Forwarded-For is ignored", func(v string) error {
		prefixes, err := parsePrefixes(v)
		opts.trustedProxies = append(opts.trustedProxies, prefixes...)
		return err
	})
	fs.BoolVar(&opts.idempotentRegistration, "idempotent-registration", false,
		"answer a public client that registers again with the same software_id and redirect URIs with its earlier client")
	fs.BoolVar(&opts.cimd, "cimd", true, "accept client IDs that are HTTPS URLs of client ID metadata documents")
}

func checkServerOptions(opts serverOptions) error {
	switch {
	case opts.usageInterval < time.Minute || opts.usageInterval > maxUsageInterval:
		return fmt.Errorf("-usage-interval must be between 1m and %v", maxUsageInterval)
	case opts.registerLimit.perMinute < 0:
		return errors.New("-register-rate must not be negative")
	case opts.registerLimit.burst < 1:
		return errors.New("-register-burst must be at least 1")
	}
	return nil
}

// parsePrefixes reads comma-separated addresses and CIDR prefixes.
func parsePrefixes(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for part := range strings.SplitSeq(v, ",") {
		part = strings.TrimSpace(part)
		if p, err := netip.ParsePrefix(part); err == nil {
			out = append(out, p.Masked())
			continue
		}
		ip, err := netip.ParseAddr(part)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a CIDR prefix", part)
		}
		out = append(out, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
	}
	return out, nil
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
