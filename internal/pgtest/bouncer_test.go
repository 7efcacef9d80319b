package pgtest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// deploy plays one deployment of an application behind PgBouncer: a pool
// in exec mode mode runs a query and is closed. It returns the pid of the
// server backend that ran the query.
func deploy(dsn string, mode pgx.QueryExecMode) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return 0, err
	}
	// One connection, so that each deployment has one server connection
	// to leave behind, and the next one gets it.
	cfg.MaxConns = 1
	cfg.ConnConfig.DefaultQueryExecMode = mode
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return 0, err
	}
	defer pool.Close()
	var pid, n int
	err = pool.QueryRow(ctx, "SELECT pg_backend_pid(), $1::int", 1).Scan(&pid, &n)
	return pid, err
}

// TestBouncerRedeployBreaksStatementCache reproduces issue #14's failure:
// pgx's default statement cache behind PgBouncer in transaction mode fails
// after a redeploy, because the new pool prepares the statement names the
// old one prepared on the same server connection.
func TestBouncerRedeployBreaksStatementCache(t *testing.T) {
	dsn := BouncerURL(t)
	if _, err := deploy(dsn, pgx.QueryExecModeCacheStatement); err != nil {
		t.Fatalf("first deployment: %v", err)
	}
	_, err := deploy(dsn, pgx.QueryExecModeCacheStatement)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "42P05" {
		t.Fatalf("redeployment with the statement cache: err = %v, want 42P05 (duplicate_prepared_statement)", err)
	}
}

// TestBouncerRedeployWorksWithoutNamedStatements shows the exec modes that
// survive a redeploy: they prepare no named statement.
func TestBouncerRedeployWorksWithoutNamedStatements(t *testing.T) {
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol} {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel() // each has a database, so a pool in PgBouncer, of its own
			dsn := BouncerURL(t)
			first, err := deploy(dsn, mode)
			if err != nil {
				t.Fatalf("first deployment: %v", err)
			}
			second, err := deploy(dsn, mode)
			if err != nil {
				t.Fatalf("redeployment: %v", err)
			}
			if first != second {
				t.Errorf("the redeployment ran on backend %d, not on the first deployment's %d: "+
					"PgBouncer did not keep its server connection, so this proves nothing", second, first)
			}
		})
	}
}

// TestBouncerPoolsByTransaction checks the pooling mode: clients share a
// server connection between transactions, and a transaction has one to
// itself.
func TestBouncerPoolsByTransaction(t *testing.T) {
	// The simple protocol, so that the two clients' statements do not
	// collide on the server connection they share.
	dsn := BouncerURL(t) + "&default_query_exec_mode=simple_protocol"
	a, b := connect(t, dsn), connect(t, dsn)
	if pa, pb := backendPID(t, a), backendPID(t, b); pa != pb {
		t.Errorf("two clients one after the other ran on backends %d and %d, want one shared server connection", pa, pb)
	}
	ctx := context.Background()
	tx, err := a.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	var inTx int
	if err := tx.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&inTx); err != nil {
		t.Fatal(err)
	}
	if other := backendPID(t, b); other == inTx {
		t.Errorf("a client ran on backend %d while another client's transaction held it", other)
	}
}

func backendPID(t *testing.T, conn *pgx.Conn) int {
	t.Helper()
	var pid int
	if err := conn.QueryRow(context.Background(), "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatalf("pg_backend_pid(): %v", err)
	}
	return pid
}

func TestBouncerURLGivesFreshDatabases(t *testing.T) {
	var name string
	t.Run("through PgBouncer", func(t *testing.T) {
		conn := connect(t, BouncerURL(t)+"&default_query_exec_mode=simple_protocol")
		name = currentDatabase(t, conn)
		if name == maintenanceDB || !strings.HasPrefix(name, "kvgen_") {
			t.Errorf("PgBouncer reached database %q, not a fresh kvgen_ database", name)
		}
	})
	if databaseExists(t, AdminURL(t), name) {
		t.Errorf("database %s reached through PgBouncer survived its test", name)
	}
}

