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
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/internal/pgtest"
	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/pgkv"
)

// Concurrency on PostgreSQL, meant to run under -race as well (.ci/run does).
// The conformance suite's Concurrency, ConditionalConcurrency and
// ConcurrentBatches subtests (8 workers) run in store_test.go for the typed
// store (on a C and an ICU en-US database), the untyped view and memory.

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

func newICUTable(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool := pgtest.NewICU(t)
	if err := oauthclients.CreateTable(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	return pool
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

// TestBatchWritesLockInByteOrder pins the lock order of each multi-row write
// on an en-US database, where "a" sorts before "B" (in the index, and in the
// heap where it was written first) but "B" comes first in byte order. Another transaction holds "a"; the write, started beside it,
// must already hold "B" while it waits for "a" (NOWAIT on "B" fails). A write
// that locked in the database's order would wait for "a" holding nothing.
func TestBatchWritesLockInByteOrder(t *testing.T) {
	for name, write := range map[string]func(context.Context, *oauthclients.Store, *pgxpool.Pool, *kv.KeyRing) error{
		"PutMany": func(ctx context.Context, s *oauthclients.Store, _ *pgxpool.Pool, _ *kv.KeyRing) error {
			return s.PutMany(ctx, []oauthclients.Client{faultRecord("a", 3), faultRecord("B", 4)})
		},
		"DeleteMany": func(ctx context.Context, s *oauthclients.Store, _ *pgxpool.Pool, _ *kv.KeyRing) error {
			_, err := s.DeleteMany(ctx, []string{"a", "B"})
			return err
		},
		"DeleteCollection": func(ctx context.Context, s *oauthclients.Store, _ *pgxpool.Pool, _ *kv.KeyRing) error {
			_, err := s.KV().DeleteCollection(ctx, "")
			return err
		},
		"Swap": func(ctx context.Context, s *oauthclients.Store, _ *pgxpool.Pool, _ *kv.KeyRing) error { // Reencrypt's write
			_, err := s.Reencrypt(ctx, kv.ReencryptOptions{})
			return err
		},
		"TableSwap": func(ctx context.Context, _ *oauthclients.Store, pool *pgxpool.Pool, ring *kv.KeyRing) error { // kvgen reencrypt's write
			table, err := pgkv.NewTable(pool, "oauth_clients")
			if err != nil {
				return err
			}
			_, err = kv.ReencryptTable(ctx, table, kv.ReencryptTableOptions{
				Encrypter: ring, Declared: map[string][]string{oauthclients.DefaultCollection: nil},
			})
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			pool := newICUTable(t)
			oldKey, newKey := newKey(t), newKey(t)
			old := newStore(t, pool, newRing(t, oldKey))
			// "a" first: in the heap too it comes before "B", as in the index
			for i, key := range []string{"a", "B"} {
				if err := old.Put(ctx, faultRecord(key, i+1)); err != nil {
					t.Fatal(err)
				}
			}
			ring := newRing(t, newKey, oldKey)
			s := newStore(t, pool, ring) // Reencrypt has rows to rewrite
			holder, err := pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer holder.Rollback(context.Background())
			if _, err := holder.Exec(ctx, "SELECT 1 FROM oauth_clients WHERE key = 'a' FOR UPDATE"); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- write(ctx, s, pool, ring) }()
			waitForLockWaiters(t, pool, 1, done)
			_, err = holder.Exec(ctx, "SELECT 1 FROM oauth_clients WHERE key = 'B' FOR UPDATE NOWAIT")
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || pgErr.Code != "55P03" {
				t.Errorf(`while %s waits for "a", locking "B" gave %v; want 55P03 (lock not available): "B" must be locked first`, name, err)
			}
			if err := holder.Rollback(ctx); err != nil {
				t.Fatal(err)
			}
			if err := <-done; err != nil {
				t.Errorf("%s: %v", name, err)
			}
		})
	}
}

// TestCullSkipsLockedRows: Cull does not wait for an expired row that
// another transaction holds (a writer may be reviving it), so it never takes
// part in a deadlock; it removes the others, and the held one on a later run.
func TestCullSkipsLockedRows(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	pool := newTable(t)
	s := newStore(t, pool, newRing(t))
	for i, key := range []string{"free", "held"} {
		if err := s.Put(ctx, faultRecord(key, i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, "UPDATE oauth_clients SET expires_at = now() - interval '1 second'"); err != nil {
		t.Fatal(err)
	}
	holder, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback(context.Background())
	if _, err := holder.Exec(ctx, "SELECT 1 FROM oauth_clients WHERE key = 'held' FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	cullCtx, cancelCull := context.WithTimeout(ctx, 10*time.Second)
	defer cancelCull()
	if n, err := s.Cull(cullCtx); err != nil || n != 1 {
		t.Fatalf("Cull while another transaction holds an expired row = %d, %v; want 1 (the free row), without waiting", n, err)
	}
	if err := holder.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Cull(ctx); err != nil || n != 1 {
		t.Errorf("Cull once the row is released = %d, %v; want 1", n, err)
	}
}
