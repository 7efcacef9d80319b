package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/kv"
)

// keysEnv names the environment variable holding the Fernet key ring
// (comma- or newline-separated, the encrypting key first).
const keysEnv = "KVGEN_ENCRYPTION_KEYS"

// storageConfig is how the server keeps its registrations.
type storageConfig struct {
	// databaseURL selects PostgreSQL; empty means the SQLite file dbPath.
	databaseURL string
	// dbPath is the SQLite database file (-db, or defaultDBPath).
	dbPath string
	// memory keeps registrations in this process only (-memory).
	memory bool
	// keyFile is read when $KVGEN_ENCRYPTION_KEYS is empty.
	keyFile string
	// allowPlaintext lets the server store client secrets unencrypted on PostgreSQL.
	allowPlaintext bool
}

// storage is an opened client store and what the server needs around it.
type storage struct {
	clients *oauthclients.Store
	// side is the same table, untyped and unencrypted, for the server's
	// own collections.
	side kv.Store[map[string]any]
	// ping checks the database; nil for the memory store.
	ping func(context.Context) error
	// keys says, for /healthz, whether the key ring opens the stored
	// clients, and false when it opens none of those sealed.
	keys func(context.Context) (status string, ok bool)
	// recent lists the keys of the most recently written clients, for the
	// key check; nil for the memory store.
	recent func(context.Context) ([]string, error)
	// close releases the database pool; a no-op for the memory store.
	close func()
	// describe names the storage for the logs, without a password.
	describe string
	// persistent is false for the memory store, whose registrations die with the process.
	persistent bool
}

// errNoKeys is the refusal to store client secrets in plaintext on PostgreSQL.
var errNoKeys = errors.New("refusing to start: PostgreSQL is selected but no encryption keys were given, " +
	"so client secrets would be stored in plaintext; set " + keysEnv + " (or -key-file) to a Fernet key " +
	"(kvgen keygen prints one), or pass -allow-plaintext to accept plaintext secrets")

// openStorage opens the memory store (-memory), PostgreSQL when cfg names
// a database, or else the SQLite file, creating the table there if needed.
// Its errors never hold the database password.
func openStorage(ctx context.Context, cfg storageConfig, log *slog.Logger) (*storage, error) {
	keys, source, err := loadKeys(cfg.keyFile)
	if err != nil {
		return nil, err
	}
	opts := oauthclients.Options{AllowPlaintext: keys == nil}
	if keys != nil {
		// Assigned only when set: a nil *kv.KeyRing in the interface would
		// read as "encrypt" to the store.
		opts.Encrypter = keys
	}
	if cfg.memory {
		return openMemory(opts, keys != nil)
	}
	if cfg.databaseURL == "" {
		return openSQLite(ctx, cfg, keys, source, log)
	}
	if keys == nil && !cfg.allowPlaintext {
		return nil, errNoKeys
	}
	if keys == nil {
		log.Warn("client secrets are stored in plaintext on PostgreSQL (-allow-plaintext)")
	}
	store, err := openPostgres(ctx, cfg.databaseURL, opts)
	if err != nil {
		return nil, err
	}
	if err := checkStoredKeys(ctx, store, source, log); err != nil {
		store.close()
		return nil, err
	}
	return store, nil
}

// openMemory opens the memory store, and the server's own collections on
// the same memory.
func openMemory(opts oauthclients.Options, keysConfigured bool) (*storage, error) {
	mem := kv.NewMemory()
	clients, err := oauthclients.NewWithBackend(mem, opts)
	if err != nil {
		return nil, fmt.Errorf("opening the memory store: %w", err)
	}
	side, err := sideView(oauthclients.NewWithBackend(mem, plainOptions))
	if err != nil {
		return nil, fmt.Errorf("opening the memory store: %w", err)
	}
	status := keySample{}.keyStatus(keysConfigured)
	return &storage{clients: clients, side: side, close: func() {}, describe: "memory", persistent: false,
		keys: func(context.Context) (string, bool) { return status, true }}, nil
}

// loadKeys returns the key ring from the environment or the key file and
// names where it came from, or nil when neither is given. Keys never come
// from a flag value: a command line is visible to every user of the machine.
func loadKeys(keyFile string) (*kv.KeyRing, string, error) {
	source := "key file " + keyFile
	switch {
	case strings.TrimSpace(os.Getenv(keysEnv)) != "":
		source = "$" + keysEnv
	case keyFile == "":
		return nil, "", nil
	}
	keys, err := kv.LoadKeys(keysEnv, keyFile)
	if err != nil {
		return nil, "", fmt.Errorf("loading encryption keys: %w", err)
	}
	return keys, source, nil
}

