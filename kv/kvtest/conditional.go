package kvtest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvgen/kvgen/kv"
)

// version reads key with GetVersion and fails t unless it finds want.
func (r *runner[V]) version(t *testing.T, coll, key string, want V) kv.Version {
	t.Helper()
	e, v, err := r.store.GetVersion(t.Context(), coll, key)
	switch {
	case err != nil:
		t.Fatalf("GetVersion(%q): %v", key, err)
	case !e.Found || !r.Equal(e.Value, want):
		t.Fatalf("GetVersion(%q) = %v (found %v), want %v", key, e.Value, e.Found, want)
	}
	return v
}

// wantWrote checks the result of a conditional write.
func wantWrote(t *testing.T, call string, got bool, err error, want bool) {
	t.Helper()
	if err != nil || got != want {
		t.Errorf("%s = %v, %v; want %v", call, got, err, want)
	}
}

// otherKeysVersion: a Version of another key is refused even where that
// key holds the very value the Version was read with (equal values, no
// encryption); v1 is key "k"'s Version of Value(1).
func (r *runner[V]) otherKeysVersion(t *testing.T, coll string, v1 kv.Version) {
	ctx := t.Context()
	r.mustPut(t, r.store, coll, "other", r.Value(1), 0)
	vOther := r.version(t, coll, "other", r.Value(1))
	if ok, err := r.store.CompareAndSwap(ctx, coll, "other", v1, r.Value(3), 0); ok || !errors.Is(err, kv.ErrInvalidKey) {
		t.Errorf("CompareAndSwap(Version of another key) = %v, %v; want kv.ErrInvalidKey", ok, err)
	}
	if ok, err := r.store.CompareAndDelete(ctx, coll, "k", vOther); ok || !errors.Is(err, kv.ErrInvalidKey) {
		t.Errorf("CompareAndDelete(Version of another key) = %v, %v; want kv.ErrInvalidKey", ok, err)
	}
	r.wantValue(t, r.store, coll, "other", r.Value(1))
}

func (r *runner[V]) testCompareAndSwap(t *testing.T) {
	ctx, coll := t.Context(), collection(t, "")
	cas := func(key string, old kv.Version, i int, ttl time.Duration) (bool, error) {
		return r.store.CompareAndSwap(ctx, coll, key, old, r.Value(i), ttl)
	}
	e, none, err := r.store.GetVersion(ctx, coll, "k")
	if err != nil || e.Found || none != (kv.Version{}) {
		t.Fatalf("GetVersion of a missing key = found %v, %v, %v; want not found, the zero Version", e.Found, none, err)
	}
	ok, err := cas("k", none, 1, 0)
	wantWrote(t, "CompareAndSwap(zero Version) of a missing key", ok, err, true)
	ok, err = cas("k", none, 2, 0)
	wantWrote(t, "CompareAndSwap(zero Version) of an existing key", ok, err, false)
	r.wantValue(t, r.store, coll, "k", r.Value(1))

	v1 := r.version(t, coll, "k", r.Value(1))
	ok, err = cas("k", v1, 2, time.Hour)
	wantWrote(t, "CompareAndSwap(current Version)", ok, err, true)
	if e, err := r.store.TTL(ctx, coll, "k"); err != nil || !e.Expires || e.TTL > time.Hour || e.TTL < time.Hour-time.Minute {
		t.Errorf("TTL after CompareAndSwap with ttl 1h = %+v, %v", e.Expires, err)
	}
	ok, err = cas("k", v1, 3, 0)
	wantWrote(t, "CompareAndSwap(Version before a swap)", ok, err, false)
	r.otherKeysVersion(t, coll, v1)

	// Put of the same value with another expiry is a new version.
	v2 := r.version(t, coll, "k", r.Value(2))
	r.mustPut(t, r.store, coll, "k", r.Value(2), 2*time.Hour)
	ok, err = cas("k", v2, 4, 0)
	wantWrote(t, "CompareAndSwap(Version before a Put)", ok, err, false)
	r.wantValue(t, r.store, coll, "k", r.Value(2))

	// A deleted entry stays deleted.
	v3 := r.version(t, coll, "k", r.Value(2))
	if ok, err := r.store.Delete(ctx, coll, "k"); err != nil || !ok {
		t.Fatalf("Delete = %v, %v", ok, err)
	}
	ok, err = cas("k", v3, 5, 0)
	wantWrote(t, "CompareAndSwap(Version before a Delete)", ok, err, false)
	r.wantMissing(t, r.store, coll, "k")
	ok, err = cas("k", kv.Version{}, 6, 0)
	wantWrote(t, "CompareAndSwap(zero Version) after a Delete", ok, err, true)

	v4 := r.version(t, coll, "k", r.Value(6))
	if _, err := cas("k", v4, 7, -time.Second); !errors.Is(err, kv.ErrInvalidTTL) {
		t.Errorf("CompareAndSwap with a negative ttl: %v, want ErrInvalidTTL", err)
	}
	if r.Invalid != nil {
		if _, err := r.store.CompareAndSwap(ctx, coll, "k", v4, r.Invalid(), 0); !errors.Is(err, kv.ErrInvalid) {
			t.Errorf("CompareAndSwap of an invalid value: %v, want ErrInvalid", err)
		}
	}
	ok, err = cas("k", v4, 8, 0)
	wantWrote(t, "CompareAndSwap after refused ones", ok, err, true)
	r.wantValue(t, r.store, coll, "k", r.Value(8))
}

