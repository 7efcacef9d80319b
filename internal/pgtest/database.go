package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// adminTimeout bounds each admin operation (connect, create, drop).
const adminTimeout = 30 * time.Second

// server is a PostgreSQL server on which the harness creates databases.
type server struct {
	adminDSN string
	describe string   // for logs; never holds a password
	cluster  *Cluster // nil when the server is not ours (DATABASE_URL)
	// versionNum is server_version_num (150004 for 15.4).
	versionNum int
	// createOptions ends CREATE DATABASE.
	createOptions string
}

// externalServer checks that dsn (DATABASE_URL) reaches a server.
func externalServer(dsn string) (*server, error) {
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	version, num, err := probe(ctx, dsn)
	if err != nil {
		return nil, err
	}
	return &server{
		adminDSN:   dsn,
		describe:   fmt.Sprintf("PostgreSQL %s from DATABASE_URL (%s)", version, redactDSN(dsn)),
		versionNum: num,
	}, nil
}

// probe connects to dsn and returns the server's version, as text and as
// server_version_num (150004 for 15.4).
func probe(ctx context.Context, dsn string) (string, int, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", 0, err
	}
	defer conn.Close(context.Background())
	var version string
	var num int
	if err := conn.QueryRow(ctx, "SELECT current_setting('server_version'), current_setting('server_version_num')::int").
		Scan(&version, &num); err != nil {
		return "", 0, err
	}
	return version, num, nil
}

// throwawayServer is the server of a harness-owned cluster.
func throwawayServer(c *Cluster) *server {
	s := &server{adminDSN: c.AdminURL(), describe: c.String(), cluster: c, versionNum: c.versionNum}
	// Copying template1's files is about three times faster than the
	// WAL_LOG default of PostgreSQL 15+, given the checkpoint it needs is
	// cheap with fsync off, as it is on our clusters only.
	if c.versionNum >= 150000 {
		s.createOptions = " STRATEGY FILE_COPY"
	}
	return s
}

// freshDatabase creates a database for t on s, with options appended to
// CREATE DATABASE, drops it when t ends, and returns its DSN.
func freshDatabase(t testing.TB, s *server, options string) string {
	t.Helper()
	name := databaseName(t.Name())
	dsn, err := dsnWithDatabase(s.adminDSN, name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	if err := s.createDatabase(name, options); err != nil {
		t.Fatalf("pgtest: creating database %s on %s: %v", name, s.describe, err)
	}
	t.Cleanup(func() {
		if err := s.dropDatabase(name); err != nil {
			t.Errorf("pgtest: dropping database %s on %s: %v", name, s.describe, err)
		}
	})
	t.Logf("pgtest: database %s", name)
	return dsn
}

// openPool opens a pool on dsn for t and closes it when t ends. Cleanups run
// last-in first-out, so the pool closes before the database is dropped.
func openPool(t testing.TB, dsn string) *pgxpool.Pool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatalf("pgtest: opening pool: %v", err)
	}
	t.Cleanup(func() { closePool(t, pool) })
	if err := pool.Ping(ctx); err != nil {
		t.Fatalf("pgtest: connecting to the test database: %v", err)
	}
	return pool
}

// closePool closes pool, but does not wait forever: Close blocks until every
// acquired connection is released, and a test that leaks one would otherwise
// hang until the test binary times out. DROP DATABASE WITH (FORCE) ends
// such connections anyway.
func closePool(t testing.TB, pool *pgxpool.Pool) {
	closed := make(chan struct{})
	go func() {
		pool.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Errorf("pgtest: the test still holds acquired pool connections 10s after it ended (release them)")
	}
}

func (s *server) createDatabase(name, options string) error {
	return s.admin(func(ctx context.Context, conn *pgx.Conn) error {
		sql := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize() + s.createOptions + options
		// CREATE DATABASE fails with object_in_use while anyone is connected
		// to template1; that is brief, so wait it out.
		for delay := 100 * time.Millisecond; ; delay *= 2 {
			_, err := conn.Exec(ctx, sql)
			var pgErr *pgconn.PgError
			if err == nil || !errors.As(err, &pgErr) || pgErr.Code != "55006" || delay > 2*time.Second {
				return err
			}
			time.Sleep(delay)
		}
	})
}

func (s *server) dropDatabase(name string) error {
	// A test may have left the harness-owned server stopped (Server);
	// the drop needs it up.
	if s.cluster != nil {
		if err := s.cluster.Start(); err != nil {
			return err
		}
	}
	return s.admin(func(ctx context.Context, conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
		return err
	})
}

// admin runs fn on a new connection to the maintenance database. A
// connection per operation, rather than a pool, never hands out one that
// died with a server restart.
func (s *server) admin(fn func(context.Context, *pgx.Conn) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.adminDSN)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	return fn(ctx, conn)
}

// maxIdentifier is PostgreSQL's NAMEDATALEN - 1: longer names are truncated.
const maxIdentifier = 63

// databaseName makes a unique, valid database name that says which test
// it belongs to: kvgen_<test name>_<random>.
func databaseName(testName string) string {
	var suffix [6]byte
	rand.Read(suffix[:]) // never fails (crypto/rand since Go 1.24)
	tail := "_" + hex.EncodeToString(suffix[:])
	var b strings.Builder
	b.WriteString("kvgen_")
	underscore := true
	for _, r := range strings.ToLower(testName) {
		if b.Len() >= maxIdentifier-len(tail) {
			break
		}
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			underscore = false
		} else if !underscore {
			b.WriteByte('_')
			underscore = true
		}
	}
	return strings.TrimRight(b.String(), "_") + tail
}

// dsnWithDatabase returns dsn pointing at database db instead, in either
// DSN form pgx accepts.
func dsnWithDatabase(dsn, db string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			// url.Error would quote the URL, password and all.
			var urlErr *url.Error
			if errors.As(err, &urlErr) {
				err = urlErr.Err
			}
			return "", fmt.Errorf("DATABASE_URL is not a URL net/url can parse (use the keyword/value form): %w", err)
		}
		u.Path, u.RawPath = "/"+db, ""
		// A database parameter, in either spelling, would override the path.
		q := u.Query()
		if q.Has("dbname") || q.Has("database") {
			q.Del("dbname")
			q.Del("database")
			u.RawQuery = q.Encode()
		}
		return u.String(), nil
	}
	// Keyword/value form: a later keyword overrides an earlier one, and db
	// is made of [a-z0-9_] only, so it needs no quoting.
	return strings.TrimSpace(dsn + " dbname=" + db), nil
}
