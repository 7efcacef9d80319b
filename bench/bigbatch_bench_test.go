package bench

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/kvgen/kvgen/bench/internal/nonestore"
	"github.com/kvgen/kvgen/bench/internal/valuestore"
	"github.com/kvgen/kvgen/internal/goonly/fieldsclients"
)

// hugeBatch is the number of keys of one call in BenchmarkHugeBatch.
const hugeBatch = 100_000

// BenchmarkHugeBatch writes and reads hugeBatch records in one call and
// reports, beside the time, the peak of the live heap during one more call
// (peak-MB, above what was live before it: the caller's own records), run
// with GOGC=5 so that the heap in use follows the live data closely. The
// generated store's PutMany is one transaction of statements of
// kv.PutManyChunk rows, encoding each chunk just before it is sent; the
// baseline's is one statement of every row. Run it alone, once per count:
//
//	go test ./bench -run '^$' -bench HugeBatch -benchtime 1x -count 3
func BenchmarkHugeBatch(b *testing.B) {
	durable(b)
	pool := newPool(b, 1)
	ring := newRing(b)
	e := &env{pool: pool, ring: ring}
	ctx := context.Background()
	keys := make([]string, hugeBatch)
	for i := range keys {
		keys[i] = fmt.Sprintf("huge-%07d", i)
	}
	for _, mode := range modes {
		generated := func(collection string) (put func() error, get func() error) {
			switch s := openGenerated(b, e, mode, collection).(type) {
			case typedStore[fieldsclients.Client]:
				return hugeOps(b, s, keys, fieldsRecord)
			case typedStore[valuestore.Client]:
				return hugeOps(b, s, keys, valueRecord)
			case typedStore[nonestore.Client]:
				return hugeOps(b, s, keys, noneRecord)
			}
			b.Fatalf("no generated store for %s", mode)
			return nil, nil
		}
		baseRing := ring
		if mode == "none" {
			baseRing = nil
		}
		// Both read the rows that the generated store wrote.
		shared := collection(mode, "", "huge")
		genPut, genGet := generated(shared)
		basePut, _ := hugeOps(b, typedStore[Client](&baseline{pool: pool, ring: baseRing, mode: mode, collection: collection(mode, "baseline", "huge")}), keys, baseRecord)
		_, baseGet := hugeOps(b, typedStore[Client](&baseline{pool: pool, ring: baseRing, mode: mode, collection: shared}), keys, baseRecord)
		for _, c := range []struct {
			op, impl string
			call     func() error
		}{
			{"PutMany100000", "generated", genPut},
			{"PutMany100000", "baseline", basePut},
			{"GetMany100000", "generated", genGet},
			{"GetMany100000", "baseline", baseGet},
		} {
			b.Run(fmt.Sprintf("op=%s/mode=%s/impl=%s", c.op, mode, c.impl), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := c.call(); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				b.ReportMetric(float64(b.N*hugeBatch)/b.Elapsed().Seconds(), "items/s")
				// once more, untimed: the low GOGC of livePeak would slow the timed calls
				peak, err := livePeak(c.call)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(peak)/1e6, "peak-MB")
			})
		}
		if _, err := pool.Exec(ctx, "DELETE FROM oauth_clients WHERE collection LIKE $1", "bench-"+mode+"-%huge"); err != nil {
			b.Fatal(err)
		}
	}
}

// hugeOps returns a PutMany of hugeBatch records of store's type and a
// GetMany of their keys that checks every one was found. The records are
// built once, before any measurement.
func hugeOps[R any](tb testing.TB, store typedStore[R], keys []string, record func(testing.TB, string, int) R) (put, get func() error) {
	records := make([]R, len(keys))
	for i, k := range keys {
		records[i] = record(tb, k, i)
	}
	ctx := context.Background()
	put = func() error { return store.PutMany(ctx, records) }
	get = func() error {
		entries, err := store.GetMany(ctx, keys)
		if err != nil {
			return err
		}
		for i, e := range entries {
			if !e.Found {
				return fmt.Errorf("GetMany: %s not found", keys[i])
			}
		}
		runtime.KeepAlive(entries) // the result is part of the peak
		return nil
	}
	return put, get
}

// livePeak runs call with GOGC=5 and returns the highest heap in use
// during it, sampled every millisecond, less the heap in use before it.
func livePeak(call func() error) (uint64, error) {
	defer debug.SetGCPercent(debug.SetGCPercent(5))
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	before := read()
	var (
		peak uint64
		wg   sync.WaitGroup
		done = make(chan struct{})
	)
	wg.Go(func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			peak = max(peak, read())
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	err := call()
	after := read()
	close(done)
	wg.Wait()
	peak = max(peak, after)
	if peak < before {
		return 0, err
	}
	return peak - before, err
}
