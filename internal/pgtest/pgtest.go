package pgtest

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
)

const (
	// databaseURLEnv names the admin DSN of a server to use instead of a throwaway cluster.
	databaseURLEnv = "DATABASE_URL"
	// skipEnv, when true, turns "no PostgreSQL" from a failure into a skip.
	skipEnv = "KVGEN_SKIP_POSTGRES"
)

// New returns a pool on a fresh database for t. The pool is closed and the
// database dropped when t ends.
func New(t testing.TB) *pgxpool.Pool {
	t.Helper()
	return openPool(t, freshDatabase(t, shared.get(t), ""))
}

// NewICU is New on a database whose default collation is ICU's en-US, where
// ORDER BY key sorts otherwise than Go's byte order ("a" before "B", "_"
// before letters). The throwaway clusters are initialised without a locale
// (the C collation, byte order), which hides SQL that depends on the
// database's order where it needs byte order. It needs PostgreSQL 15 or
// newer, built with ICU.
func NewICU(t testing.TB) *pgxpool.Pool {
	t.Helper()
	srv := shared.get(t)
	if srv.versionNum < 150000 {
		t.Fatalf("pgtest: an ICU database needs PostgreSQL 15 or newer (LOCALE_PROVIDER icu); the server is %s", srv.describe)
	}
	return openPool(t, freshDatabase(t, srv, icuOptions))
}

// icuOptions ends CREATE DATABASE for NewICU. template0, because template1
// has the cluster's libc locale and CREATE DATABASE may not change the
// collation of a copy of it.
const icuOptions = " LOCALE_PROVIDER icu ICU_LOCALE 'en-US' TEMPLATE template0"

// URL returns the DSN of a fresh database for t, dropped when t ends (with
// any connection still open to it), for tests that run a child process.
func URL(t testing.TB) string {
	t.Helper()
	return freshDatabase(t, shared.get(t), "")
}

// AdminURL returns the DSN of the shared server's maintenance database, for
// tests that act on the server itself (pg_terminate_backend and the like).
// With DATABASE_URL set it is DATABASE_URL.
func AdminURL(t testing.TB) string {
	t.Helper()
	return shared.get(t).adminDSN
}

// Server returns the shared server when the harness owns it, for tests that
// stop or restart it; if t leaves it stopped, it is started again when t
// ends. Stopping it disturbs every other test of the package running at the
// time, so prefer NewCluster. With DATABASE_URL set the server is not the
// harness's to stop, and t fails.
func Server(t testing.TB) *Cluster {
	t.Helper()
	return shared.cluster(t)
}

// Main runs the tests of a package and then stops the shared throwaway
// cluster, if one was started, and removes its files. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	// The shared PgBouncer and standby hang on the shared server: they go first.
	if err := errors.Join(sharedBouncer.close(), sharedStandby.close(), shared.shutdown()); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// shared is the server of the test binary, resolved on first use.
var shared = &sharedServer{resolve: func() resolution { return resolveServer(os.Getenv) }}

// resolution is the outcome of looking for a server.
type resolution struct {
	srv *server
	err error
	// skip is set when KVGEN_SKIP_POSTGRES allows turning err into a skip.
	skip bool
	// hint, on a failure, says how to give the tests a server.
	hint string
}

type sharedServer struct {
	resolve func() resolution

	mu       sync.Mutex
	resolved bool
	res      resolution
	logged   bool
}

// get resolves the server on first use, then hands it out; every test of
// the binary fails (or skips) with the same error if there is none.
func (s *sharedServer) get(t testing.TB) *server {
	t.Helper()
	s.mu.Lock()
	if !s.resolved {
		s.res, s.resolved = s.resolve(), true
	}
	res := s.res
	logNow := res.err == nil && !s.logged
	s.logged = s.logged || logNow
	s.mu.Unlock()
	if res.err != nil {
		if res.skip {
			t.Skipf("pgtest: skipped, %s is set: %v", skipEnv, res.err)
		}
		t.Fatalf("pgtest: %v%s", res.err, res.hint)
	}
	if logNow {
		t.Logf("pgtest: using %s", res.srv.describe)
	}
	return res.srv
}

func (s *sharedServer) cluster(t testing.TB) *Cluster {
	t.Helper()
	srv := s.get(t)
	if srv.cluster == nil {
		t.Fatalf("pgtest: this test stops and starts the server, so it needs a harness-owned cluster, "+
			"but the server is %s; use pgtest.NewCluster for a private one", srv.describe)
	}
	keepRunningAfter(t, srv.cluster)
	return srv.cluster
}

// owned returns the shared server's cluster for what is built on it (a
// PgBouncer, a standby), which needs says: "PgBouncer runs in front of".
// With DATABASE_URL there is none, and t fails.
func (s *sharedServer) owned(t testing.TB, needs string) *Cluster {
	t.Helper()
	srv := s.get(t)
	if srv.cluster == nil {
		t.Fatalf("pgtest: %s the harness's own throwaway cluster, but the server is %s; "+
			"unset %s to run this test", needs, srv.describe, databaseURLEnv)
	}
	return srv.cluster
}

// keepRunningAfter starts c again when t ends, if t left it stopped.
func keepRunningAfter(t testing.TB, c *Cluster) {
	t.Cleanup(func() {
		if err := c.Start(); err != nil {
			t.Errorf("pgtest: starting the cluster again after the test: %v", err)
		}
	})
}

// shutdown closes the throwaway cluster, if the binary started one.
func (s *sharedServer) shutdown() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.resolved || s.res.srv == nil || s.res.srv.cluster == nil {
		return nil
	}
	return s.res.srv.cluster.Close()
}

// resolveServer finds the server to use: DATABASE_URL if set, otherwise a
// throwaway cluster. Its error says what was tried and why it failed.
func resolveServer(getenv func(string) string) resolution {
	res := resolution{}
	res.srv, res.err = findServer(getenv)
	if res.err == nil {
		return res
	}
	if getenv(databaseURLEnv) == "" {
		res.hint = howToGetOne
	}
	if v := getenv(skipEnv); v != "" {
		skip, err := strconv.ParseBool(v)
		if err != nil {
			res.err = fmt.Errorf("%w (and %s=%q is not a boolean, so the tests fail rather than skip)", res.err, skipEnv, v)
		}
		res.skip = skip
	}
	return res
}

const howToGetOne = "\n(set " + databaseURLEnv + " to a server where the role may CREATE DATABASE, " +
	"or " + skipEnv + "=1 to skip the tests that need PostgreSQL)"

func findServer(getenv func(string) string) (*server, error) {
	if dsn := getenv(databaseURLEnv); dsn != "" {
		srv, err := externalServer(dsn)
		if err != nil {
			return nil, fmt.Errorf("no PostgreSQL: %s is set (%s) but unusable: %w", databaseURLEnv, redactDSN(dsn), err)
		}
		return srv, nil
	}
	binDir, err := findBinDir(getenv)
	if err != nil {
		return nil, fmt.Errorf("no PostgreSQL: %s is unset and %w", databaseURLEnv, err)
	}
	c, err := startCluster(binDir)
	if err != nil {
		return nil, fmt.Errorf("no PostgreSQL: %s is unset and starting a throwaway cluster from %s failed: %w",
			databaseURLEnv, binDir, err)
	}
	return throwawayServer(c), nil
}
