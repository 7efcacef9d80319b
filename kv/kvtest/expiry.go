package kvtest

import (
	"slices"
	"testing"
	"time"

	"github.com/kvgen/kvgen/kv"
)

// expiring is what testExpiry writes: coll holds entries that expire
// (short1…short6) beside some that do not during the test (forever, and
// long, in an hour), onlyExpired one that expires, and fresh, a store of
// its own, the entries that Cull and Collections count exactly. before is
// short5's version as written.
type expiring[V any] struct {
	coll, onlyExpired string
	fresh             kv.Store[V]
	before            kv.Version
}

// testExpiry writes entries with ShortTTL, waits once until they are gone,
// then checks that every read, Delete, DeleteMany, Keys, Collections, the
// conditional writes and Cull treat them as expired. Cull and Collections
// run on a fresh store, where their results are exact.
func (r *runner[V]) testExpiry(t *testing.T) {
	x := r.writeExpiring(t)
	t.Run("Reads", func(t *testing.T) { r.expiredReads(t, x) })
	t.Run("Keys", func(t *testing.T) { r.expiredKeys(t, x) })
	t.Run("Collections", func(t *testing.T) { r.expiredCollections(t, x) })
	t.Run("Delete", func(t *testing.T) { r.expiredDeletes(t, x) })
	t.Run("PutOverExpired", func(t *testing.T) { r.putOverExpired(t, x) })
	t.Run("Conditional", func(t *testing.T) { r.conditionalExpiry(t, x.coll, x.before) })
	t.Run("DeleteCollection", func(t *testing.T) {
		if n, err := r.store.DeleteCollection(t.Context(), x.onlyExpired); err != nil || n != 0 {
			t.Errorf("DeleteCollection of expired keys = %d, %v; want 0", n, err)
		}
	})
	t.Run("Cull", func(t *testing.T) { r.cullExpired(t, x) })
}

// writeExpiring writes the entries of testExpiry, checks that one is seen
// with its TTL before it expires, and waits until they have expired.
func (r *runner[V]) writeExpiring(t *testing.T) expiring[V] {
	ctx := t.Context()
	x := expiring[V]{coll: collection(t, ""), onlyExpired: collection(t, "/only-expired"), fresh: r.New(t)}
	r.mustPut(t, x.fresh, "kvtest-cull-a", "e1", r.Value(1), r.ShortTTL)
	if err := x.fresh.PutMany(ctx, "kvtest-cull-a", []string{"e2", "keep"}, []V{r.Value(2), r.Value(3)}, 0); err != nil {
		t.Fatal(err)
	}
	if err := x.fresh.PutMany(ctx, "kvtest-cull-a", []string{"e2"}, []V{r.Value(2)}, r.ShortTTL); err != nil {
		t.Fatal(err)
	}
	r.mustPut(t, x.fresh, "kvtest-cull-b", "e3", r.Value(4), r.ShortTTL)

	r.mustPut(t, r.store, x.onlyExpired, "k", r.Value(5), r.ShortTTL)
	r.mustPut(t, r.store, x.coll, "forever", r.Value(6), 0)
	r.mustPut(t, r.store, x.coll, "long", r.Value(7), time.Hour)
	if err := r.store.PutMany(ctx, x.coll, []string{"short1", "short2", "short3", "short4", "short5", "short6"},
		[]V{r.Value(8), r.Value(9), r.Value(10), r.Value(11), r.Value(16), r.Value(17)}, r.ShortTTL); err != nil {
		t.Fatal(err)
	}
	written := time.Now()
	x.before = r.version(t, x.coll, "short5", r.Value(16))

	// Visible until it expires.
	e, err := r.store.TTL(ctx, x.coll, "short1")
	if err != nil || !e.Found || !e.Expires || e.TTL <= 0 || e.TTL > r.ShortTTL+time.Millisecond {
		t.Errorf("TTL before expiry = found %v, Expires %v, TTL %v, %v; want found, at most %v left",
			e.Found, e.Expires, e.TTL, err, r.ShortTTL)
	}
	r.waitExpired(t, x, written)
	return x
}