func (r *runner[V]) testReplace(t *testing.T) {
	ctx, coll := t.Context(), collection(t, "")
	ok, err := r.store.Replace(ctx, coll, "k", r.Value(1), 0)
	wantWrote(t, "Replace of a missing key", ok, err, false)
	r.wantMissing(t, r.store, coll, "k")

	r.mustPut(t, r.store, coll, "k", r.Value(1), 0)
	ok, err = r.store.Replace(ctx, coll, "k", r.Value(2), time.Hour)
	wantWrote(t, "Replace of an existing key", ok, err, true)
	if e, err := r.store.TTL(ctx, coll, "k"); err != nil || !r.Equal(e.Value, r.Value(2)) || !e.Expires {
		t.Errorf("TTL after Replace with ttl 1h = %v (expires %v), %v; want Value(2), expiring", e.Value, e.Expires, err)
	}
	if _, err := r.store.Replace(ctx, coll, "k", r.Value(3), -time.Second); !errors.Is(err, kv.ErrInvalidTTL) {
		t.Errorf("Replace with a negative ttl: %v, want ErrInvalidTTL", err)
	}
	if ok, err := r.store.Delete(ctx, coll, "k"); err != nil || !ok {
		t.Fatalf("Delete = %v, %v", ok, err)
	}
	ok, err = r.store.Replace(ctx, coll, "k", r.Value(4), 0)
	wantWrote(t, "Replace after a Delete", ok, err, false)
	r.wantMissing(t, r.store, coll, "k")
}

func (r *runner[V]) testCompareAndDelete(t *testing.T) {
	ctx, coll := t.Context(), collection(t, "")
	ok, err := r.store.CompareAndDelete(ctx, coll, "k", kv.Version{})
	wantWrote(t, "CompareAndDelete of a missing key", ok, err, false)

	r.mustPut(t, r.store, coll, "k", r.Value(1), 0)
	ok, err = r.store.CompareAndDelete(ctx, coll, "k", kv.Version{})
	wantWrote(t, "CompareAndDelete(zero Version) of an existing key", ok, err, false)
	v1 := r.version(t, coll, "k", r.Value(1))
	r.mustPut(t, r.store, coll, "k", r.Value(2), 0)
	ok, err = r.store.CompareAndDelete(ctx, coll, "k", v1)
	wantWrote(t, "CompareAndDelete(Version before a Put)", ok, err, false)
	r.wantValue(t, r.store, coll, "k", r.Value(2))

	v2 := r.version(t, coll, "k", r.Value(2))
	ok, err = r.store.CompareAndDelete(ctx, coll, "k", v2)
	wantWrote(t, "CompareAndDelete(current Version)", ok, err, true)
	r.wantMissing(t, r.store, coll, "k")
	ok, err = r.store.CompareAndDelete(ctx, coll, "k", v2)
	wantWrote(t, "second CompareAndDelete", ok, err, false)
}

