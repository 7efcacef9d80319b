package oauthclients_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/kv"
)

// Concurrency on PostgreSQL, meant to run under -race as well (.ci/run does).
// The conformance suite's Concurrency subtest (8 workers) runs in
// store_test.go for the typed store, the untyped view and memory.

// TestPutManyOverlappingNoDeadlock: 8 goroutines × 50 rounds of PutMany over
// overlapping sets of keys, each in its own shuffled order, some with a key
// twice. The store sorts the keys of a batch, so that every statement takes
// its row locks in one order: no deadlock, no error, and no hang.
func TestPutManyOverlappingNoDeadlock(t *testing.T) {
	const workers, rounds, sharedKeys = 8, 50, 12
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s := newStore(t, newTable(t), newRing(t))
	keys := make([]string, sharedKeys)
	for i := range keys {
		keys[i] = fmt.Sprintf("shared-%02d", i)
	}
	var written sync.Map // version -> key it was written under
	var deadlocks, failures, batches atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 11))
			for r := range rounds {
				order := rng.Perm(sharedKeys)[:4+rng.IntN(sharedKeys-4)]
				if r%5 == 0 {
					order = append(order, order[0]) // a key twice: the last one wins
				}
				batch := make([]oauthclients.Client, len(order))
				for i, k := range order {
					v := (w+1)*100_000 + r*100 + i
					batch[i] = faultRecord(keys[k], v)
					written.Store(v, keys[k])
				}
				err := s.PutMany(ctx, batch)
				batches.Add(1)
				if err == nil {
					continue
				}
				failures.Add(1)
				var pgErr *pgconn.PgError
				if errors.As(err, &pgErr) && pgErr.Code == "40P01" || strings.Contains(err.Error(), "deadlock") {
					deadlocks.Add(1)
				}
				t.Errorf("worker %d round %d: PutMany: %v", w, r, err)
				if ctx.Err() != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	t.Logf("%d PutMany calls from %d goroutines over %d shared keys in %v: %d deadlocks, %d failures",
		batches.Load(), workers, sharedKeys, time.Since(start).Round(time.Millisecond), deadlocks.Load(), failures.Load())
	if ctx.Err() != nil {
		t.Fatalf("the PutMany calls did not finish within a minute: a hang")
	}
	entries, err := s.GetMany(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range entries {
		v := versionOf(e.Value)
		if k, ok := written.Load(v); !e.Found || !ok || k != keys[i] {
			t.Errorf("%s holds version %d (found %v), which no PutMany wrote there", keys[i], v, e.Found)
		}
	}
}

// TestPutManySameKeyTwice: a batch that holds a key twice does not fail with
// PostgreSQL's "ON CONFLICT DO UPDATE command cannot affect row a second
// time"; the last value given for the key wins, in every view.
func TestPutManySameKeyTwice(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, newTable(t), newRing(t))
	if err := s.PutMany(ctx, []oauthclients.Client{
		faultRecord("a", 1), faultRecord("b", 2), faultRecord("a", 3), faultRecord("a", 4), faultRecord("b", 5),
	}); err != nil {
		t.Fatalf("typed PutMany with repeated keys: %v", err)
	}
	for key, want := range map[string]int{"a": 4, "b": 5} {
		if got, ok, err := s.Get(ctx, key); err != nil || !ok || versionOf(got) != want {
			t.Errorf("Get(%s) = version %d, %v, %v; want the last one given, %d", key, versionOf(got), ok, err, want)
		}
	}

	if err := s.KV().PutMany(ctx, "other", []string{"x", "x", "x"},
		[]oauthclients.Client{faultRecord("x", 6), faultRecord("x", 7), faultRecord("x", 8)}, time.Hour); err != nil {
		t.Fatalf("KV PutMany with one key three times: %v", err)
	}
	if e, err := s.KV().TTL(ctx, "other", "x"); err != nil || !e.Found || versionOf(e.Value) != 8 || !e.Expires {
		t.Errorf("KV TTL(x) = version %d, %+v, %v; want 8 with its ttl", versionOf(e.Value), e.Found, err)
	}

	if err := s.Untyped().PutMany(ctx, "tokens", []string{"t", "u", "t"},
		[]map[string]any{{"n": "first"}, {"n": "other"}, {"n": "last"}}, 0); err != nil {
		t.Fatalf("untyped PutMany with a repeated key: %v", err)
	}
	if v, ok, err := s.Untyped().Get(ctx, "tokens", "t"); err != nil || !ok || v["n"] != "last" {
		t.Errorf("untyped Get(t) = %v, %v, %v; want the last value", v, ok, err)
	}
}

// TestReencryptDuringWrites: Reencrypt rotates 200 rows in batches of 10
// while 4 writers keep replacing rows of their own. A row a writer replaced
// after Reencrypt read it is left as the writer wrote it (a conflict), never
// overwritten with the re-encrypted old value; afterwards every row reads
// with the new key alone and holds its writer's last value.
func TestReencryptDuringWrites(t *testing.T) {
	const rows, writers = 200, 4
	ctx := context.Background()
	pool := newTable(t)
	oldKey, newKey := newKey(t), newKey(t)
	old := newStore(t, pool, newRing(t, oldKey))
	all := make([]oauthclients.Client, rows)
	for i := range all {
		all[i] = faultRecord(fmt.Sprintf("r%03d", i), i+1)
	}
	if err := old.PutMany(ctx, all); err != nil {
		t.Fatal(err)
	}
	rotating := newStore(t, pool, newRing(t, newKey, oldKey))

	last := make([]int, rows) // the last acknowledged version of each row
	for i := range last {
		last[i] = i + 1
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writes atomic.Int64
	for w := range writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 3))
			for n := 1; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				row := w + writers*rng.IntN(rows/writers) // rows of this writer only
				v := 1000*n + row
				if err := rotating.Put(ctx, faultRecord(fmt.Sprintf("r%03d", row), v)); err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				last[row] = v
				writes.Add(1)
			}
		})
	}
	res, err := rotating.Reencrypt(ctx, kv.ReencryptOptions{BatchSize: 10})
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("Reencrypt: %+v, %v", res, err)
	}
	t.Logf("Reencrypt during %d concurrent writes: %+v", writes.Load(), res)
	if res.Scanned != rows || res.Rewritten+res.Conflicts > rows {
		t.Errorf("Reencrypt scanned %d rows, want %d; rewrote %d with %d conflicts", res.Scanned, rows, res.Rewritten, res.Conflicts)
	}

	onlyNew := newStore(t, pool, newRing(t, newKey))
	keys := make([]string, rows)
	for i := range keys {
		keys[i] = fmt.Sprintf("r%03d", i)
	}
	entries, err := onlyNew.GetMany(ctx, keys)
	if err != nil {
		t.Fatalf("after the rotation, with the new key alone: %v", err)
	}
	for i, e := range entries {
		want := faultRecord(keys[i], last[i])
		if !e.Found || versionOf(e.Value) != last[i] || e.Value.ClientSecret != want.ClientSecret {
			t.Errorf("%s = version %d (found %v); want the last write, %d", keys[i], versionOf(e.Value), e.Found, last[i])
		}
	}
}
