package kvtest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// testConcurrency runs writers side by side on their own keys and on keys
// they share; under the race detector it also checks the store's locking.
func (r *runner[V]) testConcurrency(t *testing.T) {
	ctx, coll := t.Context(), collection(t, "")
	const workers, rounds, shared = 8, 40, 3
	sharedKey := func(i int) string { return fmt.Sprintf("shared-%d", i%shared) }
	valueIndex := func(w, i int) int { return 1000*(w+1) + i }

	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			own := fmt.Sprintf("own-%d", w)
			for i := range rounds {
				v, sk := valueIndex(w, i), sharedKey(i)
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
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	var owns []string
	for w := range workers {
		own := fmt.Sprintf("own-%d", w)
		owns = append(owns, own)
		r.wantValue(t, r.store, coll, own, r.Value(valueIndex(w, rounds-1)))
	}
	for j := range shared {
		got, ok, err := r.store.Get(ctx, coll, sharedKey(j))
		if err != nil || !ok {
			t.Errorf("Get(%s) = found %v, %v; want the value of one of the writers", sharedKey(j), ok, err)
			continue
		}
		written := false
		for w := range workers {
			for i := j; i < rounds; i += shared {
				written = written || r.Equal(got, r.Value(valueIndex(w, i)))
			}
		}
		if !written {
			t.Errorf("Get(%s) = %v, a value no writer wrote there", sharedKey(j), got)
		}
	}
	if n, err := r.store.DeleteMany(ctx, coll, owns); err != nil || n != workers {
		t.Errorf("DeleteMany(own keys) = %d, %v; want %d", n, err, workers)
	}
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
	const workers, rounds = 8, 40
	ctx, coll := t.Context(), collection(t, "")
	var mu sync.Mutex
	written := map[string][]int{} // key -> the values written there
	last := make([]int, workers)  // each own key's last value, -1 once deleted
	own := func(w int) string { return fmt.Sprintf("Own-%d", w) }
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 13))
			last[w] = -1
			for round := range rounds {
				keys := []string{own(w)}
				for _, k := range rng.Perm(len(orderKeys))[:3+rng.IntN(len(orderKeys)-3)] {
					keys = append(keys, orderKeys[k])
				}
				if rng.IntN(2) == 0 {
					values := make([]V, len(keys))
					first := 10_000*(w+1) + 100*round
					mu.Lock()
					for i, k := range keys {
						values[i] = r.Value(first + i)
						written[k] = append(written[k], first+i)
					}
					mu.Unlock()
					if err := r.store.PutMany(ctx, coll, keys, values, 0); err != nil {
						t.Errorf("worker %d round %d: PutMany: %v", w, round, err)
						return
					}
					last[w] = first
					continue
				}
				n, err := r.store.DeleteMany(ctx, coll, keys)
				if err != nil {
					t.Errorf("worker %d round %d: DeleteMany: %v", w, round, err)
					return
				}
				if last[w] >= 0 && n < 1 || n > len(keys) {
					t.Errorf("worker %d round %d: DeleteMany of %d keys, its own key present: %v, counted %d", w, round, len(keys), last[w] >= 0, n)
				}
				last[w] = -1
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for w := range workers {
		if last[w] < 0 {
			r.wantMissing(t, r.store, coll, own(w))
		} else {
			r.wantValue(t, r.store, coll, own(w), r.Value(last[w]))
		}
	}
	entries, err := r.store.GetMany(ctx, coll, orderKeys)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range entries {
		if e.Found && !slices.ContainsFunc(written[orderKeys[i]], func(v int) bool { return r.Equal(e.Value, r.Value(v)) }) {
			t.Errorf("%s holds %v, a value no PutMany wrote there", orderKeys[i], e.Value)
		}
	}
}