func (r *runner[V]) testGetAndDelete(t *testing.T) {
	ctx, coll := t.Context(), collection(t, "")
	if v, ok, err := r.store.GetAndDelete(ctx, coll, "k"); err != nil || ok {
		t.Errorf("GetAndDelete of a missing key = %v, %v, %v; want not found", v, ok, err)
	}
	r.mustPut(t, r.store, coll, "k", r.Value(1), time.Hour)
	r.mustPut(t, r.store, coll, "kept", r.Value(2), 0)
	if v, ok, err := r.store.GetAndDelete(ctx, coll, "k"); err != nil || !ok || !r.Equal(v, r.Value(1)) {
		t.Errorf("GetAndDelete = %v, %v, %v; want Value(1)", v, ok, err)
	}
	r.wantMissing(t, r.store, coll, "k")
	if v, ok, err := r.store.GetAndDelete(ctx, coll, "k"); err != nil || ok {
		t.Errorf("second GetAndDelete = %v, %v, %v; want not found", v, ok, err)
	}
	r.wantValue(t, r.store, coll, "kept", r.Value(2))
}

// conditionalExpiry checks the conditional writes on short5 and short6,
// which expired; before is short5's Version from before it did.
func (r *runner[V]) conditionalExpiry(t *testing.T, coll string, before kv.Version) {
	ctx := t.Context()
	ok, err := r.store.CompareAndSwap(ctx, coll, "short5", before, r.Value(13), 0)
	wantWrote(t, "CompareAndSwap(Version read before expiry)", ok, err, false)
	ok, err = r.store.CompareAndDelete(ctx, coll, "short5", before)
	wantWrote(t, "CompareAndDelete(Version read before expiry)", ok, err, false)
	ok, err = r.store.Replace(ctx, coll, "short5", r.Value(14), 0)
	wantWrote(t, "Replace of an expired key", ok, err, false)
	r.wantMissing(t, r.store, coll, "short5")
	ok, err = r.store.CompareAndSwap(ctx, coll, "short5", kv.Version{}, r.Value(15), 0)
	wantWrote(t, "CompareAndSwap(zero Version) of an expired key", ok, err, true)
	r.wantValue(t, r.store, coll, "short5", r.Value(15))
	if v, ok, err := r.store.GetAndDelete(ctx, coll, "short6"); err != nil || ok {
		t.Errorf("GetAndDelete of an expired key = %v, %v, %v; want not found", v, ok, err)
	}
}

// testConditionalConcurrency races the conditional writes: writers that
// read the same version, inserts of one key, takers of one entry, deleters
// of one version, and updates of an entry being deleted.
func (r *runner[V]) testConditionalConcurrency(t *testing.T) {
	t.Run("CompareAndSwapCounter", r.testCounter)
	t.Run("InsertOnce", func(t *testing.T) {
		wins := r.race(t, func(w int, coll string) (bool, error) {
			return r.store.CompareAndSwap(t.Context(), coll, "k", kv.Version{}, r.Value(w), 0)
		})
		if wins != 1 {
			t.Errorf("%d of %d concurrent CompareAndSwap(zero Version) calls on one key wrote; want 1", wins, raceWorkers)
		}
	})
	t.Run("GetAndDeleteOnce", func(t *testing.T) {
		wins := r.race(t, func(w int, coll string) (bool, error) {
			_, ok, err := r.store.GetAndDelete(t.Context(), coll, "k")
			return ok, err
		}, "k")
		if wins != 1 {
			t.Errorf("%d of %d concurrent GetAndDelete calls on one entry got it; want 1", wins, raceWorkers)
		}
	})
	t.Run("CompareAndDeleteOnce", func(t *testing.T) {
		coll := collection(t, "") // the collection race uses
		r.mustPut(t, r.store, coll, "k", r.Value(0), 0)
		v := r.version(t, coll, "k", r.Value(0))
		wins := r.race(t, func(w int, coll string) (bool, error) {
			return r.store.CompareAndDelete(t.Context(), coll, "k", v)
		})
		if wins != 1 {
			t.Errorf("%d of %d concurrent CompareAndDelete calls of one version deleted; want 1", wins, raceWorkers)
		}
	})
	t.Run("DeleteStaysDeleted", r.testDeleteStaysDeleted)
}

// raceWorkers is the number of goroutines of each race.
const raceWorkers = 8

