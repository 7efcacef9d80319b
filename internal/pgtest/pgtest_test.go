package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNewGivesEachTestItsOwnDatabase(t *testing.T) {
	var first, second string
	t.Run("first", func(t *testing.T) {
		pool := New(t)
		if err := pool.QueryRow(context.Background(), "SELECT current_database()").Scan(&first); err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(context.Background(), "CREATE TABLE marker (id int)"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("second", func(t *testing.T) {
		pool := New(t)
		if err := pool.QueryRow(context.Background(), "SELECT current_database()").Scan(&second); err != nil {
			t.Fatal(err)
		}
		var marker *string
		if err := pool.QueryRow(context.Background(), "SELECT to_regclass('marker')::text").Scan(&marker); err != nil {
			t.Fatal(err)
		}
		if marker != nil {
			t.Errorf("table created by the first test is visible in the second: %s", *marker)
		}
	})
	if first == "" || second == "" {
		t.Fatal("a subtest did not get a database")
	}
	if first == second {
		t.Errorf("both tests got database %s", first)
	}
	for _, name := range []string{first, second} {
		if name == maintenanceDB || !strings.HasPrefix(name, "kvgen_") {
			t.Errorf("test database %q is not a fresh kvgen_ database", name)
		}
		if databaseExists(t, AdminURL(t), name) {
			t.Errorf("database %s still exists after its test ended", name)
		}
	}
}

func TestURLGivesFreshDatabases(t *testing.T) {
	a, b := connect(t, URL(t)), connect(t, URL(t))
	nameA, nameB := currentDatabase(t, a), currentDatabase(t, b)
	if nameA == nameB {
		t.Fatalf("two URL calls gave the same database %s", nameA)
	}
	if _, err := a.Exec(context.Background(), "CREATE TABLE marker (id int)"); err != nil {
		t.Fatal(err)
	}
	var marker *string
	if err := b.QueryRow(context.Background(), "SELECT to_regclass('marker')::text").Scan(&marker); err != nil {
		t.Fatal(err)
	}
	if marker != nil {
		t.Errorf("table created through one URL is visible through the other")
	}
}

func TestURLDatabaseDroppedDespiteOpenConnection(t *testing.T) {
	var name string
	t.Run("leaves a connection open", func(t *testing.T) {
		conn, err := connectNoCleanup(URL(t))
		if err != nil {
			t.Fatal(err)
		}
		// Deliberately left open, as a crashed child process would leave it.
		name = currentDatabase(t, conn)
	})
	if databaseExists(t, AdminURL(t), name) {
		t.Errorf("database %s with a connection left open survived its test", name)
	}
}

func TestAdminURLReachesMaintenanceDatabase(t *testing.T) {
	if got := currentDatabase(t, connect(t, AdminURL(t))); got == "" {
		t.Fatal("no current database")
	}
	// The admin connection can see and end the backends of test databases,
	// which is what fault tests use it for.
	pool := New(t)
	var pid int
	if err := pool.QueryRow(context.Background(), "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	var ended bool
	if err := connect(t, AdminURL(t)).QueryRow(context.Background(), "SELECT pg_terminate_backend($1)", pid).Scan(&ended); err != nil {
		t.Fatal(err)
	}
	if !ended {
		t.Errorf("pg_terminate_backend(%d) through AdminURL did not end the backend", pid)
	}
}

// TestDatabaseURLPath runs the DATABASE_URL resolution against a real
// server: the shared one, reached through its admin DSN as a user would give it.
func TestDatabaseURLPath(t *testing.T) {
	env := map[string]string{databaseURLEnv: AdminURL(t), binDirEnv: "/nonexistent"}
	res := resolveServer(func(k string) string { return env[k] })
	if res.err != nil {
		t.Fatalf("resolving DATABASE_URL: %v", res.err)
	}
	if res.srv.cluster != nil {
		t.Error("a DATABASE_URL server is treated as harness-owned")
	}
	if !strings.Contains(res.srv.describe, databaseURLEnv) {
		t.Errorf("description %q does not say the server comes from DATABASE_URL", res.srv.describe)
	}
	var name string
	t.Run("fresh database", func(t *testing.T) {
		conn := connect(t, freshDatabase(t, res.srv, ""))
		name = currentDatabase(t, conn)
		if name == maintenanceDB {
			t.Fatal("got the maintenance database instead of a fresh one")
		}
	})
	if databaseExists(t, AdminURL(t), name) {
		t.Errorf("database %s made through DATABASE_URL survived its test", name)
	}
	// Server refuses a server it does not own.
	s := &sharedServer{resolve: func() resolution { return res }}
	rec := record(t, func(tb testing.TB) { s.cluster(tb) })
	if !strings.Contains(rec.fatal, "NewCluster") {
		t.Errorf("Server with DATABASE_URL did not fail pointing at NewCluster; fatal=%q skip=%q", rec.fatal, rec.skip)
	}
}

func TestResolveWithoutPostgresFailsLoudly(t *testing.T) {
	env := map[string]string{binDirEnv: "/nonexistent/bin"}
	res := resolveServer(func(k string) string { return env[k] })
	if res.err == nil {
		t.Fatal("resolved a server with no DATABASE_URL and no binaries")
	}
	if res.skip {
		t.Error("no PostgreSQL turned into a skip without KVGEN_SKIP_POSTGRES")
	}
	s := &sharedServer{resolve: func() resolution { return res }}
	rec := record(t, func(tb testing.TB) { s.get(tb) })
	if rec.fatal == "" || rec.skip != "" {
		t.Fatalf("no PostgreSQL: fatal=%q skip=%q, want a failure", rec.fatal, rec.skip)
	}
	for _, want := range []string{"DATABASE_URL is unset", "/nonexistent/bin", "initdb", skipEnv} {
		if !strings.Contains(rec.fatal, want) {
			t.Errorf("failure %q does not mention %q", rec.fatal, want)
		}
	}
}

func TestFailedInitdbIsReported(t *testing.T) {
	// Not t.TempDir: as root the fake initdb runs as the postgres user,
	// who must be able to reach it.
	dir, err := os.MkdirTemp("", "kvgen-fake-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, script := range map[string]string{
		"initdb": "#!/bin/sh\necho 'initdb: error: the disk is on fire' >&2\nexit 1\n",
		"pg_ctl": "#!/bin/sh\nexit 1\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{binDirEnv: dir}
	res := resolveServer(func(k string) string { return env[k] })
	if res.err == nil {
		t.Fatal("resolved a server whose initdb fails")
	}
	for _, want := range []string{"DATABASE_URL is unset", filepath.Join(dir, "initdb"), "the disk is on fire"} {
		if !strings.Contains(res.err.Error(), want) {
			t.Errorf("error %q does not mention %q", res.err, want)
		}
	}
}

func TestResolveSkipsOnlyWhenTold(t *testing.T) {
	for _, tc := range []struct {
		value     string
		wantSkip  bool
		wantInErr string
	}{
		{"1", true, ""},
		{"true", true, ""},
		{"0", false, ""},
		{"maybe", false, "not a boolean"},
	} {
		env := map[string]string{binDirEnv: "/nonexistent/bin", skipEnv: tc.value}
		res := resolveServer(func(k string) string { return env[k] })
		if res.err == nil {
			t.Fatalf("%s=%s: resolved a server from nothing", skipEnv, tc.value)
		}
		if res.skip != tc.wantSkip {
			t.Errorf("%s=%s: skip=%v, want %v", skipEnv, tc.value, res.skip, tc.wantSkip)
		}
		if !strings.Contains(res.err.Error(), tc.wantInErr) {
			t.Errorf("%s=%s: error %q does not mention %q", skipEnv, tc.value, res.err, tc.wantInErr)
		}
		s := &sharedServer{resolve: func() resolution { return res }}
		rec := record(t, func(tb testing.TB) { s.get(tb) })
		if got := rec.skip != ""; got != tc.wantSkip || (rec.fatal != "") == tc.wantSkip {
			t.Errorf("%s=%s: fatal=%q skip=%q", skipEnv, tc.value, rec.fatal, rec.skip)
		}
		if tc.wantSkip && !strings.Contains(rec.skip, "/nonexistent/bin") {
			t.Errorf("skip message %q does not say why there is no PostgreSQL", rec.skip)
		}
	}
}

func TestBadDatabaseURLFailsWithoutShowingPassword(t *testing.T) {
	env := map[string]string{databaseURLEnv: "postgres://kvgen:hunter2@127.0.0.1:1/app?sslmode=disable"}
	res := resolveServer(func(k string) string { return env[k] })
	if res.err == nil {
		t.Fatal("resolved a server on port 1")
	}
	msg := res.err.Error()
	if strings.Contains(msg, "hunter2") {
		t.Errorf("error shows the password: %s", msg)
	}
	if !strings.Contains(msg, databaseURLEnv) || !strings.Contains(msg, "127.0.0.1:1") {
		t.Errorf("error %q does not say which DATABASE_URL failed", msg)
	}
}

func TestResolutionHappensOnce(t *testing.T) {
	calls := 0
	s := &sharedServer{resolve: func() resolution {
		calls++
		return resolution{err: errors.New("no server here")}
	}}
	for range 3 {
		record(t, func(tb testing.TB) { s.get(tb) })
	}
	if calls != 1 {
		t.Errorf("resolved %d times, want once per test binary", calls)
	}
}

func TestParallelTestsGetDistinctDatabases(t *testing.T) {
	const n = 6
	names := make(chan string, n)
	t.Run("group", func(t *testing.T) {
		for i := range n {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				var name string
				if err := New(t).QueryRow(context.Background(), "SELECT current_database()").Scan(&name); err != nil {
					t.Fatal(err)
				}
				names <- name
			})
		}
	})
	close(names)
	seen := map[string]bool{}
	for name := range names {
		if seen[name] {
			t.Errorf("two parallel tests got database %s", name)
		}
		seen[name] = true
	}
	if len(seen) != n {
		t.Errorf("%d parallel tests got %d databases", n, len(seen))
	}
}

// TestNewICUSortsByEnUS: NewICU's database orders text by ICU's en-US rules,
// unlike New's (byte order), and is dropped when its test ends.
func TestNewICUSortsByEnUS(t *testing.T) {
	const query = `SELECT string_agg(k, ' ' ORDER BY k) FROM unnest(ARRAY['B', 'a', '_z', 'A', 'b']) AS k`
	var name string
	t.Run("icu", func(t *testing.T) {
		pool := NewICU(t)
		var provider, order string
		if err := pool.QueryRow(context.Background(),
			"SELECT datlocprovider::text, current_database() FROM pg_database WHERE datname = current_database()").
			Scan(&provider, &name); err != nil {
			t.Fatal(err)
		}
		if err := pool.QueryRow(context.Background(), query).Scan(&order); err != nil {
			t.Fatal(err)
		}
		if provider != "i" || order != "_z a A b B" {
			t.Errorf("NewICU database: provider %q, order %q; want ICU (i) and en-US order %q", provider, order, "_z a A b B")
		}
	})
	if databaseExists(t, AdminURL(t), name) {
		t.Errorf("ICU database %s survived its test", name)
	}
	var order string
	if err := New(t).QueryRow(context.Background(), query).Scan(&order); err != nil {
		t.Fatal(err)
	}
	if order != "A B _z a b" {
		t.Errorf("New database orders %q; want byte order %q", order, "A B _z a b")
	}
}
