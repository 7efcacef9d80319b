package kvtest

import (
	"errors"
	"testing"
	"time"

	"github.com/kvgen/kvgen/kv"
)

func (r *runner[V]) testGetMissing(t *testing.T) {
	ctx, coll := t.Context(), collection(t, "")
	r.wantMissing(t, r.store, coll, "missing")
	e, err := r.store.TTL(ctx, coll, "missing")
	if err != nil || e.Found || e.Expires || e.TTL != 0 {
		t.Errorf("TTL of a missing key = %+v, %v; want not found, no expiry, no error", e, err)
	}
}

func (r *runner[V]) testPutGet(t *testing.T) {
	coll := collection(t, "")
	r.mustPut(t, r.store, coll, "k", r.Value(0), 0)
	r.wantValue(t, r.store, coll, "k", r.Value(0))
	r.wantMissing(t, r.store, coll+"-other", "k")
}

func (r *runner[V]) testOverwrite(t *testing.T) {
	coll := collection(t, "")
	r.mustPut(t, r.store, coll, "k", r.Value(0), 0)
	r.mustPut(t, r.store, coll, "k", r.Value(1), 0)
	r.wantValue(t, r.store, coll, "k", r.Value(1))
}

func (r *runner[V]) testPutManyGetMany(t *testing.T) {
	ctx, coll := t.Context(), collection(t, "")
	keys := []string{"k1", "k2", "k3"}
	if err := r.store.PutMany(ctx, coll, keys, []V{r.Value(1), r.Value(2), r.Value(3)}, 0); err != nil {
		t.Fatalf("PutMany: %v", err)
	}
	for i, k := range keys {
		r.wantValue(t, r.store, coll, k, r.Value(i+1))
	}
	got, err := r.store.GetMany(ctx, coll, keys)
	r.wantEntries(t, "GetMany(k1, k2, k3)", got, err, []int{1, 2, 3})
	got, err = r.store.GetMany(ctx, coll, []string{"k3", "k1", "k2"})
	r.wantEntries(t, "GetMany(k3, k1, k2)", got, err, []int{3, 1, 2})
}

func (r *runner[V]) testGetManyMissing(t *testing.T) {
	ctx, coll := t.Context(), collection(t, "")
	r.mustPut(t, r.store, coll, "k1", r.Value(1), 0)
	r.mustPut(t, r.store, coll, "k2", r.Value(2), 0)
	got, err := r.store.GetMany(ctx, coll, []string{"k1", "k2", "missing"})
	r.wantEntries(t, "GetMany(k1, k2, missing)", got, err, []int{1, 2, -1})
	got, err = r.store.GetMany(ctx, coll, []string{"missing", "k2"})
	r.wantEntries(t, "GetMany(missing, k2)", got, err, []int{-1, 2})
}

func (r *runner[V]) testGetManyDuplicates(t *testing.T) {
	ctx, coll := t.Context(), collection(t, "")
	r.mustPut(t, r.store, coll, "k1", r.Value(1), 0)
	r.mustPut(t, r.store, coll, "k2", r.Value(2), 0)
	keys := []string{"k2", "k1", "k2", "missing", "k1", "missing"}
	got, err := r.store.GetMany(ctx, coll, keys)
	r.wantEntries(t, "GetMany with duplicates", got, err, []int{2, 1, 2, -1, 1, -1})
	got, err = r.store.TTLMany(ctx, coll, keys)
	r.wantEntries(t, "TTLMany with duplicates", got, err, []int{2, 1, 2, -1, 1, -1})
}

func (r *runner[V]) testGetManyEmpty(t *testing.T) {
	ctx, coll := t.Context(), collection(t, "")
	for _, keys := range [][]string{nil, {}} {
		if got, err := r.store.GetMany(ctx, coll, keys); err != nil || len(got) != 0 {
			t.Errorf("GetMany(%q) = %d entries, %v; want none", keys, len(got), err)
		}
		if got, err := r.store.TTLMany(ctx, coll, keys); err != nil || len(got) != 0 {
			t.Errorf("TTLMany(%q) = %d entries, %v; want none", keys, len(got), err)
		}
	}
}

