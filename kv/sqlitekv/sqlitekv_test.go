package sqlitekv_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/sqlitekv"
)

func open(t *testing.T, path string) *sqlitekv.DB {
	t.Helper()
	db, err := sqlitekv.Open(t.Context(), "sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

const testDDL = `CREATE TABLE IF NOT EXISTS t (
  collection TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
  ttl REAL, created_at REAL, expires_at REAL, PRIMARY KEY (collection, key));`

// TestOpenFileMode: a new database, its WAL and its shared-memory file are
// readable by their owner alone, whatever the umask allows.
func TestOpenFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kv.db")
	db := open(t, path)
	if err := db.CreateTable(t.Context(), testDDL); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if mode := info.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %o, want 600", filepath.Base(name), mode)
		}
	}
}

// TestOpenWAL: the file is in WAL mode, which lets reads run beside the writer.
func TestOpenWAL(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "kv.db"))
	var mode string
	if err := db.Reader().QueryRowContext(t.Context(), "PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
	var timeout int
	if err := db.Writer().QueryRowContext(t.Context(), "PRAGMA busy_timeout").Scan(&timeout); err != nil {
		t.Fatal(err)
	}
	if timeout != sqlitekv.BusyTimeout {
		t.Errorf("busy_timeout = %d, want %d", timeout, sqlitekv.BusyTimeout)
	}
}

// TestReaderIsReadOnly: a write through the read pool fails, so that a
// backend that sent one there would be caught by any test that writes.
func TestReaderIsReadOnly(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "kv.db"))
	if err := db.CreateTable(t.Context(), testDDL); err != nil {
		t.Fatal(err)
	}
	_, err := db.Reader().ExecContext(t.Context(), `INSERT INTO t (collection, key, value) VALUES ('c', 'k', '{}')`)
	if !errors.Is(err, kv.ErrReadOnly) || !strings.Contains(err.Error(), "write through Writer") {
		t.Errorf("a write through Reader: %v, want kv.ErrReadOnly saying to write through Writer", err)
	}
}

func TestOpenRefusesNonFiles(t *testing.T) {
	for _, path := range []string{"", ":memory:", "file:x.db?mode=memory"} {
		if _, err := sqlitekv.Open(t.Context(), "sqlite", path); err == nil {
			t.Errorf("Open(%q) succeeded; want a refusal", path)
		}
	}
	_, err := sqlitekv.Open(t.Context(), "no-such-driver", filepath.Join(t.TempDir(), "kv.db"))
	if err == nil || !strings.Contains(err.Error(), "import a SQLite driver") {
		t.Errorf("an unknown driver: %v, want an error saying to import one", err)
	}
}

// TestAtomicRollsBack: a transaction whose function fails leaves nothing.
func TestAtomicRollsBack(t *testing.T) {
	ctx := t.Context()
	db := open(t, filepath.Join(t.TempDir(), "kv.db"))
	if err := db.CreateTable(ctx, testDDL); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := db.Atomic(ctx, func(tx sqlitekv.DBTX) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO t (collection, key, value) VALUES ('c', 'k', '{}')`); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Atomic = %v, want boom", err)
	}
	var n int
	if err := db.Reader().QueryRowContext(ctx, `SELECT count(*) FROM t`).Scan(&n); err != nil || n != 0 {
		t.Errorf("after a failed transaction the table holds %d rows (%v), want 0", n, err)
	}
	// The connection went back to the pool out of its transaction.
	if err := db.Atomic(ctx, func(tx sqlitekv.DBTX) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO t (collection, key, value) VALUES ('c', 'k', '{}')`)
		return err
	}); err != nil {
		t.Fatalf("the next transaction: %v", err)
	}
}