// waitExpired waits until one expiring entry of each store's collections
// written at written is no longer read, failing t past its ttl and
// expiryGrace.
func (r *runner[V]) waitExpired(t *testing.T, x expiring[V], written time.Time) {
	ctx := t.Context()
	probes := []struct {
		store     kv.Store[V]
		coll, key string
	}{{r.store, x.coll, "short4"}, {r.store, x.onlyExpired, "k"}, {x.fresh, "kvtest-cull-b", "e3"}}
	err := eventually(ctx, written.Add(r.ShortTTL+expiryGrace), func() (bool, error) {
		for _, probe := range probes {
			if _, ok, err := probe.store.Get(ctx, probe.coll, probe.key); err != nil || ok {
				return false, err
			}
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("entries with ttl %v are still readable %v after the put: %v", r.ShortTTL, time.Since(written), err)
	}
}

func (r *runner[V]) expiredReads(t *testing.T, x expiring[V]) {
	ctx := t.Context()
	r.wantMissing(t, r.store, x.coll, "short1")
	if e, err := r.store.TTL(ctx, x.coll, "short1"); err != nil || e.Found || e.Expires {
		t.Errorf("TTL of an expired key = found %v, Expires %v, %v; want not found", e.Found, e.Expires, err)
	}
	got, err := r.store.GetMany(ctx, x.coll, []string{"short1", "long", "short2", "forever"})
	r.wantEntries(t, "GetMany", got, err, []int{-1, 7, -1, 6})
	got, err = r.store.TTLMany(ctx, x.coll, []string{"short1", "long", "short2", "forever"})
	r.wantEntries(t, "TTLMany", got, err, []int{-1, 7, -1, 6})
}

func (r *runner[V]) expiredKeys(t *testing.T, x expiring[V]) {
	if keys, err := r.store.Keys(t.Context(), x.coll, "", 100); err != nil || !slices.Equal(keys, []string{"forever", "long"}) {
		t.Errorf("Keys = %q, %v; want [forever long]", keys, err)
	}
	if keys, err := r.store.Keys(t.Context(), x.onlyExpired, "", 100); err != nil || len(keys) != 0 {
		t.Errorf("Keys of a collection of expired keys = %q, %v; want none", keys, err)
	}
}

func (r *runner[V]) expiredCollections(t *testing.T, x expiring[V]) {
	got, err := r.store.Collections(t.Context())
	if err != nil || slices.Contains(got, x.onlyExpired) || !slices.Contains(got, x.coll) {
		t.Errorf("Collections = %q, %v; want %q listed and %q not", got, err, x.coll, x.onlyExpired)
	}
	if got, err := x.fresh.Collections(t.Context()); err != nil || !slices.Equal(got, []string{"kvtest-cull-a"}) {
		t.Errorf("Collections of the fresh store = %q, %v; want [kvtest-cull-a]", got, err)
	}
}

func (r *runner[V]) expiredDeletes(t *testing.T, x expiring[V]) {
	ctx := t.Context()
	if ok, err := r.store.Delete(ctx, x.coll, "short1"); err != nil || ok {
		t.Errorf("Delete of an expired key = %v, %v; want false", ok, err)
	}
	if n, err := r.store.DeleteMany(ctx, x.coll, []string{"short2", "short3"}); err != nil || n != 0 {
		t.Errorf("DeleteMany of expired keys = %d, %v; want 0", n, err)
	}
	if n, err := r.store.DeleteMany(ctx, x.coll, []string{"short2", "long"}); err != nil || n != 1 {
		t.Errorf("DeleteMany of an expired and a live key = %d, %v; want 1", n, err)
	}
}

func (r *runner[V]) putOverExpired(t *testing.T, x expiring[V]) {
	r.mustPut(t, r.store, x.coll, "short4", r.Value(12), 0)
	e, err := r.store.TTL(t.Context(), x.coll, "short4")
	if err != nil || !e.Found || e.Expires || !r.Equal(e.Value, r.Value(12)) {
		t.Errorf("put over an expired entry: found %v, Expires %v, %v; want Value(12) without expiry", e.Found, e.Expires, err)
	}
}

func (r *runner[V]) cullExpired(t *testing.T, x expiring[V]) {
	ctx := t.Context()
	if n, err := x.fresh.Cull(ctx); err != nil || n != 3 {
		t.Errorf("Cull = %d, %v; want 3 (e1, e2, e3)", n, err)
	}
	if n, err := x.fresh.Cull(ctx); err != nil || n != 0 {
		t.Errorf("second Cull = %d, %v; want 0", n, err)
	}
	r.wantValue(t, x.fresh, "kvtest-cull-a", "keep", r.Value(3))
	if n, err := r.store.Cull(ctx); err != nil || n < 0 {
		t.Errorf("Cull of the shared store = %d, %v", n, err)
	}
}