// TestBouncerURLsReachOneDatabase: BouncerURLs's two DSNs reach one
// database, one of them through PgBouncer.
func TestBouncerURLsReachOneDatabase(t *testing.T) {
	direct, bouncer := BouncerURLs(t)
	if direct == bouncer {
		t.Fatalf("BouncerURLs gave one DSN twice: %s", redactDSN(direct))
	}
	d := connect(t, direct)
	if _, err := d.Exec(context.Background(), "CREATE TABLE made_directly ()"); err != nil {
		t.Fatal(err)
	}
	b := connect(t, bouncer+"&default_query_exec_mode=simple_protocol")
	if currentDatabase(t, b) != currentDatabase(t, d) {
		t.Errorf("the DSNs reach databases %s and %s", currentDatabase(t, d), currentDatabase(t, b))
	}
	var found bool
	if err := b.QueryRow(context.Background(), "SELECT to_regclass('made_directly') IS NOT NULL").Scan(&found); err != nil || !found {
		t.Errorf("through PgBouncer the table made directly is found = %v, %v", found, err)
	}
}

func TestBouncerConfigPinsPreparedStatementsOff(t *testing.T) {
	b := &Bouncer{target: &Cluster{port: 5432}, root: "/tmp/x", port: 6432}
	for _, tc := range []struct {
		version [2]int
		want    bool
	}{
		{[2]int{1, 18}, false}, // refuses the setting
		{[2]int{1, 21}, true},
		{[2]int{1, 24}, true}, // on by default
		{[2]int{2, 0}, true},
	} {
		conf := b.config(tc.version)
		if got := strings.Contains(conf, "\nmax_prepared_statements = 0\n"); got != tc.want {
			t.Errorf("PgBouncer %d.%d: max_prepared_statements = 0 set: %v, want %v", tc.version[0], tc.version[1], got, tc.want)
		}
		for _, want := range []string{"pool_mode = transaction", "* = host=127.0.0.1 port=5432", "listen_port = 6432"} {
			if !strings.Contains(conf, want) {
				t.Errorf("PgBouncer %d.%d: config lacks %q:\n%s", tc.version[0], tc.version[1], want, conf)
			}
		}
	}
}

func TestFindBouncer(t *testing.T) {
	t.Run("override", func(t *testing.T) {
		env := map[string]string{bouncerEnv: "/nonexistent/pgbouncer"}
		_, err := findBouncer(func(k string) string { return env[k] })
		if err == nil || !strings.Contains(err.Error(), bouncerEnv+"=/nonexistent/pgbouncer") {
			t.Errorf("missing %s: err = %v, want one naming it", bouncerEnv, err)
		}
		dir := t.TempDir()
		path := filepath.Join(dir, "pgbouncer")
		if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		env[bouncerEnv] = path
		if got, err := findBouncer(func(k string) string { return env[k] }); err != nil || got != path {
			t.Errorf("findBouncer = %q, %v; want %q", got, err, path)
		}
	})
	t.Run("nowhere", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		saved := bouncerPaths
		bouncerPaths = []string{"/nonexistent/sbin/pgbouncer"}
		t.Cleanup(func() { bouncerPaths = saved })
		_, err := findBouncer(func(string) string { return "" })
		if err == nil {
			t.Fatal("found a pgbouncer where there is none")
		}
		for _, want := range []string{"/nonexistent/sbin/pgbouncer", "apt-get install -y pgbouncer", bouncerEnv} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not mention %q", err, want)
			}
		}
	})
}

// TestScaleOutNeedsThrowawayCluster: with DATABASE_URL, PgBouncer and the
// standby have no cluster of the harness's to run in front of, and say so.
func TestScaleOutNeedsThrowawayCluster(t *testing.T) {
	ext, err := externalServer(AdminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	ext.describe = "PostgreSQL from " + databaseURLEnv
	s := &sharedServer{resolve: func() resolution { return resolution{srv: ext} }}
	rec := record(t, func(tb testing.TB) { s.owned(tb, "PgBouncer runs in front of") })
	for _, want := range []string{"PgBouncer runs in front of", "from " + databaseURLEnv, "unset " + databaseURLEnv} {
		if !strings.Contains(rec.fatal, want) {
			t.Errorf("failure %q does not mention %q", rec.fatal, want)
		}
	}
}
