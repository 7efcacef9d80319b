package bench

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// BenchmarkStore runs every op of every mode on the generated store, the
// baseline and the raw ceiling (and, through PgBouncer, the generated store
// without it: impl=direct), over one pool and one data set, in rounds
// ($KVGEN_BENCH_ROUNDS, default 1): each round runs the implementations of
// an op one right after the other, putting another first each round, so
// that the n-th runs of two implementations are a pair that saw the
// machine in the same state (bench/ratios quotes the median of the pairs'
// ratios). go test's -count would repeat each sub-benchmark in a row
// instead (A A A B B B). Sub-benchmarks are named op=/mode=/g=/impl= (go
// test adds #01, #02 to the later rounds) so that `benchstat -col /impl`
// and bench/ratios put the implementations in columns. Each reports ops/s,
// items/s (keys per second), allocs/op and max-ms, the slowest single op: a
// run whose max-ms shows a stall of the VM is rerun, not quoted.
func BenchmarkStore(b *testing.B) {
	e := newEnv(b)
	rounds := benchRounds(b)
	for _, op := range storeOps {
		for _, mode := range modes {
			for _, g := range []int{1, 8} {
				if op.singles && g != 1 {
					continue // the loop of singles is compared with its batch at one goroutine
				}
				for round := range rounds {
					for k := range e.impls {
						impl := e.impls[(k+round)%len(e.impls)]
						s := e.subjects[mode][impl]
						b.Run(fmt.Sprintf("op=%s/mode=%s/g=%d/impl=%s", op.name, mode, g, impl), func(b *testing.B) {
							measure(b, g, op.items, op.prepare(b, e, mode, s))
						})
					}
				}
			}
		}
	}
}

// roundsEnv is how many rounds BenchmarkStore runs: see BenchmarkStore.
const roundsEnv = "KVGEN_BENCH_ROUNDS"

func benchRounds(tb testing.TB) int {
	n, err := strconv.Atoi(cmp.Or(os.Getenv(roundsEnv), "1"))
	if err != nil || n < 1 {
		tb.Fatalf("$%s = %q: want a number of rounds, 1 or more", roundsEnv, os.Getenv(roundsEnv))
	}
	return n
}

// storeOp is one benchmarked operation. prepare returns the op for b.N: op
// i is the i-th call (of b.N, across all goroutines).
type storeOp struct {
	name    string
	items   int  // keys per call
	singles bool // a loop of single calls, the pattern a batch replaces
	prepare func(b *testing.B, e *env, mode string, s subject) func(ctx context.Context, i int) error
}