// checkStoredKeys refuses a key ring (from source; "" for none) that opens
// none of a sample of the stored clients that are sealed: the server would
// answer 500 to every one of them. A ring that opens some is let through
// with a warning (a damaged row, or keys dropped too early after a
// rotation), and /healthz reports it.
func checkStoredKeys(ctx context.Context, store *storage, source string, log *slog.Logger) error {
	s, err := sampleKeys(ctx, store.recent, store.clients)
	switch {
	case err != nil:
		return fmt.Errorf("reading stored clients on %s: %w", store.describe, err)
	case s.wrongKeys():
		return keyRefusal(s, source)
	case s.shut > 0:
		log.Warn("some stored clients cannot be decrypted with the configured keys", "keys", s.keyStatus(source != ""))
	}
	return nil
}

// connectTimeout bounds each connection attempt when the URL sets none, so
// an unreachable database fails the start-up instead of hanging it.
const connectTimeout = 10 * time.Second

func openPostgres(ctx context.Context, databaseURL string, opts oauthclients.Options) (*storage, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("invalid database URL: %s", redactPasswords(err.Error(), databaseURL, passwordsIn(databaseURL)...))
	}
	password := cfg.ConnConfig.Password
	redact := func(err error) string { return redactPasswords(err.Error(), databaseURL, password) }
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	where := describePostgres(cfg)

	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("opening a pool for %s: %s", where, redact(err))
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("cannot reach %s: %s", where, redact(err))
	}
	if err := oauthclients.CreateTable(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("creating the clients table on %s: %s", where, redact(err))
	}
	clients, err := oauthclients.New(pool, opts)
	var side kv.Store[map[string]any]
	if err == nil {
		side, err = sideView(oauthclients.New(pool, plainOptions))
	}
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("opening the client store on %s: %s", where, redact(err))
	}
	recent := func(ctx context.Context) ([]string, error) { return recentPostgresClients(ctx, pool) }
	return &storage{
		clients:    clients,
		side:       side,
		ping:       pool.Ping,
		keys:       storedKeyStatus(recent, clients, opts.Encrypter != nil),
		recent:     recent,
		close:      pool.Close,
		describe:   where,
		persistent: true,
	}, nil
}

// describePostgres names a database by host, port, database and user: never the password.
func describePostgres(cfg *pgxpool.Config) string {
	c := cfg.ConnConfig
	return fmt.Sprintf("PostgreSQL host=%s port=%d database=%s user=%s",
		c.Host, c.Port, c.Database, c.User)
}

// redactPasswords removes every password from msg, and the whole database
// URL should a driver echo it. Driver errors do not normally carry the
// password; this makes sure of it.
func redactPasswords(msg, databaseURL string, passwords ...string) string {
	if databaseURL != "" {
		msg = strings.ReplaceAll(msg, databaseURL, "(database URL not shown)")
	}
	for _, p := range passwords {
		if p == "" {
			continue
		}
		for _, form := range []string{p, url.QueryEscape(p), url.PathEscape(p), url.UserPassword("", p).String()[1:]} {
			msg = strings.ReplaceAll(msg, form, "xxxxx")
		}
	}
	return msg
}

// keywordPassword finds password=... in a keyword/value connection string.
var keywordPassword = regexp.MustCompile(`password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)`)

// passwordsIn extracts, as best it can, the passwords of a connection string
// that pgx could not parse, so that its error can be cleaned of them.
func passwordsIn(databaseURL string) []string {
	var out []string
	if u, err := url.Parse(databaseURL); err == nil {
		if p, ok := u.User.Password(); ok {
			out = append(out, p)
		}
		if p := u.Query().Get("password"); p != "" {
			out = append(out, p)
		}
	}
	for _, m := range keywordPassword.FindAllStringSubmatch(databaseURL, -1) {
		quoted := m[1]
		out = append(out, quoted, strings.Trim(quoted, "'"), strings.ReplaceAll(strings.Trim(quoted, "'"), `\'`, "'"))
	}
	// A URL whose userinfo url.Parse rejects: take what lies between the
	// first ':' after the scheme and the last '@'.
	for _, scheme := range []string{"postgres://", "postgresql://"} {
		rest, ok := strings.CutPrefix(databaseURL, scheme)
		if !ok {
			continue
		}
		if at := strings.LastIndex(rest, "@"); at > 0 {
			if colon := strings.Index(rest[:at], ":"); colon >= 0 {
				out = append(out, rest[colon+1:at])
			}
		}
	}
	return out
}
