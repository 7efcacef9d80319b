package pgkv

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvgen/kvgen/internal/pgtest"
)

// whoDB returns a fresh database whose table who holds one row naming it.
func whoDB(t *testing.T, name string) *pgxpool.Pool {
	t.Helper()
	pool := pgtest.New(t)
	if _, err := pool.Exec(context.Background(), `CREATE TABLE who (name text PRIMARY KEY);
		INSERT INTO who VALUES ('`+name+`')`); err != nil {
		t.Fatal(err)
	}
	return pool
}

// fakeClock is a clock the test moves.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time      { return c.now }
func (c *fakeClock) Add(d time.Duration) { c.now = c.now.Add(d) }
func named(name, sql string) string      { return "-- name: " + name + " :many\n" + sql }
func readWho(name string) string {
	return named(name, "SELECT name FROM who WHERE name IN ('primary', 'replica')")
}
func writeWho(name, value string) string { return named(name, "INSERT INTO who VALUES ('"+value+"')") }

// newRouted returns a ReadWrite of two databases whose table who tells
// them apart, on a clock the test moves.
func newRouted(t *testing.T, window time.Duration) (*readWrite, *fakeClock, *pgxpool.Pool, *pgxpool.Pool) {
	t.Helper()
	primary, replica := whoDB(t, "primary"), whoDB(t, "replica")
	rw := ReadWrite(primary, replica, ReadWriteOptions{Window: window}).(*readWrite)
	clock := &fakeClock{now: rw.start}
	rw.now = clock.Now
	return rw, clock, primary, replica
}

// served asks rw with the statement sql which database serves it, by
// Query and by QueryRow.
func served(t *testing.T, rw *readWrite, sql string) string {
	t.Helper()
	ctx := context.Background()
	rows, err := rw.Query(ctx, sql)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	var one string
	if err := rw.QueryRow(ctx, sql).Scan(&one); err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 || names[0] != one {
		t.Fatalf("Query served %v, QueryRow %q", names, one)
	}
	return one
}

// TestReadWriteRoutes: the generated stores' read queries go to the
// replica, every other statement to the primary.
func TestReadWriteRoutes(t *testing.T) {
	rw, _, _, _ := newRouted(t, time.Minute)
	for _, q := range []string{"Get", "GetMany", "Keys", "List", "Collections", "FindByOwner", "FindBySoftwareID"} {
		if got := served(t, rw, readWho(q)); got != "replica" {
			t.Errorf("query %s served by the %s; want the replica", q, got)
		}
	}
	for _, sql := range []string{readWho("Scan"), readWho("GetAndDelete"), readWho("Put"), readWho("Finder"),
		"SELECT name FROM who", "-- Get\nSELECT name FROM who"} {
		if got := served(t, rw, sql); got != "primary" {
			t.Errorf("%q served by the %s; want the primary", sql, got)
		}
	}
}

// TestReadWriteWindow: after a write, whichever way it ran and whether it
// failed, reads go to the primary for the window, then to the replica
// again; writes never reach the replica.
func TestReadWriteWindow(t *testing.T) {
	ctx := context.Background()
	const window = 5 * time.Second
	rw, clock, primary, replica := newRouted(t, window)
	writes := []struct {
		how   string
		write func() error
	}{
		{"Exec", func() error { _, err := rw.Exec(ctx, writeWho("Put", "exec")); return err }},
		// The window runs from the end of a write: the clock moves on
		// while the write is under way, as in a long statement.
		{"QueryRow", func() error {
			var n int
			row := rw.QueryRow(ctx, named("Delete", "WITH d AS (DELETE FROM who WHERE name = 'exec' RETURNING 1) SELECT count(*) FROM d"))
			clock.Add(window)
			return row.Scan(&n)
		}},
		{"Query", func() error {
			rows, err := rw.Query(ctx, named("PutMany", "INSERT INTO who VALUES ('query') RETURNING name"))
			clock.Add(window)
			if err == nil {
				rows.Close()
			}
			return err
		}},
		{"a failed write", func() error {
			if _, err := rw.Exec(ctx, writeWho("Put", "primary")); err == nil {
				return errors.New("a duplicate key was written")
			}
			return nil
		}},
		{"a transaction", func() error {
			return pgx.BeginFunc(ctx, rw, func(tx pgx.Tx) error {
				_, err := tx.Exec(ctx, "INSERT INTO who VALUES ('tx')")
				clock.Add(window)
				return err
			})
		}},
	}
	for _, w := range writes {
		if got := served(t, rw, readWho("Get")); got != "replica" {
			t.Fatalf("before %s, Get served by the %s", w.how, got)
		}
		if err := w.write(); err != nil {
			t.Fatalf("%s: %v", w.how, err)
		}
		if got := served(t, rw, readWho("Get")); got != "primary" {
			t.Errorf("right after %s, Get served by the %s; want the primary", w.how, got)
		}
		clock.Add(window - 1)
		if got := served(t, rw, readWho("Get")); got != "primary" {
			t.Errorf("1ns before the window ends after %s, Get served by the %s; want the primary", w.how, got)
		}
		clock.Add(1)
		if got := served(t, rw, readWho("Get")); got != "replica" {
			t.Errorf("once the window after %s ended, Get served by the %s; want the replica", w.how, got)
		}
	}
	for db, want := range map[*pgxpool.Pool][]string{primary: {"primary", "query", "tx"}, replica: {"replica"}} {
		rows, _ := db.Query(ctx, "SELECT name FROM who ORDER BY name")
		if got, err := pgx.CollectRows(rows, pgx.RowTo[string]); err != nil || !slices.Equal(got, want) {
			t.Errorf("rows after the writes = %v, %v; want %v", got, err, want)
		}
	}
}

// TestReadWriteInTransaction: over the caller's transaction every
// statement stays in it, and without a replica on the primary.
func TestReadWriteInTransaction(t *testing.T) {
	ctx := context.Background()
	primary, replica := whoDB(t, "primary"), whoDB(t, "replica")
	tx, err := primary.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if got := ReadWrite(tx, replica, ReadWriteOptions{}); got != tx {
		t.Errorf("ReadWrite over a pgx.Tx = %T; want the transaction itself", got)
	}
	if got := ReadWrite(primary, nil, ReadWriteOptions{}); got != Beginner(primary) {
		t.Errorf("ReadWrite without a replica = %T; want the primary itself", got)
	}
	if rw := ReadWrite(primary, replica, ReadWriteOptions{}).(*readWrite); rw.window != DefaultWindow {
		t.Errorf("window without options = %v; want DefaultWindow", rw.window)
	}
}
