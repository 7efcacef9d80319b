package kvtest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// testConcurrency has concurrentWorkers writers, each running
// concurrentRounds on a key of its own and on one of concurrentShared keys.
const (
	concurrentWorkers = 8
	concurrentRounds  = 40
	concurrentShared  = 3
)

func concurrentSharedKey(i int) string { return fmt.Sprintf("shared-%d", i%concurrentShared) }
func concurrentOwnKey(w int) string    { return fmt.Sprintf("own-%d", w) }
func concurrentValue(w, i int) int     { return 1000*(w+1) + i }

// testConcurrency runs writers side by side on their own keys and on keys
// they share; under the race detector it also checks the store's locking.
func (r *runner[V]) testConcurrency(t *testing.T) {
	coll := collection(t, "")
	var wg sync.WaitGroup
	for w := range concurrentWorkers {
		wg.Go(func() { r.concurrentWriter(t, coll, w) })
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	var owns []string
	for w := range concurrentWorkers {
		owns = append(owns, concurrentOwnKey(w))
		r.wantValue(t, r.store, coll, concurrentOwnKey(w), r.Value(concurrentValue(w, concurrentRounds-1)))
	}
	for j := range concurrentShared {
		r.wantWrittenShared(t, coll, j)
	}
	if n, err := r.store.DeleteMany(t.Context(), coll, owns); err != nil || n != concurrentWorkers {
		t.Errorf("DeleteMany(own keys) = %d, %v; want %d", n, err, concurrentWorkers)
	}
}

// concurrentWriter is writer w of testConcurrency: each round it writes and
// reads its own key and a shared one, deletes both every fifth round, and
// writes both in one PutMany. It stops at its first failure.
func (r *runner[V]) concurrentWriter(t *testing.T, coll string, w int) {
	ctx, own := t.Context(), concurrentOwnKey(w)
	for i := range concurrentRounds {
		v, sk := concurrentValue(w, i), concurrentSharedKey(i)
		if err := r.store.Put(ctx, coll, own, r.Value(v), 0); err != nil {
			t.Errorf("worker %d: Put(own): %v", w, err)
			return
		}
		if got, ok, err := r.store.Get(ctx, coll, own); err != nil || !ok || !r.Equal(got, r.Value(v)) {
			t.Errorf("worker %d round %d: Get(own) = %v, %v, %v; want Value(%d)", w, i, got, ok, err, v)
			return
		}
		if err := r.store.Put(ctx, coll, sk, r.Value(v), 0); err != nil {
			t.Errorf("worker %d: Put(shared): %v", w, err)
			return
		}
		if _, _, err := r.store.Get(ctx, coll, sk); err != nil {
			t.Errorf("worker %d: Get(shared): %v", w, err)
			return
		}
		entries, err := r.store.GetMany(ctx, coll, []string{own, sk, own})
		if err != nil || len(entries) != 3 || !entries[0].Found || !entries[2].Found {
			t.Errorf("worker %d round %d: GetMany(own, shared, own) = %d entries, %v; want own found twice", w, i, len(entries), err)
			return
		}
		if i%5 == 4 {
			if ok, err := r.store.Delete(ctx, coll, own); err != nil || !ok {
				t.Errorf("worker %d round %d: Delete(own) = %v, %v; want true", w, i, ok, err)
				return
			}
			if _, err := r.store.Delete(ctx, coll, sk); err != nil {
				t.Errorf("worker %d: Delete(shared): %v", w, err)
				return
			}
		}
		if err := r.store.PutMany(ctx, coll, []string{sk, own}, []V{r.Value(v), r.Value(v)}, 0); err != nil {
			t.Errorf("worker %d: PutMany(shared, own): %v", w, err)
			return
		}
	}
}

// wantWrittenShared checks that shared key j holds a value that one of
// testConcurrency's writers wrote there.
func (r *runner[V]) wantWrittenShared(t *testing.T, coll string, j int) {
	got, ok, err := r.store.Get(t.Context(), coll, concurrentSharedKey(j))
	if err != nil || !ok {
		t.Errorf("Get(%s) = found %v, %v; want the value of one of the writers", concurrentSharedKey(j), ok, err)
		return
	}
	for w := range concurrentWorkers {
		for i := j; i < concurrentRounds; i += concurrentShared {
			if r.Equal(got, r.Value(concurrentValue(w, i))) {
				return
			}
		}
	}
	t.Errorf("Get(%s) = %v, a value no writer wrote there", concurrentSharedKey(j), got)
}

// orderKeys are keys whose byte order and the order of common collations
// (en-US: "a" before "B", "_e" before "a") differ, so that a store that locks
// or pages in one order and sorts in the other shows it.
var orderKeys = []string{"a", "B", "c", "D", "_e", "f", "G", "-h", "i", "J", "é", "K"}

// testConcurrentBatches runs 8 goroutines × 40 rounds of PutMany and
// DeleteMany over overlapping sets of orderKeys, each batch with the
// goroutine's own key too. Multi-row writes lock in one order, so no call
// fails (a deadlock would), and no write is lost: each own key ends as its
// goroutine left it, and each shared key holds a value written there, or none.
func (r *runner[V]) testConcurrentBatches(t *testing.T) {
	const workers = 8
	coll := collection(t, "")
	history := &batchHistory{written: map[string][]int{}, last: make([]int, workers)}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { r.batchWriter(t, coll, w, history) })
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for w := range workers {
		if history.last[w] < 0 {
			r.wantMissing(t, r.store, coll, batchOwnKey(w))
		} else {
			r.wantValue(t, r.store, coll, batchOwnKey(w), r.Value(history.last[w]))
		}
	}
	entries, err := r.store.GetMany(t.Context(), coll, orderKeys)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range entries {
		if e.Found && !slices.ContainsFunc(history.written[orderKeys[i]], func(v int) bool { return r.Equal(e.Value, r.Value(v)) }) {
			t.Errorf("%s holds %v, a value no PutMany wrote there", orderKeys[i], e.Value)
		}
	}
}

