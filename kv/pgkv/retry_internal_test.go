package pgkv

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvgen/kvgen/internal/pgtest"
	"github.com/kvgen/kvgen/kv"
)

// failingDB returns a fresh database whose table staged refuses its first
// failures inserts with a serialization failure (40001), as a serializable
// write that lost a race does. The count is kept by a sequence, which a
// rollback does not undo, so it also counts the attempts.
func failingDB(t *testing.T, failures int) *pgxpool.Pool {
	t.Helper()
	pool := pgtest.New(t)
	_, err := pool.Exec(context.Background(), `
		CREATE TABLE staged (n int);
		CREATE SEQUENCE attempts;
		CREATE FUNCTION lose() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF nextval('attempts') <= `+strconv.Itoa(failures)+` THEN
				RAISE EXCEPTION 'staged race lost' USING ERRCODE = '40001';
			END IF;
			RETURN NEW;
		END $$;
		CREATE TRIGGER lose BEFORE INSERT ON staged FOR EACH ROW EXECUTE FUNCTION lose()`)
	if err != nil {
		t.Fatal(err)
	}
	return pool
}

// attempts is how many inserts into staged were tried.
func attempts(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT last_value FROM attempts`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

const insertStaged = "-- name: Put :exec\nINSERT INTO staged VALUES (1)"

// TestRetriesPastTenFailures: a statement, and an Atomic transaction, that
// lose 15 races in a row (more than the 10 attempts an earlier count-based
// policy allowed, which starved writers under contention) still succeed.
func TestRetriesPastTenFailures(t *testing.T) {
	ctx := context.Background()
	const failures = 15
	t.Run("statement", func(t *testing.T) {
		pool := failingDB(t, failures)
		if _, err := Wrap(pool).Exec(ctx, insertStaged); err != nil {
			t.Fatalf("Exec after %d lost races: %v", failures, err)
		}
		if n := attempts(t, pool); n != failures+1 {
			t.Errorf("the statement ran %d times; want %d", n, failures+1)
		}
	})
	t.Run("Atomic", func(t *testing.T) {
		pool := failingDB(t, failures)
		runs := 0
		err := Atomic(ctx, pool, func(tx DBTX) error {
			runs++
			_, err := tx.Exec(ctx, insertStaged)
			return err
		})
		if err != nil {
			t.Fatalf("Atomic after %d lost races: %v", failures, err)
		}
		if runs != failures+1 {
			t.Errorf("Atomic ran its function %d times; want %d", runs, failures+1)
		}
	})
}

// TestRetryingEndsAtRetryFor: a statement, and an Atomic transaction, that
// lose every race are kv.ErrSerialization once RetryFor (shortened here) has
// passed, and not before, saying how long they tried.
func TestRetryingEndsAtRetryFor(t *testing.T) {
	ctx := context.Background()
	defer func(d time.Duration) { retryFor = d }(retryFor)
	retryFor = 400 * time.Millisecond
	pool := failingDB(t, 1<<30)
	for _, atomic := range []bool{false, true} {
		before := attempts(t, pool)
		start := time.Now()
		var err error
		if atomic {
			err = Atomic(ctx, pool, func(tx DBTX) error { _, err := tx.Exec(ctx, insertStaged); return err })
		} else {
			_, err = Wrap(pool).Exec(ctx, insertStaged)
		}
		took := time.Since(start)
		if !errors.Is(err, kv.ErrSerialization) || !strings.Contains(err.Error(), "still after") {
			t.Fatalf("atomic=%v: error %v; want kv.ErrSerialization, still after some attempts", atomic, err)
		}
		// It stops before a wait that would end past RetryFor, so no
		// sooner than RetryFor less the longest wait.
		if took < retryFor-backoffMax {
			t.Errorf("atomic=%v: gave up after %v; want RetryFor, %v", atomic, took, retryFor)
		}
		if n := attempts(t, pool) - before; n < 2 {
			t.Errorf("atomic=%v: %d attempts; want it run again", atomic, n)
		}
	}
}

// TestRetryWaitEndsWithContext: once the caller's context has ended there
// is no further attempt, however much of RetryFor is left.
func TestRetryWaitEndsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var r retries
	why, again := r.wait(ctx)
	if again || !strings.Contains(why, "cut short by the context") {
		t.Errorf("wait after the context ended = %q, %v; want cut short by the context, false", why, again)
	}
}