func (r *runner[V]) testTTLMany(t *testing.T) {
	ctx, coll := t.Context(), collection(t, "")
	r.mustPut(t, r.store, coll, "expiring", r.Value(1), 100*time.Second)
	r.mustPut(t, r.store, coll, "forever", r.Value(2), 0)
	got, err := r.store.TTLMany(ctx, coll, []string{"expiring", "forever", "missing"})
	r.wantEntries(t, "TTLMany", got, err, []int{1, 2, -1})
	if len(got) != 3 {
		return
	}
	if !got[0].Expires || got[0].TTL < 98*time.Second || got[0].TTL > 102*time.Second {
		t.Errorf("TTLMany[expiring] = Expires %v, TTL %v; want about 100s", got[0].Expires, got[0].TTL)
	}
	if got[1].Expires || got[1].TTL != 0 {
		t.Errorf("TTLMany[forever] = Expires %v, TTL %v; want no expiry", got[1].Expires, got[1].TTL)
	}
	if got[2].Expires || got[2].TTL != 0 {
		t.Errorf("TTLMany[missing] = Expires %v, TTL %v; want no expiry", got[2].Expires, got[2].TTL)
	}
}

func (r *runner[V]) testDeleteTwice(t *testing.T) {
	ctx, coll := t.Context(), collection(t, "")
	r.mustPut(t, r.store, coll, "k", r.Value(0), 0)
	if ok, err := r.store.Delete(ctx, coll, "k"); err != nil || !ok {
		t.Errorf("first Delete = %v, %v; want true", ok, err)
	}
	if ok, err := r.store.Delete(ctx, coll, "k"); err != nil || ok {
		t.Errorf("second Delete = %v, %v; want false", ok, err)
	}
	r.wantMissing(t, r.store, coll, "k")
}

func (r *runner[V]) testDeleteMissing(t *testing.T) {
	ctx, coll := t.Context(), collection(t, "")
	if ok, err := r.store.Delete(ctx, coll, "never-written"); err != nil || ok {
		t.Errorf("Delete of a missing key = %v, %v; want false", ok, err)
	}
	r.mustPut(t, r.store, coll, "other", r.Value(0), 0)
	if ok, err := r.store.Delete(ctx, coll, "never-written"); err != nil || ok {
		t.Errorf("Delete of a missing key beside another = %v, %v; want false", ok, err)
	}
	r.wantValue(t, r.store, coll, "other", r.Value(0))
}

func (r *runner[V]) testDeleteMany(t *testing.T) {
	ctx, coll := t.Context(), collection(t, "")
	deleteMany := func(want int, keys ...string) {
		t.Helper()
		if n, err := r.store.DeleteMany(ctx, coll, keys); err != nil || n != want {
			t.Errorf("DeleteMany(%q) = %d, %v; want %d", keys, n, err, want)
		}
	}
	deleteMany(0, "a", "b")
	deleteMany(0)
	r.mustPut(t, r.store, coll, "a", r.Value(1), 0)
	deleteMany(1, "a", "b")
	deleteMany(0, "a", "b")
	r.mustPut(t, r.store, coll, "a", r.Value(1), 0)
	r.mustPut(t, r.store, coll, "b", r.Value(2), 0)
	r.mustPut(t, r.store, coll, "c", r.Value(3), 0)
	deleteMany(2, "a", "a", "b", "missing")
	r.wantMissing(t, r.store, coll, "a")
	r.wantMissing(t, r.store, coll, "b")
	r.wantValue(t, r.store, coll, "c", r.Value(3))
}

