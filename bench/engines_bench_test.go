package bench

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/kvgen/kvgen/internal/goonly/fieldsclients"
	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/sqlitekv"
)

// engines are the databases BenchmarkEngines compares.
var engines = []string{"postgresql", "sqlite"}

// engineOps are the ops of BenchmarkStore that BenchmarkEngines runs.
var engineOps = []string{"Get", "GetMany100", "Put", "PutMany100", "PutMany1000"}

// engineRuns counts the runs of BenchmarkEngines in this process.
var engineRuns atomic.Int64

// BenchmarkEngines runs the generated fields-mode store (the OAuth client
// record, sensitive fields sealed) on PostgreSQL and on a SQLite file side
// by side, op by op, the engines' order alternating from run to run, so
// that bench/ratios can put sqlite ÷ postgresql beside each op. Each engine
// has its own copy of the data set. SQLite commits as durably as the
// PostgreSQL of the run: synchronous=FULL under $KVGEN_BENCH_DURABLE,
// synchronous=OFF otherwise, as the harness's PostgreSQL runs with fsync off.
func BenchmarkEngines(b *testing.B) {
	ring := newRing(b)
	durable(b)
	pool := newPool(b, maxConns)
	subjects := map[string]subject{
		"postgresql": engineSubject(b, "postgresql", func(c string) typedStore[fieldsclients.Client] {
			s, err := fieldsclients.New(pool, fieldsclients.Options{Collection: c, Encrypter: ring})
			if err != nil {
				b.Fatal(err)
			}
			return s
		}),
		"sqlite": engineSubject(b, "sqlite", sqliteOpener(b, ring)),
	}
	order := slices.Clone(engines)
	if engineRuns.Add(1)%2 == 0 {
		slices.Reverse(order)
	}
	for _, op := range storeOps {
		if !slices.Contains(engineOps, op.name) {
			continue
		}
		for _, g := range []int{1, 8} {
			for _, engine := range order {
				b.Run(fmt.Sprintf("op=%s/mode=fields/g=%d/impl=%s", op.name, g, engine), func(b *testing.B) {
					measure(b, g, op.items, op.prepare(b, nil, "fields", subjects[engine]))
				})
			}
		}
	}
}

// sqliteOpener opens one SQLite file for the run and returns stores over it.
func sqliteOpener(b *testing.B, ring *kv.KeyRing) func(string) typedStore[fieldsclients.Client] {
	ctx := context.Background()
	db, err := sqlitekv.Open(ctx, "sqlite", filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := fieldsclients.CreateSQLiteTable(ctx, db); err != nil {
		b.Fatal(err)
	}
	on, err := strconv.ParseBool(cmp.Or(os.Getenv(durableEnv), "false"))
	if err != nil {
		b.Fatalf("$%s: %v", durableEnv, err)
	}
	if !on {
		// The writer is one connection that the pool keeps: the setting stays.
		if _, err := db.Writer().ExecContext(ctx, "PRAGMA synchronous = OFF"); err != nil {
			b.Fatal(err)
		}
	}
	return func(c string) typedStore[fieldsclients.Client] {
		s, err := fieldsclients.NewSQLite(db, fieldsclients.Options{Collection: c, Encrypter: ring})
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
}

// engineSubject opens the stores of one engine and writes its data set:
// the rows the reads read, and the rows the writes overwrite.
func engineSubject(b *testing.B, engine string, open func(string) typedStore[fieldsclients.Client]) subject {
	ctx := context.Background()
	s := newStores(b, "fields", engine, open, fieldsRecord)
	for from := 0; from < readKeys; from += 1000 {
		if err := s.reads.PutMany(ctx, recordRange(b, from, 1000, fieldsRecord)); err != nil {
			b.Fatalf("seeding the reads of %s: %v", engine, err)
		}
	}
	for from := 0; from < writeKeys; from += 1000 {
		if err := s.putMany(ctx, from, 1000); err != nil {
			b.Fatalf("seeding the writes of %s: %v", engine, err)
		}
	}
	return s
}
