package kvimpl_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/kvimpl"
	"github.com/kvgen/kvgen/kv/sqlitekv"
)

// Rows shaped as sqlc's sqlite engine declares them in a generated sqlitedb
// package.
type (
	sqliteGetRow struct {
		Value     string
		ExpiresAt *float64
		Now       float64
	}
	sqliteGetAndDeleteRow struct {
		Value     string
		ExpiresAt *float64
		Column3   float64
	}
	sqliteListRow struct {
		Key       string
		Value     string
		ExpiresAt *float64
		Now       float64
	}
	sqliteScanRow struct {
		Key   string
		Value string
	}
)

// seconds is t as SQLite stores an instant: REAL seconds since the epoch.
func seconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// TestSQLiteFound: no row is no entry, not an error; a row's time left is
// measured on the database's clock.
func TestSQLiteFound(t *testing.T) {
	raw, ok, err := kvimpl.SQLiteFound("k", sqliteGetRow{}, sql.ErrNoRows)
	if ok || err != nil || raw.Key != "" {
		t.Errorf("no row: %+v, %v, %v; want nothing, false, nil", raw, ok, err)
	}
	boom := errors.New("boom")
	if _, ok, err := kvimpl.SQLiteFound("k", sqliteGetRow{}, boom); ok || !errors.Is(err, boom) {
		t.Errorf("an error: %v, %v; want it passed on", ok, err)
	}
	at := seconds(expires)
	raw, ok, err = kvimpl.SQLiteFound("k", sqliteGetRow{Value: `{}`, ExpiresAt: &at, Now: seconds(now)}, nil)
	if !ok || err != nil || raw.Key != "k" || string(raw.Value) != `{}` || !raw.Expires || raw.TTL != 90*time.Second || !raw.ExpiresAt.Equal(expires) {
		t.Errorf("an expiring row: %+v, %v, %v", raw, ok, err)
	}
	raw, ok, _ = kvimpl.SQLiteFound("k", sqliteGetRow{Value: `{}`, Now: seconds(now)}, nil)
	if !ok || raw.Expires || raw.TTL != 0 || !raw.ExpiresAt.IsZero() {
		t.Errorf("a row without expiry: %+v", raw)
	}
}

// TestSQLiteTaken: GetAndDelete deletes an expired row too, and it reads
// as none; an unexpired one reads as Get's.
func TestSQLiteTaken(t *testing.T) {
	past, future := seconds(now.Add(-time.Second)), seconds(expires)
	if raw, ok, err := kvimpl.SQLiteTaken("k", sqliteGetAndDeleteRow{Value: `{}`, ExpiresAt: &past, Column3: seconds(now)}, nil); ok || err != nil || raw.Key != "" {
		t.Errorf("an expired row: %+v, %v, %v; want nothing, false, nil", raw, ok, err)
	}
	if _, ok, err := kvimpl.SQLiteTaken("k", sqliteGetAndDeleteRow{}, sql.ErrNoRows); ok || err != nil {
		t.Errorf("no row: %v, %v; want false, nil", ok, err)
	}
	boom := errors.New("boom")
	if _, ok, err := kvimpl.SQLiteTaken("k", sqliteGetAndDeleteRow{}, boom); ok || !errors.Is(err, boom) {
		t.Errorf("an error: %v, %v; want it passed on", ok, err)
	}
	raw, ok, err := kvimpl.SQLiteTaken("k", sqliteGetAndDeleteRow{Value: `{}`, ExpiresAt: &future, Column3: seconds(now)}, nil)
	if !ok || err != nil || raw.Key != "k" || raw.TTL != 90*time.Second {
		t.Errorf("an unexpired row: %+v, %v, %v", raw, ok, err)
	}
}

func TestSQLiteEntriesStoredAndCounts(t *testing.T) {
	at := seconds(expires)
	got, err := kvimpl.SQLiteEntries([]sqliteListRow{{Key: "a", Value: "1", Now: seconds(now)}, {Key: "b", Value: "2", ExpiresAt: &at, Now: seconds(now)}}, nil)
	if err != nil || len(got) != 2 || got[0].Key != "a" || got[0].Expires || got[1].Key != "b" || got[1].TTL != 90*time.Second {
		t.Errorf("SQLiteEntries = %+v, %v", got, err)
	}
	boom := errors.New("boom")
	if got, err := kvimpl.SQLiteEntries([]sqliteListRow(nil), boom); got != nil || !errors.Is(err, boom) {
		t.Errorf("SQLiteEntries of an error = %v, %v", got, err)
	}
	stored, err := kvimpl.SQLiteStored([]sqliteScanRow{{Key: "a", Value: "1"}}, nil)
	if err != nil || len(stored) != 1 || stored[0].Key != "a" || string(stored[0].Value) != "1" || stored[0].Expires {
		t.Errorf("SQLiteStored = %+v, %v", stored, err)
	}
	if ok, err := kvimpl.SQLiteDeleted([]int64{0}, nil); ok || err != nil {
		t.Errorf("SQLiteDeleted of an expired row = %v, %v; want false", ok, err)
	}
	if ok, err := kvimpl.SQLiteDeleted([]int64{1}, boom); !ok || err != boom {
		t.Errorf("SQLiteDeleted of an unexpired row = %v, %v; want true and the error", ok, err)
	}
	if n, err := kvimpl.SQLiteCount([]int64{1, 0, 1}, nil); n != 2 || err != nil {
		t.Errorf("SQLiteCount = %d, %v; want the 2 unexpired", n, err)
	}
}