// TestTwoHandlesWriteConcurrently stands for two processes on one file:
// each has its own writing connection, and they meet at SQLite's lock,
// where BEGIN IMMEDIATE and the busy timeout make them wait rather than
// fail with "database is locked".
func TestTwoHandlesWriteConcurrently(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "kv.db")
	a, b := open(t, path), open(t, path)
	if err := a.CreateTable(ctx, testDDL); err != nil {
		t.Fatal(err)
	}
	const writers, rounds = 4, 25
	var wg sync.WaitGroup
	for w := range writers {
		db := a
		if w%2 == 1 {
			db = b
		}
		wg.Go(func() {
			for i := range rounds {
				err := db.Atomic(ctx, func(tx sqlitekv.DBTX) error {
					var n int
					if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM t`).Scan(&n); err != nil {
						return err
					}
					_, err := tx.ExecContext(ctx, `INSERT INTO t (collection, key, value) VALUES ('c', ?, ?)`, fmt.Sprintf("%d-%d", w, i), fmt.Sprint(n))
					return err
				})
				if err != nil {
					t.Errorf("writer %d round %d: %v", w, i, err)
					return
				}
				if _, err := db.Writer().ExecContext(ctx, `UPDATE t SET ttl = ? WHERE collection = 'c'`, float64(i)); err != nil {
					t.Errorf("writer %d round %d: autocommit update: %v", w, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	var n int
	if err := a.Reader().QueryRowContext(ctx, `SELECT count(*) FROM t`).Scan(&n); err != nil || n != writers*rounds {
		t.Errorf("the table holds %d rows (%v), want %d", n, err, writers*rounds)
	}
}

func TestCheckTable(t *testing.T) {
	ctx := t.Context()
	db := open(t, filepath.Join(t.TempDir(), "kv.db"))
	err := db.CheckTable(ctx, "pkg", "t")
	if err == nil || !strings.Contains(err.Error(), "pkg: table t of") || !strings.Contains(err.Error(), "run CreateSQLiteTable") {
		t.Errorf("CheckTable on a missing table: %v", err)
	}
	if _, err := db.Writer().ExecContext(ctx, `CREATE TABLE t (collection TEXT, key TEXT, value TEXT)`); err != nil {
		t.Fatal(err)
	}
	if err := db.CheckTable(ctx, "pkg", "t"); err == nil || !strings.Contains(err.Error(), "no such column") {
		t.Errorf("CheckTable on a table without ttl: %v", err)
	}
	if err := db.CheckTable(ctx, "pkg", `t"; DROP TABLE t; --`); err == nil || !strings.Contains(err.Error(), "not a lower-case SQL identifier") {
		t.Errorf("CheckTable on a hostile name: %v", err)
	}
	if _, err := db.Writer().ExecContext(ctx, `DROP TABLE t; `+testDDL); err != nil {
		t.Fatal(err)
	}
	if err := db.CheckTable(ctx, "pkg", "t"); err != nil {
		t.Errorf("CheckTable on the right table: %v", err)
	}
}

// TestExpiryRoundTrip: an expires_at read into a kv.Raw and given back to a
// conditional write is the very REAL that was stored, or the write would
// never match.
func TestExpiryRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	values := []float64{1764000000.123, 1764000000, 0.5, 4102444800.999, math.Nextafter(1764000000, 2e9)}
	for range 100_000 {
		values = append(values, 1e9+r.Float64()*4e9)
	}
	for _, x := range values {
		raw := sqlitekv.Raw("k", "{}", &x, x-1)
		back := sqlitekv.Expiry(raw.ExpiresAt)
		if back == nil || *back != x {
			t.Fatalf("%v read as %v comes back as %v", x, raw.ExpiresAt, back)
		}
		if raw.TTL != time.Second {
			t.Fatalf("TTL of %v at %v = %v, want 1s", x, x-1, raw.TTL)
		}
	}
	if sqlitekv.Expiry(time.Time{}) != nil {
		t.Error("Expiry(zero) is not NULL")
	}
}

// TestArrayThroughJSONEach: json_each gives back every key and value byte
// for byte, quotes, backslashes, control characters and non-ASCII included.
func TestArrayThroughJSONEach(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "kv.db"))
	keys := []string{"plain", `quo"te`, `back\slash`, "tab\tnew\nline\x01", "ünï🌍", "</script>&", ""}
	rows, err := db.Reader().QueryContext(t.Context(), `SELECT value FROM json_each(?) ORDER BY key`, sqlitekv.Array(keys))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", keys) {
		t.Errorf("json_each gave %q, want %q", got, keys)
	}
	values := [][]byte{[]byte(`{"a":"\u00e9\"x"}`), []byte(`{"b":[1,2.50,1e21]}`)}
	var key, value string
	if err := db.Reader().QueryRowContext(t.Context(), `SELECT value->>0, value->>1 FROM json_each(?) WHERE key = 1`,
		sqlitekv.Pairs([]string{"a", "b\"\n"}, values)).Scan(&key, &value); err != nil {
		t.Fatal(err)
	}
	if key != "b\"\n" || value != string(values[1]) {
		t.Errorf("json_each gave %q, %q; want %q, %q", key, value, "b\"\n", values[1])
	}
}

func TestCountAndUnexpired(t *testing.T) {
	if n := sqlitekv.Count([]int64{1, 0, 1, 1}); n != 3 {
		t.Errorf("Count = %d, want 3", n)
	}
	at := 10.0
	if !sqlitekv.Unexpired(nil, 5) || !sqlitekv.Unexpired(&at, 9.999) || sqlitekv.Unexpired(&at, 10) {
		t.Error("Unexpired: want alive without expiry and before it, dead at it")
	}
}