// batchHistory is what testConcurrentBatches's writers did: the values written
// to each key, and each own key's last value (-1 once deleted).
type batchHistory struct {
	mu      sync.Mutex
	written map[string][]int
	last    []int // each writer sets only its own
}

func batchOwnKey(w int) string { return fmt.Sprintf("Own-%d", w) }

// batchRounds are the rounds of each writer of testConcurrentBatches.
const batchRounds = 40

// batchWriter is writer w of testConcurrentBatches: batchRounds rounds,
// each a PutMany or a DeleteMany of its own key and some of orderKeys.
func (r *runner[V]) batchWriter(t *testing.T, coll string, w int, history *batchHistory) {
	ctx := t.Context()
	rng := rand.New(rand.NewPCG(uint64(w), 13))
	history.last[w] = -1
	for round := range batchRounds {
		keys := []string{batchOwnKey(w)}
		for _, k := range rng.Perm(len(orderKeys))[:3+rng.IntN(len(orderKeys)-3)] {
			keys = append(keys, orderKeys[k])
		}
		if rng.IntN(2) == 0 {
			values := make([]V, len(keys))
			first := 10_000*(w+1) + 100*round
			history.mu.Lock()
			for i, k := range keys {
				values[i] = r.Value(first + i)
				history.written[k] = append(history.written[k], first+i)
			}
			history.mu.Unlock()
			if err := r.store.PutMany(ctx, coll, keys, values, 0); err != nil {
				t.Errorf("worker %d round %d: PutMany: %v", w, round, err)
				return
			}
			history.last[w] = first
			continue
		}
		n, err := r.store.DeleteMany(ctx, coll, keys)
		if err != nil {
			t.Errorf("worker %d round %d: DeleteMany: %v", w, round, err)
			return
		}
		if history.last[w] >= 0 && n < 1 || n > len(keys) {
			t.Errorf("worker %d round %d: DeleteMany of %d keys, its own key present: %v, counted %d", w, round, len(keys), history.last[w] >= 0, n)
		}
		history.last[w] = -1
	}
}