// TestSQLiteSwap: each key is swapped with its old and new value as text,
// the rows swapped counted, and the first error ends the batch.
func TestSQLiteSwap(t *testing.T) {
	var calls []string
	n, err := kvimpl.SQLiteSwap([]string{"a", "b"}, [][]byte{[]byte("1"), []byte("2")}, [][]byte{[]byte("3"), []byte("4")},
		func(key, old, value string) (int64, error) {
			calls = append(calls, key+old+value)
			return int64(len(calls) - 1), nil
		})
	if n != 1 || err != nil || len(calls) != 2 || calls[0] != "a13" || calls[1] != "b24" {
		t.Errorf("SQLiteSwap = %d, %v after %q; want 1, nil after a13, b24", n, err, calls)
	}
	boom := errors.New("boom")
	calls = nil
	_, err = kvimpl.SQLiteSwap([]string{"a", "b"}, make([][]byte, 2), make([][]byte, 2), func(key, _, _ string) (int64, error) {
		calls = append(calls, key)
		return 0, boom
	})
	if !errors.Is(err, boom) || len(calls) != 1 {
		t.Errorf("SQLiteSwap of a failing key = %v after %q; want its error after it alone", err, calls)
	}
}

// TestSQLiteBackend: the backend reads on the database's read-only
// connections and writes on its writing one; it is atomic, Atomic runs its
// function over one BEGIN IMMEDIATE transaction that an error rolls back,
// and a Swap runs in one transaction too.
func TestSQLiteBackend(t *testing.T) {
	ctx := t.Context()
	db, err := sqlitekv.Open(ctx, "sqlite", filepath.Join(t.TempDir(), "kv.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.CreateTable(ctx, "CREATE TABLE IF NOT EXISTS atomic_test (n INTEGER)"); err != nil {
		t.Fatal(err)
	}
	var built []sqliteStub
	newBackend := func(r, w kvimpl.SQLiteDBTX) kv.Backend {
		built = append(built, sqliteStub{r: r, w: w})
		return built[len(built)-1]
	}
	b, atomic := kvimpl.SQLiteBackend(db, newBackend).(kv.AtomicBackend)
	if !atomic {
		t.Fatal("SQLiteBackend is no kv.AtomicBackend")
	}
	if len(built) != 1 || built[0].r != kvimpl.SQLiteDBTX(db.Reader()) || built[0].w != kvimpl.SQLiteDBTX(db.Writer()) {
		t.Fatalf("the backend over db reads on %v and writes on %v; want db's reader and writer", built[0].r, built[0].w)
	}
	err = b.Atomic(ctx, func(tx kv.Backend) error {
		if s := tx.(sqliteStub); s.r != s.w {
			t.Error("in a transaction, reads and writes run on different connections")
		}
		if err := insert(ctx, built[len(built)-1].w); err != nil {
			return err
		}
		return errRollBack
	})
	if !errors.Is(err, errRollBack) {
		t.Fatalf("Atomic = %v, want its function's error", err)
	}
	countRows(t, db, 0, "after a rolled-back Atomic")
	if err := b.Atomic(ctx, func(kv.Backend) error { return insert(ctx, built[len(built)-1].w) }); err != nil {
		t.Fatal(err)
	}
	countRows(t, db, 1, "after a committed Atomic")
	if _, err := b.Swap(ctx, "c", []string{"k"}, nil, nil); !errors.Is(err, errRollBack) {
		t.Fatalf("Swap = %v, want the generated Swap's error", err)
	}
	countRows(t, db, 1, "after a failed Swap")
}

// sqliteStub is a generated SQLite backend whose Swap writes a row, then
// fails: a Swap in one transaction leaves no row.
type sqliteStub struct {
	kv.Backend
	r, w kvimpl.SQLiteDBTX
}

func (s sqliteStub) Swap(ctx context.Context, _ string, _ []string, _, _ [][]byte) (int, error) {
	if err := insert(ctx, s.w); err != nil {
		return 0, err
	}
	return 1, errRollBack
}

var errRollBack = errors.New("roll back")

func insert(ctx context.Context, conn kvimpl.SQLiteDBTX) error {
	_, err := conn.ExecContext(ctx, "INSERT INTO atomic_test VALUES (1)")
	return err
}

func countRows(t *testing.T, db *sqlitekv.DB, want int, when string) {
	t.Helper()
	var n int
	if err := db.Reader().QueryRowContext(t.Context(), "SELECT count(*) FROM atomic_test").Scan(&n); err != nil || n != want {
		t.Errorf("%s: %d rows, %v; want %d", when, n, err, want)
	}
}
