package kvtest

import (
	"slices"
	"testing"
	"time"

	"github.com/kvgen/kvgen/kv"
)

// testExpiry writes entries with ShortTTL, waits once until they are gone,
// then checks that every read, Delete, DeleteMany, Keys, Collections, the
// conditional writes and Cull treat them as expired. Cull and Collections run on a fresh store, where
// their results are exact.
func (r *runner[V]) testExpiry(t *testing.T) {
	ctx := t.Context()
	coll, onlyExpired := collection(t, ""), collection(t, "/only-expired")
	fresh := r.New(t)

	r.mustPut(t, fresh, "kvtest-cull-a", "e1", r.Value(1), r.ShortTTL)
	if err := fresh.PutMany(ctx, "kvtest-cull-a", []string{"e2", "keep"}, []V{r.Value(2), r.Value(3)}, 0); err != nil {
		t.Fatal(err)
	}
	if err := fresh.PutMany(ctx, "kvtest-cull-a", []string{"e2"}, []V{r.Value(2)}, r.ShortTTL); err != nil {
		t.Fatal(err)
	}
	r.mustPut(t, fresh, "kvtest-cull-b", "e3", r.Value(4), r.ShortTTL)

	r.mustPut(t, r.store, onlyExpired, "k", r.Value(5), r.ShortTTL)
	r.mustPut(t, r.store, coll, "forever", r.Value(6), 0)
	r.mustPut(t, r.store, coll, "long", r.Value(7), time.Hour)
	if err := r.store.PutMany(ctx, coll, []string{"short1", "short2", "short3", "short4", "short5", "short6"},
		[]V{r.Value(8), r.Value(9), r.Value(10), r.Value(11), r.Value(16), r.Value(17)}, r.ShortTTL); err != nil {
		t.Fatal(err)
	}
	written := time.Now()
	before := r.version(t, coll, "short5", r.Value(16))

	// Visible until it expires.
	e, err := r.store.TTL(ctx, coll, "short1")
	if err != nil || !e.Found || !e.Expires || e.TTL <= 0 || e.TTL > r.ShortTTL+time.Millisecond {
		t.Errorf("TTL before expiry = found %v, Expires %v, TTL %v, %v; want found, at most %v left",
			e.Found, e.Expires, e.TTL, err, r.ShortTTL)
	}

	deadline := written.Add(r.ShortTTL + expiryGrace)
	err = eventually(ctx, deadline, func() (bool, error) {
		for _, probe := range []struct {
			store     kv.Store[V]
			coll, key string
		}{{r.store, coll, "short4"}, {r.store, onlyExpired, "k"}, {fresh, "kvtest-cull-b", "e3"}} {
			if _, ok, err := probe.store.Get(ctx, probe.coll, probe.key); err != nil || ok {
				return false, err
			}
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("entries with ttl %v are still readable %v after the put: %v", r.ShortTTL, time.Since(written), err)
	}

	t.Run("Reads", func(t *testing.T) {
		r.wantMissing(t, r.store, coll, "short1")
		if e, err := r.store.TTL(ctx, coll, "short1"); err != nil || e.Found || e.Expires {
			t.Errorf("TTL of an expired key = found %v, Expires %v, %v; want not found", e.Found, e.Expires, err)
		}
		got, err := r.store.GetMany(ctx, coll, []string{"short1", "long", "short2", "forever"})
		r.wantEntries(t, "GetMany", got, err, []int{-1, 7, -1, 6})
		got, err = r.store.TTLMany(ctx, coll, []string{"short1", "long", "short2", "forever"})
		r.wantEntries(t, "TTLMany", got, err, []int{-1, 7, -1, 6})
	})
	t.Run("Keys", func(t *testing.T) {
		if keys, err := r.store.Keys(ctx, coll, "", 100); err != nil || !slices.Equal(keys, []string{"forever", "long"}) {
			t.Errorf("Keys = %q, %v; want [forever long]", keys, err)
		}
		if keys, err := r.store.Keys(ctx, onlyExpired, "", 100); err != nil || len(keys) != 0 {
			t.Errorf("Keys of a collection of expired keys = %q, %v; want none", keys, err)
		}
	})
	t.Run("Collections", func(t *testing.T) {
		got, err := r.store.Collections(ctx)
		if err != nil || slices.Contains(got, onlyExpired) || !slices.Contains(got, coll) {
			t.Errorf("Collections = %q, %v; want %q listed and %q not", got, err, coll, onlyExpired)
		}
		if got, err := fresh.Collections(ctx); err != nil || !slices.Equal(got, []string{"kvtest-cull-a"}) {
			t.Errorf("Collections of the fresh store = %q, %v; want [kvtest-cull-a]", got, err)
		}
	})
	t.Run("Delete", func(t *testing.T) {
		if ok, err := r.store.Delete(ctx, coll, "short1"); err != nil || ok {
			t.Errorf("Delete of an expired key = %v, %v; want false", ok, err)
		}
		if n, err := r.store.DeleteMany(ctx, coll, []string{"short2", "short3"}); err != nil || n != 0 {
			t.Errorf("DeleteMany of expired keys = %d, %v; want 0", n, err)
		}
		if n, err := r.store.DeleteMany(ctx, coll, []string{"short2", "long"}); err != nil || n != 1 {
			t.Errorf("DeleteMany of an expired and a live key = %d, %v; want 1", n, err)
		}
	})
	t.Run("PutOverExpired", func(t *testing.T) {
		r.mustPut(t, r.store, coll, "short4", r.Value(12), 0)
		e, err := r.store.TTL(ctx, coll, "short4")
		if err != nil || !e.Found || e.Expires || !r.Equal(e.Value, r.Value(12)) {
			t.Errorf("put over an expired entry: found %v, Expires %v, %v; want Value(12) without expiry", e.Found, e.Expires, err)
		}
	})
	t.Run("Conditional", func(t *testing.T) { r.conditionalExpiry(t, coll, before) })
	t.Run("DeleteCollection", func(t *testing.T) {
		if n, err := r.store.DeleteCollection(ctx, onlyExpired); err != nil || n != 0 {
			t.Errorf("DeleteCollection of expired keys = %d, %v; want 0", n, err)
		}
	})
	t.Run("Cull", func(t *testing.T) {
		if n, err := fresh.Cull(ctx); err != nil || n != 3 {
			t.Errorf("Cull = %d, %v; want 3 (e1, e2, e3)", n, err)
		}
		if n, err := fresh.Cull(ctx); err != nil || n != 0 {
			t.Errorf("second Cull = %d, %v; want 0", n, err)
		}
		r.wantValue(t, fresh, "kvtest-cull-a", "keep", r.Value(3))
		if n, err := r.store.Cull(ctx); err != nil || n < 0 {
			t.Errorf("Cull of the shared store = %d, %v", n, err)
		}
	})
}
