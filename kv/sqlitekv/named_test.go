package sqlitekv_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"modernc.org/sqlite"

	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/sqlitekv"
)

// readOnlyDriver is modernc.org/sqlite opening every file read-only
// (mode=ro), which is how SQLite opens a file this process may not write.
// File modes alone would not do: the tests may run as root, whom they do
// not stop.
type readOnlyDriver struct{}

func (readOnlyDriver) Open(path string) (driver.Conn, error) {
	dsn := url.URL{Scheme: "file", Path: path, RawQuery: "mode=ro"}
	return (&sqlite.Driver{}).Open(dsn.String())
}

func init() { sql.Register("sqlite-readonly", readOnlyDriver{}) }

// testRing is the key of the stores of a test.
func testRing(t *testing.T) *kv.KeyRing {
	t.Helper()
	key, err := kv.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ring, err := kv.ParseKeys(key)
	if err != nil {
		t.Fatal(err)
	}
	return ring
}

// newClientStore opens a store over db.
func newClientStore(t *testing.T, db *sqlitekv.DB, ring *kv.KeyRing) *oauthclients.Store {
	t.Helper()
	s, err := oauthclients.NewSQLite(db, oauthclients.Options{Encrypter: ring})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// secretValue is in every record the tests write: no error may show it.
const secretValue = "s3cret-value"

func clientRecord(id string) oauthclients.Client {
	return oauthclients.Client{
		ClientID:     id,
		RedirectURIs: []string{"https://app.example.com/callback"},
		ClientSecret: kv.Secret(secretValue),
	}
}

// clientRecords are n records, keyed prefix-0, prefix-1, …
func clientRecords(prefix string, n int) []oauthclients.Client {
	rs := make([]oauthclients.Client, n)
	for i := range rs {
		rs[i] = clientRecord(fmt.Sprintf("%s-%d", prefix, i))
	}
	return rs
}

// writes are the store's writes that the named-error tests run: Put,
// Delete, a PutMany of one statement and one of several in a BEGIN
// IMMEDIATE transaction.
var writes = []struct {
	name string
	run  func(context.Context, *oauthclients.Store) error
}{
	{"Put", func(ctx context.Context, s *oauthclients.Store) error { return s.Put(ctx, clientRecord("client-new")) }},
	{"Delete", func(ctx context.Context, s *oauthclients.Store) error {
		_, err := s.Delete(ctx, "client-kept")
		return err
	}},
	{"PutMany", func(ctx context.Context, s *oauthclients.Store) error {
		return s.PutMany(ctx, clientRecords("client-many", 3))
	}},
	{"PutManyChunked", func(ctx context.Context, s *oauthclients.Store) error {
		return s.PutMany(ctx, clientRecords("client-chunk", kv.PutManyChunk+1))
	}},
}

// checkNamed checks that err is kind, keeps the driver's error, and names
// the file but no key or value.
func checkNamed(t *testing.T, err, kind error, path string, code int) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("err = %v, want errors.Is %v", err, kind)
	}
	var driverErr *sqlite.Error
	if !errors.As(err, &driverErr) || driverErr.Code()&0xff != code {
		t.Errorf("err = %v: errors.As finds no *sqlite.Error of primary code %d", err, code)
	}
	msg := err.Error()
	if !strings.Contains(msg, path) {
		t.Errorf("err = %q, want it to name the file %s", msg, path)
	}
	for _, hidden := range []string{"client-", secretValue} {
		if strings.Contains(msg, hidden) {
			t.Errorf("err = %q shows %q", msg, hidden)
		}
	}
}

// TestReadOnlyFileIsErrReadOnly: every write to a database this process
// may only read is kv.ErrReadOnly, as a standby's refusal is on
// PostgreSQL; reads go on.
func TestReadOnlyFileIsErrReadOnly(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "clients.db")
	rw, err := sqlitekv.Open(ctx, "sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if err := oauthclients.CreateSQLiteTable(ctx, rw); err != nil {
		t.Fatal(err)
	}
	ring := testRing(t)
	if err := newClientStore(t, rw, ring).Put(ctx, clientRecord("client-kept")); err != nil {
		t.Fatal(err)
	}
	rw.Close()

	ro, err := sqlitekv.Open(ctx, "sqlite-readonly", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	s := newClientStore(t, ro, ring)
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			checkNamed(t, w.run(ctx, s), kv.ErrReadOnly, path, 8)
		})
	}
	if _, found, err := s.Get(ctx, "client-kept"); err != nil || !found {
		t.Errorf("Get on the read-only file = found %v, %v; want the record", found, err)
	}
}

// TestLockedFileIsErrBusy: a write that waits out the busy timeout while
// another process holds the write lock is kv.ErrBusy. The other process is
// a second handle on the file, holding BEGIN IMMEDIATE.
func TestLockedFileIsErrBusy(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "clients.db")
	db := open(t, path)
	if err := oauthclients.CreateSQLiteTable(ctx, db); err != nil {
		t.Fatal(err)
	}
	s := newClientStore(t, db, testRing(t))
	if err := s.Put(ctx, clientRecord("client-kept")); err != nil {
		t.Fatal(err)
	}
	holdWriteLock(t, path)
	// The writer is one connection that the pool keeps: the setting stays.
	if _, err := db.Writer().ExecContext(ctx, "PRAGMA busy_timeout = 50"); err != nil {
		t.Fatal(err)
	}
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			checkNamed(t, w.run(ctx, s), kv.ErrBusy, path, 5)
		})
	}
}

// holdWriteLock takes the write lock of the file at path on a connection
// of its own until the test ends.
func holdWriteLock(t *testing.T, path string) {
	t.Helper()
	other, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	conn, err := other.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.ExecContext(context.Background(), "ROLLBACK") })
}

// TestStaleSnapshotIsErrSerialization: a transaction that read, then
// writes after another connection wrote, fails at once whatever the busy
// timeout; rolling it back and running it again is the way out, as for
// PostgreSQL's serialization failures.
func TestStaleSnapshotIsErrSerialization(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "kv.db")
	a, b := open(t, path), open(t, path)
	if err := a.CreateTable(ctx, testDDL); err != nil {
		t.Fatal(err)
	}
	tx, err := a.Writer().BeginTx(ctx, nil) // deferred: it reads first
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM t`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Writer().ExecContext(ctx, `INSERT INTO t (collection, key, value) VALUES ('c', 'b', '{}')`); err != nil {
		t.Fatal(err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO t (collection, key, value) VALUES ('c', 'a', '{}')`)
	checkNamed(t, err, kv.ErrSerialization, path, 5)
}
