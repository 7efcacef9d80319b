package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	// The SQLite driver in pure Go: the server builds with CGO_ENABLED=0.
	_ "modernc.org/sqlite"

	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/sqlitekv"
)

// dataDirName is the server's directory under $XDG_DATA_HOME.
const dataDirName = "kvgen-oauthserver"

// resolveStorage completes the storage flags from the environment: the
// database URL from $DATABASE_URL, and without one (nor -memory) the
// default SQLite file, or none when the environment names no place for it.
func resolveStorage(cfg *storageConfig, getenv func(string) string) {
	if cfg.databaseURL == "" {
		cfg.databaseURL = getenv("DATABASE_URL")
	}
	if cfg.dbPath == "" && cfg.databaseURL == "" && !cfg.memory {
		cfg.dbPath = defaultDBPath(getenv)
	}
}

// defaultDBPath is where the server keeps its database when given neither
// a database URL nor -db: $XDG_DATA_HOME/kvgen-oauthserver/clients.db, and
// $HOME/.local/share when $XDG_DATA_HOME is unset (the XDG base
// directories); "" when neither is set.
func defaultDBPath(getenv func(string) string) string {
	dir := getenv("XDG_DATA_HOME")
	if !filepath.IsAbs(dir) { // the specification says to ignore a relative one
		home := getenv("HOME")
		if !filepath.IsAbs(home) {
			return ""
		}
		dir = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(dir, dataDirName, "clients.db")
}

// keyFileBeside is the key file the server creates for a new database
// when no key is configured, and reads when none is configured later.
func keyFileBeside(dbPath string) string { return dbPath + ".key" }

// openSQLite opens the SQLite database at cfg.dbPath, creating the file
// (0600, in a 0700 directory when that is new) and the table if needed.
// keys come from the environment or -key-file (source names them); without
// them the key file beside the database is read, or created for a new
// database. Its errors never hold a key.
func openSQLite(ctx context.Context, cfg storageConfig, keys *kv.KeyRing, source string, log *slog.Logger) (*storage, error) {
	path := cfg.dbPath
	if path == "" {
		return nil, errors.New("no place for the database: neither $XDG_DATA_HOME nor $HOME is set; give -db FILE, -memory or a database URL")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the directory of the database: %w", err)
	}
	db, err := sqlitekv.Open(ctx, "sqlite", path)
	if err != nil {
		return nil, err
	}
	store, err := sqliteStorage(ctx, db, cfg, keys, source, log)
	if err != nil {
		db.Close()
		return nil, err
	}
	return store, nil
}

func sqliteStorage(ctx context.Context, db *sqlitekv.DB, cfg storageConfig, keys *kv.KeyRing, source string, log *slog.Logger) (*storage, error) {
	where := "SQLite file " + db.Path()
	if err := oauthclients.CreateSQLiteTable(ctx, db); err != nil {
		return nil, fmt.Errorf("creating the clients table in %s: %w", where, err)
	}
	if keys == nil && !cfg.allowPlaintext {
		var err error
		if keys, source, err = keysBeside(ctx, db, log); err != nil {
			return nil, err
		}
	}
	if keys == nil {
		log.Warn("client secrets are stored in plaintext in the SQLite file (-allow-plaintext)")
	}
	opts := oauthclients.Options{AllowPlaintext: keys == nil}
	if keys != nil {
		opts.Encrypter = keys
	}
	clients, err := oauthclients.NewSQLite(db, opts)
	var side kv.Store[map[string]any]
	if err == nil {
		side, err = sideView(oauthclients.NewSQLite(db, plainOptions))
	}
	if err != nil {
		return nil, fmt.Errorf("opening the client store in %s: %w", where, err)
	}
	recent := func(ctx context.Context) ([]string, error) { return recentSQLiteClients(ctx, db) }
	store := &storage{
		clients: clients, side: side, ping: db.Reader().PingContext, recent: recent,
		close: func() { db.Close() }, describe: where, persistent: true,
	}
	store.keys = storedKeyStatus(recent, clients, keys != nil)
	if err := checkStoredKeys(ctx, store, source, log); err != nil {
		return nil, err
	}
	return store, nil
}

// keysBeside reads the key file beside the database, or creates it when
// the database holds no row yet: a new database gets a key of its own, and
// a database with rows whose key file is gone is refused rather than given
// a key that opens none of them.
func keysBeside(ctx context.Context, db *sqlitekv.DB, log *slog.Logger) (*kv.KeyRing, string, error) {
	file := keyFileBeside(db.Path())
	source := "key file " + file
	if _, err := os.Stat(file); !errors.Is(err, fs.ErrNotExist) {
		keys, err := kv.LoadKeys("", file)
		if err != nil {
			return nil, "", fmt.Errorf("loading encryption keys: %w", err)
		}
		return keys, source, nil
	}
	empty, err := tableEmpty(ctx, db)
	if err != nil {
		return nil, "", fmt.Errorf("reading %s: %w", db.Path(), err)
	}
	if !empty {
		return nil, "", fmt.Errorf("refusing to start: %s holds clients, but no encryption key is configured and %s is missing; "+
			"set $%s or -key-file to the key they were sealed with (or pass -allow-plaintext if they never were)", db.Path(), file, keysEnv)
	}
	if err := createKeyFile(file); err != nil {
		return nil, "", err
	}
	log.Warn("created a new encryption key for the new database; back it up with the database, "+
		"and for production move it to a secret store and give it in $"+keysEnv, "key_file", file)
	keys, err := kv.LoadKeys("", file)
	return keys, source, err
}

// createKeyFile writes a new Fernet key to file, mode 0600; it never
// replaces an existing file.
func createKeyFile(file string) error {
	key, err := kv.GenerateKey()
	if err != nil {
		return err
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("creating the key file: %w", err)
	}
	if _, err := f.WriteString(key + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("writing the key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("writing the key file: %w", err)
	}
	return f.Close()
}

// tableEmpty reports whether the clients table holds no row, of any collection.
func tableEmpty(ctx context.Context, db *sqlitekv.DB) (bool, error) {
	var any bool
	err := db.Reader().QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM oauth_clients)`).Scan(&any)
	return !any, err
}

// recentSQLiteClients lists the keys of the most recently written clients,
// unexpired, at most keySampleSize.
func recentSQLiteClients(ctx context.Context, db *sqlitekv.DB) ([]string, error) {
	rows, err := db.Reader().QueryContext(ctx, `SELECT key FROM oauth_clients
		WHERE collection = ? AND (expires_at IS NULL OR expires_at > unixepoch('subsec'))
		ORDER BY created_at DESC LIMIT ?`, oauthclients.DefaultCollection, keySampleSize)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var key string
		if err := rows.Scan(&key); err != nil {
			return nil, err
		}
		keys = append(keys, key)
	}
	return keys, rows.Err()
}
