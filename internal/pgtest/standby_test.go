package pgtest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// mustExec runs sql on conn or fails t.
func mustExec(t *testing.T, conn *pgx.Conn, sql string) {
	t.Helper()
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// TestStandbyWaitReplay pauses the standby's replay to show that
// WaitReplay waits for the standby, not for the clock: it times out while
// replay is paused, and once replay goes on, it returns with the write
// visible on the standby.
func TestStandbyWaitReplay(t *testing.T) {
	sb := SharedStandby(t)
	primaryDSN, standbyDSN := sb.URLs(t)
	primary, standby := connect(t, primaryDSN), connect(t, standbyDSN)
	mustExec(t, primary, "CREATE TABLE marker (id int)")
	if err := sb.WaitReplay(context.Background()); err != nil {
		t.Fatal(err)
	}

	admin := connect(t, sb.AdminURL())
	mustExec(t, admin, "SELECT pg_wal_replay_pause()")
	// Resumed again even if the test fails while replay is paused.
	t.Cleanup(func() {
		if _, err := admin.Exec(context.Background(), "SELECT pg_wal_replay_resume()"); err != nil {
			t.Errorf("resuming the standby's replay: %v", err)
		}
	})
	// The cluster commits asynchronously: this is the case WaitReplay has
	// to flush for.
	mustExec(t, primary, "INSERT INTO marker VALUES (1)")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := sb.WaitReplay(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitReplay while replay is paused: %v, want it to time out", err)
	}

	mustExec(t, admin, "SELECT pg_wal_replay_resume()")
	if err := sb.WaitReplay(context.Background()); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := standby.QueryRow(context.Background(), "SELECT count(*) FROM marker").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("the standby sees %d rows after WaitReplay, want the 1 written on the primary", n)
	}
}

// TestStandbyWaitReplaySeesAsyncCommits: the cluster commits
// asynchronously, so a commit's WAL may not even be written when it
// returns. Waiting for the primary's pg_current_wal_lsn() misses such a
// commit most of the time; WaitReplay must never.
func TestStandbyWaitReplaySeesAsyncCommits(t *testing.T) {
	sb := SharedStandby(t)
	primaryDSN, standbyDSN := sb.URLs(t)
	primary, standby := connect(t, primaryDSN), connect(t, standbyDSN)
	mustExec(t, primary, "CREATE TABLE marker (id int)")
	for i := 1; i <= 20; i++ {
		mustExec(t, primary, "INSERT INTO marker VALUES (1)")
		if err := sb.WaitReplay(context.Background()); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := standby.QueryRow(context.Background(), "SELECT count(*) FROM marker").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != i {
			t.Fatalf("after %d commits on the primary and WaitReplay, the standby sees %d rows", i, n)
		}
	}
}

func TestStandbyRefusesWrites(t *testing.T) {
	_, standbyDSN := SharedStandby(t).URLs(t)
	_, err := connect(t, standbyDSN).Exec(context.Background(), "CREATE TABLE marker (id int)")
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "25006" {
		t.Fatalf("a write on the standby: err = %v, want 25006 (read_only_sql_transaction)", err)
	}
}

// TestStandbyDropOnPrimaryEndsStandbyConnections: the harness drops a
// test's database WITH (FORCE) on the primary; connections to it on the
// standby must not keep it alive there.
func TestStandbyDropOnPrimaryEndsStandbyConnections(t *testing.T) {
	sb := SharedStandby(t)
	_, standbyDSN := sb.URLs(t)
	standby := connect(t, standbyDSN)
	name := currentDatabase(t, standby)
	mustExec(t, connect(t, AdminURL(t)), "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	if err := sb.WaitReplay(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, err := standby.Exec(context.Background(), "SELECT 1")
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "57P04" {
		t.Errorf("a standby connection to a database dropped on the primary: err = %v, want 57P04 (database_dropped)", err)
	}
	if databaseExists(t, sb.AdminURL(), name) {
		t.Errorf("database %s dropped on the primary still exists on the standby", name)
	}
}

// TestBouncerInFrontOfStandby: reads from a replica go through PgBouncer
// too in production; a private PgBouncer runs in front of the standby.
func TestBouncerInFrontOfStandby(t *testing.T) {
	sb := SharedStandby(t)
	primaryDSN, standbyDSN := sb.URLs(t)
	mustExec(t, connect(t, primaryDSN), "CREATE TABLE marker (id int)")
	if err := sb.WaitReplay(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := NewBouncer(t, sb.Cluster)
	conn := connect(t, b.URL(databaseOf(t, standbyDSN))+"&default_query_exec_mode=simple_protocol")
	var inRecovery bool
	var marker *string
	if err := conn.QueryRow(context.Background(), "SELECT pg_is_in_recovery(), to_regclass('marker')::text").
		Scan(&inRecovery, &marker); err != nil {
		t.Fatal(err)
	}
	if !inRecovery || marker == nil {
		t.Errorf("through PgBouncer in front of the standby: in recovery %v, table replicated %v; want both", inRecovery, marker != nil)
	}
}