// race runs op in raceWorkers goroutines at once, on a collection holding
// Value(0) under each of keys, and counts the calls that returned true.
func (r *runner[V]) race(t *testing.T, op func(w int, coll string) (bool, error), keys ...string) int {
	t.Helper()
	coll := collection(t, "")
	for _, k := range keys {
		r.mustPut(t, r.store, coll, k, r.Value(0), 0)
	}
	var wins atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := range raceWorkers {
		wg.Go(func() {
			<-start
			ok, err := op(w+1, coll)
			if err != nil {
				t.Errorf("worker %d: %v", w, err)
			}
			if ok {
				wins.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	return int(wins.Load())
}

// testCounter: 8 goroutines each add 10 to a counter kept as Value(n), by
// GetVersion and CompareAndSwap, retrying on a conflict. Each successful swap
// must be from a distinct n, and the counter must end at 80: no increment lost.
func (r *runner[V]) testCounter(t *testing.T) {
	const workers, increments = 8, 10
	const total = workers * increments
	ctx, coll := t.Context(), collection(t, "")
	r.mustPut(t, r.store, coll, "counter", r.Value(0), 0)
	var claimed [total + 1]atomic.Int32 // claimed[n]: swaps that wrote Value(n)
	var conflicts atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			seen := 0 // the counter only grows: search for its value from here
			for done := 0; done < increments; {
				e, v, err := r.store.GetVersion(ctx, coll, "counter")
				if err != nil || !e.Found {
					t.Errorf("worker %d: GetVersion = found %v, %v", w, e.Found, err)
					return
				}
				n := r.indexOf(e.Value, seen, total)
				if n < 0 {
					t.Errorf("worker %d: the counter holds %v, no Value(%d..%d)", w, e.Value, seen, total)
					return
				}
				seen = n
				ok, err := r.store.CompareAndSwap(ctx, coll, "counter", v, r.Value(n+1), 0)
				if err != nil {
					t.Errorf("worker %d: CompareAndSwap: %v", w, err)
					return
				}
				if !ok {
					conflicts.Add(1)
					continue
				}
				claimed[n+1].Add(1)
				done++
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for n := 1; n <= total; n++ {
		if c := claimed[n].Load(); c != 1 {
			t.Errorf("%d swaps wrote Value(%d); want exactly 1", c, n)
		}
	}
	r.wantValue(t, r.store, coll, "counter", r.Value(total))
	t.Logf("%d increments by CompareAndSwap from %d goroutines, %d conflicts retried", total, workers, conflicts.Load())
}

// indexOf returns the i in [from, to] with Value(i) equal to v, or -1.
func (r *runner[V]) indexOf(v V, from, to int) int {
	for i := from; i <= to; i++ {
		if r.Equal(v, r.Value(i)) {
			return i
		}
	}
	return -1
}

// testDeleteStaysDeleted: 50 rounds of a Delete racing with a
// read-modify-write (GetVersion then CompareAndSwap) and with a Replace of
// the same entry. Whichever comes first, the entry ends deleted: neither
// write brings it back.
func (r *runner[V]) testDeleteStaysDeleted(t *testing.T) {
	ctx, coll := t.Context(), collection(t, "")
	for round := range 50 {
		key := fmt.Sprintf("k%d", round)
		r.mustPut(t, r.store, coll, key, r.Value(0), 0)
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Go(func() {
			<-start
			if _, err := r.store.Delete(ctx, coll, key); err != nil {
				t.Errorf("Delete: %v", err)
			}
		})
		wg.Go(func() {
			<-start
			e, v, err := r.store.GetVersion(ctx, coll, key)
			if err == nil && e.Found {
				_, err = r.store.CompareAndSwap(ctx, coll, key, v, r.Value(1), 0)
			}
			if err != nil {
				t.Errorf("GetVersion, CompareAndSwap: %v", err)
			}
		})
		wg.Go(func() {
			<-start
			if _, err := r.store.Replace(ctx, coll, key, r.Value(2), 0); err != nil {
				t.Errorf("Replace: %v", err)
			}
		})
		close(start)
		wg.Wait()
		if got, ok, err := r.store.Get(ctx, coll, key); err != nil || ok {
			t.Fatalf("round %d: after a Delete raced with writes, Get = %v, %v, %v; want the entry deleted", round, got, ok, err)
		}
	}
}