func (r *runner[V]) testPutManyDeleteManyGetMany(t *testing.T) {
	ctx, coll := t.Context(), collection(t, "")
	keys := []string{"k1", "k2", "k3"}
	if err := r.store.PutMany(ctx, coll, keys, []V{r.Value(1), r.Value(2), r.Value(3)}, 0); err != nil {
		t.Fatalf("PutMany: %v", err)
	}
	if n, err := r.store.DeleteMany(ctx, coll, keys); err != nil || n != 3 {
		t.Errorf("DeleteMany = %d, %v; want 3", n, err)
	}
	got, err := r.store.GetMany(ctx, coll, keys)
	r.wantEntries(t, "GetMany after DeleteMany", got, err, []int{-1, -1, -1})
}

func (r *runner[V]) testTTL(t *testing.T) {
	ctx, coll := t.Context(), collection(t, "")
	wantAbout100s := func(key string) {
		t.Helper()
		e, err := r.store.TTL(ctx, coll, key)
		if err != nil || !e.Found {
			t.Errorf("TTL(%q) = found %v, %v; want found", key, e.Found, err)
			return
		}
		if !e.Expires || e.TTL < 98*time.Second || e.TTL > 102*time.Second {
			t.Errorf("TTL(%q) = Expires %v, TTL %v; want 100s ± 2s", key, e.Expires, e.TTL)
		}
		if !r.Equal(e.Value, r.Value(1)) {
			t.Errorf("TTL(%q) value = %v, want %v", key, e.Value, r.Value(1))
		}
	}
	r.mustPut(t, r.store, coll, "put", r.Value(1), 100*time.Second)
	wantAbout100s("put")
	if err := r.store.PutMany(ctx, coll, []string{"many"}, []V{r.Value(1)}, 100*time.Second); err != nil {
		t.Fatalf("PutMany: %v", err)
	}
	wantAbout100s("many")
	got, err := r.store.GetMany(ctx, coll, []string{"put", "many"})
	r.wantEntries(t, "GetMany", got, err, []int{1, 1})
	for i, e := range got {
		if !e.Expires || e.TTL < 98*time.Second || e.TTL > 102*time.Second {
			t.Errorf("GetMany[%d] = Expires %v, TTL %v; want 100s ± 2s", i, e.Expires, e.TTL)
		}
	}
}

func (r *runner[V]) testNoTTL(t *testing.T) {
	ctx, coll := t.Context(), collection(t, "")
	r.mustPut(t, r.store, coll, "k", r.Value(1), 0)
	e, err := r.store.TTL(ctx, coll, "k")
	if err != nil || !e.Found || e.Expires || e.TTL != 0 {
		t.Errorf("TTL without expiry = found %v, Expires %v, TTL %v, %v; want found, no expiry, zero",
			e.Found, e.Expires, e.TTL, err)
	}
}

func (r *runner[V]) testOverwriteChangesTTL(t *testing.T) {
	ctx, coll := t.Context(), collection(t, "")
	r.mustPut(t, r.store, coll, "k", r.Value(1), 100*time.Second)
	r.mustPut(t, r.store, coll, "k", r.Value(2), 0)
	e, err := r.store.TTL(ctx, coll, "k")
	if err != nil || !e.Found || e.Expires {
		t.Errorf("after a put without ttl: found %v, Expires %v, %v; want found without expiry", e.Found, e.Expires, err)
	}
	r.mustPut(t, r.store, coll, "k", r.Value(3), 100*time.Second)
	e, err = r.store.TTL(ctx, coll, "k")
	if err != nil || !e.Found || !e.Expires || e.TTL < 98*time.Second || e.TTL > 102*time.Second {
		t.Errorf("after a put with ttl 100s: found %v, Expires %v, TTL %v, %v; want 100s", e.Found, e.Expires, e.TTL, err)
	}
}

