package bench

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/kvgen/kvgen/internal/goonly/fieldsclients"
	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/sqlitekv"
)

// storeOpener opens one store as an application does, with what it must
// close when done.
type storeOpener func(tb testing.TB) (*fieldsclients.Store, func())

// BenchmarkMemoryPerStore reports the Go heap that one open store keeps
// (bytes/store): each iteration opens the generated fields store on an
// engine, does one Put and one Get, and counts the live heap after a
// collection against the live heap before it; then it closes the store.
// On PostgreSQL a store is its own pgxpool, as an application opens it,
// holding the one connection the calls used; on SQLite it is sqlitekv.Open
// of the run's file, holding a writing and a reading connection. SQLite's
// own memory (page cache, schema) is C memory outside the Go heap, which
// bytes/store does not count; nor does it count the server's memory of a
// PostgreSQL connection.
func BenchmarkMemoryPerStore(b *testing.B) {
	ring := newRing(b)
	openers := []struct {
		impl string
		open storeOpener
	}{
		{"memory", memoryOpener(ring)},
		{"sqlite", sqliteStoreOpener(b, ring)},
		{"postgresql", postgresOpener(b, ring)},
	}
	record := fieldsRecord(b, "client-memory", 0)
	for _, o := range openers {
		b.Run("mode=fields/impl="+o.impl, func(b *testing.B) {
			var retained int64
			for b.Loop() {
				retained += retainedBy(b, o.open, record)
			}
			b.ReportMetric(float64(retained)/float64(b.N), "bytes/store")
		})
	}
}

// retainedBy is the live heap that a store opened by open keeps after a
// Put and a Get of record.
func retainedBy(b *testing.B, open storeOpener, record fieldsclients.Client) int64 {
	ctx := context.Background()
	before := liveHeap()
	s, closeStore := open(b)
	defer closeStore()
	if err := s.Put(ctx, record); err != nil {
		b.Fatal(err)
	}
	if _, found, err := s.Get(ctx, record.ClientID); err != nil || !found {
		b.Fatalf("Get after Put: found %v, %v", found, err)
	}
	after := liveHeap()
	runtime.KeepAlive(s)
	return after - before
}

// liveHeap is the heap in use after a collection: what is still reachable.
func liveHeap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

func memoryOpener(ring *kv.KeyRing) storeOpener {
	return func(tb testing.TB) (*fieldsclients.Store, func()) {
		s, err := fieldsclients.NewMemory(fieldsclients.Options{Encrypter: ring})
		if err != nil {
			tb.Fatal(err)
		}
		return s, func() {}
	}
}

// sqliteStoreOpener opens stores over one SQLite file of the run, whose
// table it creates first, so that each store opens the file as a
// restarted application does.
func sqliteStoreOpener(b *testing.B, ring *kv.KeyRing) storeOpener {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "memory.db")
	db, err := sqlitekv.Open(ctx, "sqlite", path)
	if err != nil {
		b.Fatal(err)
	}
	if err := fieldsclients.CreateSQLiteTable(ctx, db); err != nil {
		b.Fatal(err)
	}
	db.Close()
	return func(tb testing.TB) (*fieldsclients.Store, func()) {
		db, err := sqlitekv.Open(ctx, "sqlite", path)
		if err != nil {
			tb.Fatal(err)
		}
		s, err := fieldsclients.NewSQLite(db, fieldsclients.Options{Encrypter: ring})
		if err != nil {
			tb.Fatal(err)
		}
		return s, func() { db.Close() }
	}
}

// postgresOpener opens stores each over a pool of its own on the harness's
// database (newPool creates the table).
func postgresOpener(b *testing.B, ring *kv.KeyRing) storeOpener {
	dsn := newPool(b, 1).Config().ConnString()
	return func(tb testing.TB) (*fieldsclients.Store, func()) {
		pool := openPool(tb, dsn, maxConns)
		s, err := fieldsclients.New(pool, fieldsclients.Options{Encrypter: ring})
		if err != nil {
			tb.Fatal(err)
		}
		return s, pool.Close
	}
}
