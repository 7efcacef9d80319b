package kvimpl_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/kvgen/kvgen/internal/pgtest"
	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/kvimpl"
	"github.com/kvgen/kvgen/kv/pgkv"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// Rows shaped as sqlc declares them in a generated db package.
type (
	getRow struct {
		Value     []byte
		ExpiresAt pgtype.Timestamptz
		Now       pgtype.Timestamptz
	}
	getManyRow struct {
		Key       string
		Value     []byte
		ExpiresAt pgtype.Timestamptz
		Now       pgtype.Timestamptz
	}
	scanRow struct {
		Key   string
		Value []byte
	}
)

var (
	now     = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	expires = now.Add(90 * time.Second)
)

func ts(t time.Time) pgtype.Timestamptz { return pgtype.Timestamptz{Time: t, Valid: true} }

// TestFound: no row is no entry, not an error; a row's time left is
// measured on the database's clock.
func TestFound(t *testing.T) {
	raw, ok, err := kvimpl.Found("k", getRow{}, pgx.ErrNoRows)
	if ok || err != nil || raw.Key != "" {
		t.Errorf("no row: %+v, %v, %v; want nothing, false, nil", raw, ok, err)
	}
	boom := errors.New("boom")
	if _, ok, err := kvimpl.Found("k", getRow{}, boom); ok || !errors.Is(err, boom) {
		t.Errorf("an error: %v, %v; want it passed on", ok, err)
	}
	raw, ok, err = kvimpl.Found("k", getRow{Value: []byte(`{}`), ExpiresAt: ts(expires), Now: ts(now)}, nil)
	if !ok || err != nil || raw.Key != "k" || string(raw.Value) != `{}` || !raw.Expires || raw.TTL != 90*time.Second || !raw.ExpiresAt.Equal(expires) {
		t.Errorf("an expiring row: %+v, %v, %v", raw, ok, err)
	}
	raw, ok, _ = kvimpl.Found("k", getRow{Value: []byte(`{}`), Now: ts(now)}, nil)
	if !ok || raw.Expires || raw.TTL != 0 || !raw.ExpiresAt.IsZero() {
		t.Errorf("a row without expiry: %+v", raw)
	}
}

func TestEntriesAndStored(t *testing.T) {
	got, err := kvimpl.Entries([]getManyRow{{Key: "a", Value: []byte("1"), Now: ts(now)}, {Key: "b", Value: []byte("2"), ExpiresAt: ts(expires), Now: ts(now)}}, nil)
	if err != nil || len(got) != 2 || got[0].Key != "a" || got[0].Expires || got[1].Key != "b" || got[1].TTL != 90*time.Second {
		t.Errorf("Entries = %+v, %v", got, err)
	}
	boom := errors.New("boom")
	if got, err := kvimpl.Entries([]getManyRow(nil), boom); got != nil || !errors.Is(err, boom) {
		t.Errorf("Entries of an error = %v, %v", got, err)
	}
	stored, err := kvimpl.Stored([]scanRow{{Key: "a", Value: []byte("1")}}, nil)
	if err != nil || len(stored) != 1 || stored[0].Key != "a" || string(stored[0].Value) != "1" || stored[0].Expires {
		t.Errorf("Stored = %+v, %v", stored, err)
	}
}

func TestCounts(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		n    int64
		err  error
		want bool
	}{{0, nil, false}, {1, nil, true}, {2, boom, true}} {
		if got, err := kvimpl.Wrote(tc.n, tc.err); got != tc.want || err != tc.err {
			t.Errorf("Wrote(%d, %v) = %v, %v", tc.n, tc.err, got, err)
		}
	}
	if got, err := kvimpl.Count(7, boom); got != 7 || err != boom {
		t.Errorf("Count = %v, %v", got, err)
	}
}

// TestExpiry: the zero ExpiresAt is NULL, which a conditional write
// compares with IS NOT DISTINCT FROM.
func TestExpiry(t *testing.T) {
	if got := kvimpl.Expiry(time.Time{}); got.Valid {
		t.Errorf("Expiry(zero) = %+v, want NULL", got)
	}
	if got := kvimpl.Expiry(expires); !got.Valid || !got.Time.Equal(expires) {
		t.Errorf("Expiry = %+v", got)
	}
}

// TestBackend: over a connection that can begin a transaction, the backend
// is atomic, and Atomic runs its function over one transaction that an
// error rolls back; over any other it is the backend itself.
func TestBackend(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	if _, err := pool.Exec(ctx, "CREATE TABLE atomic_test (n int)"); err != nil {
		t.Fatal(err)
	}
	var conns []kvimpl.DBTX
	newBackend := func(conn kvimpl.DBTX) kv.Backend {
		conns = append(conns, conn)
		return stub{}
	}
	if _, atomic := kvimpl.Backend(pgkv.Unprepared(pool), newBackend).(kv.AtomicBackend); atomic {
		t.Error("a DBTX without Begin gave an atomic backend")
	}
	b, atomic := kvimpl.Backend(pool, newBackend).(kv.AtomicBackend)
	if !atomic {
		t.Fatal("a pool gave no atomic backend")
	}
	rollback := errors.New("roll back")
	err := b.Atomic(ctx, func(kv.Backend) error {
		if _, err := conns[len(conns)-1].Exec(ctx, "INSERT INTO atomic_test VALUES (1)"); err != nil {
			return err
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatalf("Atomic = %v, want its function's error", err)
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM atomic_test").Scan(&n); err != nil || n != 0 {
		t.Errorf("after a rolled-back Atomic: %d rows, %v; want none", n, err)
	}
	if err := b.Atomic(ctx, func(kv.Backend) error {
		_, err := conns[len(conns)-1].Exec(ctx, "INSERT INTO atomic_test VALUES (1)")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM atomic_test").Scan(&n); err != nil || n != 1 {
		t.Errorf("after a committed Atomic: %d rows, %v; want one", n, err)
	}
}

// stub is a kv.Backend that TestBackend never calls.
type stub struct{ kv.Backend }