func (r *runner[V]) testNegativeTTL(t *testing.T) {
	ctx, coll := t.Context(), collection(t, "")
	for _, ttl := range []time.Duration{-time.Second, -time.Nanosecond} {
		if err := r.store.Put(ctx, coll, "new", r.Value(1), ttl); !errors.Is(err, kv.ErrInvalidTTL) {
			t.Errorf("Put with ttl %v: %v, want ErrInvalidTTL", ttl, err)
		}
		err := r.store.PutMany(ctx, coll, []string{"many1", "many2"}, []V{r.Value(1), r.Value(2)}, ttl)
		if !errors.Is(err, kv.ErrInvalidTTL) {
			t.Errorf("PutMany with ttl %v: %v, want ErrInvalidTTL", ttl, err)
		}
	}
	r.wantMissing(t, r.store, coll, "new")
	r.wantMissing(t, r.store, coll, "many1")
	r.wantMissing(t, r.store, coll, "many2")

	r.mustPut(t, r.store, coll, "existing", r.Value(1), 0)
	if err := r.store.Put(ctx, coll, "existing", r.Value(2), -time.Second); !errors.Is(err, kv.ErrInvalidTTL) {
		t.Errorf("Put over an entry with a negative ttl: %v, want ErrInvalidTTL", err)
	}
	r.wantValue(t, r.store, coll, "existing", r.Value(1))
}

func (r *runner[V]) testPutManyLengthMismatch(t *testing.T) {
	ctx, coll := t.Context(), collection(t, "")
	err := r.store.PutMany(ctx, coll, []string{"a", "b"}, []V{r.Value(1)}, 0)
	if !errors.Is(err, kv.ErrLengthMismatch) {
		t.Errorf("PutMany of 2 keys and 1 value: %v, want ErrLengthMismatch", err)
	}
	err = r.store.PutMany(ctx, coll, []string{"c"}, []V{r.Value(1), r.Value(2)}, 0)
	if !errors.Is(err, kv.ErrLengthMismatch) {
		t.Errorf("PutMany of 1 key and 2 values: %v, want ErrLengthMismatch", err)
	}
	for _, k := range []string{"a", "b", "c"} {
		r.wantMissing(t, r.store, coll, k)
	}
}

func (r *runner[V]) testPutManyDuplicateKeys(t *testing.T) {
	ctx, coll := t.Context(), collection(t, "")
	err := r.store.PutMany(ctx, coll, []string{"a", "b", "a"}, []V{r.Value(1), r.Value(2), r.Value(3)}, 0)
	if err != nil {
		t.Fatalf("PutMany with a key twice: %v", err)
	}
	r.wantValue(t, r.store, coll, "a", r.Value(3))
	r.wantValue(t, r.store, coll, "b", r.Value(2))
}

func (r *runner[V]) testPutManyAtomic(t *testing.T) {
	ctx, coll := t.Context(), collection(t, "")
	r.mustPut(t, r.store, coll, "existing", r.Value(1), 0)
	t.Run("InvalidKey", func(t *testing.T) {
		err := r.store.PutMany(ctx, coll, []string{"a", "", "existing"}, []V{r.Value(2), r.Value(3), r.Value(4)}, 0)
		if !errors.Is(err, kv.ErrInvalidKey) {
			t.Errorf("PutMany with an empty key: %v, want ErrInvalidKey", err)
		}
		r.wantMissing(t, r.store, coll, "a")
		r.wantValue(t, r.store, coll, "existing", r.Value(1))
	})
	t.Run("InvalidValue", func(t *testing.T) {
		if r.Invalid == nil {
			t.Skip("Suite.Invalid is nil: no value that fails to encode")
		}
		err := r.store.PutMany(ctx, coll, []string{"b", "c", "existing"}, []V{r.Value(2), r.Invalid(), r.Value(4)}, 0)
		if !errors.Is(err, kv.ErrInvalid) {
			t.Errorf("PutMany with an invalid value: %v, want ErrInvalid", err)
		}
		r.wantMissing(t, r.store, coll, "b")
		r.wantMissing(t, r.store, coll, "c")
		r.wantValue(t, r.store, coll, "existing", r.Value(1))
		if err := r.store.Put(ctx, coll, "existing", r.Invalid(), 0); !errors.Is(err, kv.ErrInvalid) {
			t.Errorf("Put of an invalid value: %v, want ErrInvalid", err)
		}
		r.wantValue(t, r.store, coll, "existing", r.Value(1))
	})
}
