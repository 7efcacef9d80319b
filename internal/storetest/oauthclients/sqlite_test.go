package oauthclients_test

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/kvtest"
	"github.com/kvgen/kvgen/kv/sqlitekv"
)

// newSQLite opens a new SQLite database file with the table created.
func newSQLite(t testing.TB) *sqlitekv.DB {
	t.Helper()
	db, err := sqlitekv.Open(context.Background(), "sqlite", filepath.Join(t.TempDir(), "clients.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := oauthclients.CreateSQLiteTable(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	return db
}

func newSQLiteStore(t testing.TB, db *sqlitekv.DB, enc kv.Encrypter) *oauthclients.Store {
	t.Helper()
	s, err := oauthclients.NewSQLite(db, oauthclients.Options{Encrypter: enc})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformanceSQLite(t *testing.T) {
	ring := newRing(t)
	kvtest.Run(t, kvtest.Suite[oauthclients.Client]{
		New:               func(t *testing.T) kv.Store[oauthclients.Client] { return newSQLiteStore(t, newSQLite(t), ring).KV() },
		Value:             client,
		Equal:             sameClient,
		Invalid:           invalidClient,
		DefaultCollection: oauthclients.DefaultCollection,
	})
}

func TestConformanceUntypedSQLite(t *testing.T) {
	ring := newRing(t)
	kvtest.RunJSON(t, kvtest.Suite[map[string]any]{
		New:               func(t *testing.T) kv.Store[map[string]any] { return newSQLiteStore(t, newSQLite(t), ring).Untyped() },
		DefaultCollection: oauthclients.DefaultCollection,
	})
}

// countSQLite counts the rows of the table, expired ones included.
func countSQLite(t *testing.T, db *sqlitekv.DB) int {
	t.Helper()
	var n int
	if err := db.Reader().QueryRowContext(context.Background(), `SELECT count(*) FROM oauth_clients`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPutManyChunksAllOrNothingSQLite: a PutMany of more than
// kv.PutManyChunk records is several statements in one BEGIN IMMEDIATE
// transaction: when SQLite rejects a row of the last one (a trigger), the
// earlier chunks are rolled back, and the store goes on working; without
// the poison every row is written.
func TestPutManyChunksAllOrNothingSQLite(t *testing.T) {
	ctx := context.Background()
	db := newSQLite(t)
	_, err := db.Writer().ExecContext(ctx, `
CREATE TRIGGER reject_poison BEFORE INSERT ON oauth_clients
  WHEN NEW.key = '`+poisonKey+`' BEGIN SELECT RAISE(ABORT, 'poisoned key'); END;`)
	if err != nil {
		t.Fatal(err)
	}
	s := newSQLiteStore(t, db, newRing(t))
	rs := chunkRecords()
	if err := s.PutMany(ctx, rs); err == nil || !strings.Contains(err.Error(), "poisoned key") {
		t.Fatalf("PutMany with a poisoned key in the last chunk = %v, want the trigger's error", err)
	}
	if n := countSQLite(t, db); n != 0 {
		t.Fatalf("the failed PutMany left %d rows, want 0", n)
	}
	if _, err := db.Writer().ExecContext(ctx, `DROP TRIGGER reject_poison`); err != nil {
		t.Fatal(err)
	}
	if err := s.PutMany(ctx, rs); err != nil {
		t.Fatalf("PutMany after a failed one: %v", err)
	}
	if n := countSQLite(t, db); n != chunkedBatch {
		t.Fatalf("PutMany wrote %d rows, want %d", n, chunkedBatch)
	}
	keys := make([]string, len(rs))
	for i := range rs {
		keys[i] = rs[i].ClientID
	}
	entries, err := s.GetMany(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range entries {
		if !e.Found || !sameClient(e.Value, rs[i]) {
			t.Fatalf("GetMany: %s = found %v; want the record written", keys[i], e.Found)
		}
	}
}

// TestGetManyBeyondVariableLimitSQLite: GetMany and DeleteMany of more keys
// than SQLite binds variables in one statement (32,766): each statement
// takes its keys as one JSON array.
func TestGetManyBeyondVariableLimitSQLite(t *testing.T) {
	ctx := context.Background()
	db := newSQLite(t)
	s := newSQLiteStore(t, db, newRing(t))
	const n = 40_000
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("k%05d", i)
	}
	if err := s.KV().Put(ctx, "", keys[n-1], client(1), 0); err != nil {
		t.Fatal(err)
	}
	entries, err := s.GetMany(ctx, keys)
	if err != nil || len(entries) != n || !entries[n-1].Found || entries[0].Found {
		t.Fatalf("GetMany of %d keys: %d entries, %v", n, len(entries), err)
	}
	if deleted, err := s.DeleteMany(ctx, keys); err != nil || deleted != 1 {
		t.Fatalf("DeleteMany of %d keys = %d, %v; want 1", n, deleted, err)
	}
}

// TestReencryptDuringWritesSQLite: Reencrypt (Scan, then Swap in one
// transaction per batch) rotates every row to the new key while writers
// keep writing, and never overwrites one of their writes.
func TestReencryptDuringWritesSQLite(t *testing.T) {
	const rows, writers = 200, 4
	ctx := context.Background()
	db := newSQLite(t)
	oldKey, newKey := newKey(t), newKey(t)
	old := newSQLiteStore(t, db, newRing(t, oldKey))
	all := make([]oauthclients.Client, rows)
	for i := range all {
		all[i] = faultRecord(fmt.Sprintf("r%03d", i), i+1)
	}
	if err := old.PutMany(ctx, all); err != nil {
		t.Fatal(err)
	}
	rotating := newSQLiteStore(t, db, newRing(t, newKey, oldKey))
	last := make([]int, rows)
	for i := range last {
		last[i] = i + 1
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for n := 1; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				row := w + writers*(n%(rows/writers))
				v := 1000*n + row
				if err := rotating.Put(ctx, faultRecord(fmt.Sprintf("r%03d", row), v)); err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				last[row] = v
			}
		})
	}
	res, err := rotating.Reencrypt(ctx, kv.ReencryptOptions{BatchSize: 10})
	close(stop)
	wg.Wait()
	if err != nil || res.Scanned != rows {
		t.Fatalf("Reencrypt = %+v, %v; want %d rows scanned", res, err, rows)
	}
	keys := make([]string, rows)
	for i := range keys {
		keys[i] = fmt.Sprintf("r%03d", i)
	}
	entries, err := newSQLiteStore(t, db, newRing(t, newKey)).GetMany(ctx, keys)
	if err != nil {
		t.Fatalf("after the rotation, with the new key alone: %v", err)
	}
	for i, e := range entries {
		if !e.Found || versionOf(e.Value) != last[i] {
			t.Errorf("%s = version %d (found %v); want the last write, %d", keys[i], versionOf(e.Value), e.Found, last[i])
		}
	}
}

// TestUnknownFieldsKeptSQLite: members the schema does not know, written by
// another program, survive a typed read and write.
func TestUnknownFieldsKeptSQLite(t *testing.T) {
	ctx := context.Background()
	db := newSQLite(t)
	ring := newRing(t)
	s := newSQLiteStore(t, db, ring)
	_, err := db.Writer().ExecContext(ctx, `INSERT INTO oauth_clients (collection, key, value) VALUES (?, 'c1', ?)`,
		oauthclients.DefaultCollection,
		`{"client_id":"c1","redirect_uris":["https://a.example.com/cb"],"x_future":{"level":3,"tags":["a"]},"cimd_document":{"client_id":"https://c.example.com/d.json","x_nested":true}}`)
	if err != nil {
		t.Fatal(err)
	}
	c, ok, err := s.Get(ctx, "c1")
	if err != nil || !ok {
		t.Fatalf("Get = %v, %v", ok, err)
	}
	c.ClientName = "renamed"
	if err := s.Put(ctx, c); err != nil {
		t.Fatal(err)
	}
	var stored string
	if err := db.Reader().QueryRowContext(ctx, `SELECT value FROM oauth_clients WHERE key = 'c1'`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	m := jsonObject(t, decodeAsPython(t, ring, stored))
	if !reflect.DeepEqual(m["x_future"], map[string]any{"level": float64(3), "tags": []any{"a"}}) {
		t.Errorf("x_future = %v, want it kept", m["x_future"])
	}
	if doc, _ := m["cimd_document"].(map[string]any); doc["x_nested"] != true {
		t.Errorf("cimd_document.x_nested = %v, want it kept", doc["x_nested"])
	}
}

// TestCheckSQLiteTable: CheckSQLiteTable says what to do about a missing
// table and accepts the one CreateSQLiteTable made.
func TestCheckSQLiteTable(t *testing.T) {
	ctx := context.Background()
	db, err := sqlitekv.Open(ctx, "sqlite", filepath.Join(t.TempDir(), "clients.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := oauthclients.CheckSQLiteTable(ctx, db); err == nil || !strings.Contains(err.Error(), "run CreateSQLiteTable or apply SQLiteDDL") {
		t.Errorf("CheckSQLiteTable without the table = %v", err)
	}
	for range 2 {
		if err := oauthclients.CreateSQLiteTable(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	if err := oauthclients.CheckSQLiteTable(ctx, db); err != nil {
		t.Errorf("CheckSQLiteTable = %v", err)
	}
}