var storeOps = []storeOp{
	{name: "Get", items: 1, prepare: func(_ *testing.B, _ *env, _ string, s subject) func(context.Context, int) error {
		return func(ctx context.Context, i int) error { return s.get(ctx, i%readKeys) }
	}},
	{name: "GetMany100", items: 100, prepare: func(_ *testing.B, _ *env, _ string, s subject) func(context.Context, int) error {
		return func(ctx context.Context, i int) error { return s.getMany(ctx, window(i, 100, readKeys), 100) }
	}},
	{name: "Put", items: 1, prepare: func(_ *testing.B, _ *env, _ string, s subject) func(context.Context, int) error {
		return func(ctx context.Context, i int) error { return s.put(ctx, i%writeKeys) }
	}},
	{name: "PutMany100", items: 100, prepare: func(_ *testing.B, _ *env, _ string, s subject) func(context.Context, int) error {
		return func(ctx context.Context, i int) error { return s.putMany(ctx, window(i, 100, writeKeys), 100) }
	}},
	{name: "PutMany1000", items: 1000, prepare: func(_ *testing.B, _ *env, _ string, s subject) func(context.Context, int) error {
		return func(ctx context.Context, i int) error { return s.putMany(ctx, window(i, 1000, writeKeys), 1000) }
	}},
	{name: "DeleteMany100", items: 100, prepare: func(b *testing.B, e *env, mode string, s subject) func(context.Context, int) error {
		keys := insertDoomed(b, e.pool, s.deletesIn(), e.stored[mode], b.N*100)
		return func(ctx context.Context, i int) error { return s.deleteMany(ctx, keys[i*100:(i+1)*100]) }
	}},
	{name: "GetLoop100", items: 100, singles: true, prepare: func(_ *testing.B, _ *env, _ string, s subject) func(context.Context, int) error {
		return func(ctx context.Context, i int) error {
			from := window(i, 100, readKeys)
			for j := range 100 {
				if err := s.get(ctx, from+j); err != nil {
					return err
				}
			}
			return nil
		}
	}},
	{name: "PutLoop1000", items: 1000, singles: true, prepare: func(_ *testing.B, _ *env, _ string, s subject) func(context.Context, int) error {
		return func(ctx context.Context, i int) error {
			from := window(i, 1000, writeKeys)
			for j := range 1000 {
				if err := s.put(ctx, from+j); err != nil {
					return err
				}
			}
			return nil
		}
	}},
	{name: "DeleteLoop100", items: 100, singles: true, prepare: func(b *testing.B, e *env, mode string, s subject) func(context.Context, int) error {
		keys := insertDoomed(b, e.pool, s.deletesIn(), e.stored[mode], b.N*100)
		return func(ctx context.Context, i int) error {
			for _, k := range keys[i*100 : (i+1)*100] {
				if err := s.delete(ctx, k); err != nil {
					return err
				}
			}
			return nil
		}
	}},
}

// window returns the start of the i-th batch of n keys among total: batches
// are disjoint and aligned, so concurrent calls touch different rows.
func window(i, n, total int) int { return (i % (total / n)) * n }

// doomedRun numbers the sets of rows inserted for deletion, so that keys
// never repeat within a run.
var doomedRun atomic.Int64

// insertDoomed inserts n rows into collection, with COPY, for a delete
// benchmark to remove, and returns their keys.
func insertDoomed(b *testing.B, pool *pgxpool.Pool, collection, value string, n int) []string {
	b.Helper()
	run := doomedRun.Add(1)
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("d%d-%07d", run, i)
	}
	_, err := pool.CopyFrom(context.Background(), pgx.Identifier{"oauth_clients"}, []string{"collection", "key", "value"},
		pgx.CopyFromSlice(n, func(i int) ([]any, error) { return []any{collection, keys[i], value}, nil }))
	if err != nil {
		b.Fatal(err)
	}
	// Statistics that still see the collection empty would have the planner
	// find these rows through the software_id index, scanning the collection.
	if _, err := pool.Exec(context.Background(), "ANALYZE oauth_clients"); err != nil {
		b.Fatal(err)
	}
	return keys
}

// measure runs b.N calls of op on goroutines goroutines (each call is taken
// by the next free goroutine) and reports throughput and the slowest call.
func measure(b *testing.B, goroutines, items int, op func(ctx context.Context, i int) error) {
	ctx := context.Background()
	var (
		next, slowest atomic.Int64
		wg            sync.WaitGroup
		errs          = make(chan error, goroutines)
	)
	b.ReportAllocs()
	b.ResetTimer()
	for range goroutines {
		wg.Go(func() {
			var worst time.Duration
			for i := next.Add(1) - 1; i < int64(b.N); i = next.Add(1) - 1 {
				start := time.Now()
				if err := op(ctx, int(i)); err != nil {
					errs <- err
					return
				}
				worst = max(worst, time.Since(start))
			}
			for cur := slowest.Load(); int64(worst) > cur && !slowest.CompareAndSwap(cur, int64(worst)); cur = slowest.Load() {
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	seconds := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N)/seconds, "ops/s")
	b.ReportMetric(float64(b.N*items)/seconds, "items/s")
	b.ReportMetric(float64(slowest.Load())/1e6, "max-ms")
}
