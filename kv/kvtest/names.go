package kvtest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kvgen/kvgen/kv"
)

func (r *runner[V]) testLongNames(t *testing.T) {
	ctx := t.Context()
	coll := collection(t, "/") + strings.Repeat("c", max(0, 1500-len(collection(t, "/"))))
	key := strings.Repeat("k", 800)
	r.mustPut(t, r.store, coll, key, r.Value(1), 0)
	r.wantValue(t, r.store, coll, key, r.Value(1))
	got, err := r.store.GetMany(ctx, coll, []string{key})
	r.wantEntries(t, "GetMany(800-character key)", got, err, []int{1})
	if ok, err := r.store.Delete(ctx, coll, key); err != nil || !ok {
		t.Errorf("Delete(800-character key) = %v, %v; want true", ok, err)
	}

	// The bound on collection and key together is the same for every store.
	short := collection(t, "")
	longest := strings.Repeat("é", (kv.MaxKeyBytes-len(short))/2) // 2 bytes each
	longest += strings.Repeat("x", kv.MaxKeyBytes-len(short)-len(longest))
	r.mustPut(t, r.store, short, longest, r.Value(2), 0)
	r.wantValue(t, r.store, short, longest, r.Value(2))
	if err := r.store.Put(ctx, short, longest+"x", r.Value(3), 0); !errors.Is(err, kv.ErrInvalidKey) {
		t.Errorf("Put of a key one byte over MaxKeyBytes: %v, want ErrInvalidKey", err)
	}
}

func (r *runner[V]) testSpecialCharacters(t *testing.T) {
	ctx := t.Context()
	for i, name := range []struct{ coll, key string }{
		{collection(t, "!@#$%^&*()"), "!@#$%^&*()"},
		{"!@#$%^&*()", "kvtest/" + t.Name() + "!@#$%^&*()"},
		{collection(t, `/with space/"quote"\back'slash`), `key with space "quote" \back'slash`},
		{collection(t, "/ключ 🔑"), "значение 世界 🌍 %_ 'x' --"},
		{collection(t, "/percent"), "%"},
		{collection(t, "/underscore"), "_"},
	} {
		r.mustPut(t, r.store, name.coll, name.key, r.Value(i), 0)
		r.wantValue(t, r.store, name.coll, name.key, r.Value(i))
		keys, err := r.store.Keys(ctx, name.coll, "", 10)
		if name.coll != "!@#$%^&*()" && (err != nil || !slices.Equal(keys, []string{name.key})) {
			t.Errorf("Keys(%q) = %q, %v; want [%q]", name.coll, keys, err, name.key)
		}
		if ok, err := r.store.Delete(ctx, name.coll, name.key); err != nil || !ok {
			t.Errorf("Delete(%q, %q) = %v, %v; want true", name.coll, name.key, ok, err)
		}
	}
	// LIKE-pattern characters in a key must not match other keys.
	coll := collection(t, "/like")
	r.mustPut(t, r.store, coll, "abc", r.Value(1), 0)
	r.wantMissing(t, r.store, coll, "a%")
	r.wantMissing(t, r.store, coll, "a_c")
	if ok, err := r.store.Delete(ctx, coll, "a%"); err != nil || ok {
		t.Errorf(`Delete("a%%") = %v, %v; want false`, ok, err)
	}
	r.wantValue(t, r.store, coll, "abc", r.Value(1))
}

func (r *runner[V]) testDefaultCollection(t *testing.T) {
	ctx := t.Context()
	prefix := "kvtest/" + t.Name()
	a, b := prefix+"/a", prefix+"/b"

	r.mustPut(t, r.store, "", a, r.Value(1), 0)
	r.wantValue(t, r.store, r.DefaultCollection, a, r.Value(1))
	r.mustPut(t, r.store, r.DefaultCollection, b, r.Value(2), 0)
	r.wantValue(t, r.store, "", b, r.Value(2))

	got, err := r.store.GetMany(ctx, "", []string{a, b})
	r.wantEntries(t, `GetMany("")`, got, err, []int{1, 2})
	if keys, err := r.store.Keys(ctx, "", a, 1); err != nil || !slices.Equal(keys, []string{b}) {
		t.Errorf(`Keys("", after %q) = %q, %v; want [%q]`, a, keys, err, b)
	}
	if err := r.store.PutMany(ctx, "", []string{a}, []V{r.Value(3)}, 0); err != nil {
		t.Fatalf(`PutMany(""): %v`, err)
	}
	r.wantValue(t, r.store, r.DefaultCollection, a, r.Value(3))
	if ok, err := r.store.Delete(ctx, "", a); err != nil || !ok {
		t.Errorf(`Delete("", a) = %v, %v; want true`, ok, err)
	}
	r.wantMissing(t, r.store, r.DefaultCollection, a)
	if n, err := r.store.DeleteMany(ctx, "", []string{b}); err != nil || n != 1 {
		t.Errorf(`DeleteMany("", b) = %d, %v; want 1`, n, err)
	}
	r.wantMissing(t, r.store, r.DefaultCollection, b)
}

func (r *runner[V]) testInvalidKeys(t *testing.T) {
	ctx, coll := t.Context(), collection(t, "")
	r.mustPut(t, r.store, coll, "good", r.Value(1), 0)
	for _, c := range []struct{ name, coll, key string }{
		{"EmptyKey", coll, ""},
		{"NULInKey", coll, "a\x00b"},
		{"InvalidUTF8Key", coll, "a\xffb"},
		{"TooLong", coll, strings.Repeat("k", kv.MaxKeyBytes-len(coll)+1)},
		{"NULInCollection", coll + "\x00", "k"},
		{"InvalidUTF8Collection", coll + "\xfe", "k"},
	} {
		t.Run(c.name, func(t *testing.T) {
			check := func(call string, err error) {
				t.Helper()
				if !errors.Is(err, kv.ErrInvalidKey) {
					t.Errorf("%s: %v, want ErrInvalidKey", call, err)
				}
			}
			check("Put", r.store.Put(ctx, c.coll, c.key, r.Value(2), 0))
			_, _, err := r.store.Get(ctx, c.coll, c.key)
			check("Get", err)
			_, err = r.store.TTL(ctx, c.coll, c.key)
			check("TTL", err)
			_, err = r.store.GetMany(ctx, c.coll, []string{"good", c.key})
			check("GetMany", err)
			_, err = r.store.TTLMany(ctx, c.coll, []string{"good", c.key})
			check("TTLMany", err)
			check("PutMany", r.store.PutMany(ctx, c.coll, []string{"new", c.key}, []V{r.Value(3), r.Value(4)}, 0))
			_, err = r.store.Delete(ctx, c.coll, c.key)
			check("Delete", err)
			_, err = r.store.DeleteMany(ctx, c.coll, []string{"good", c.key})
			check("DeleteMany", err)
			_, _, err = r.store.GetVersion(ctx, c.coll, c.key)
			check("GetVersion", err)
			_, err = r.store.CompareAndSwap(ctx, c.coll, c.key, kv.Version{}, r.Value(5), 0)
			check("CompareAndSwap", err)
			_, err = r.store.Replace(ctx, c.coll, c.key, r.Value(6), 0)
			check("Replace", err)
			_, err = r.store.CompareAndDelete(ctx, c.coll, c.key, kv.Version{})
			check("CompareAndDelete", err)
			_, _, err = r.store.GetAndDelete(ctx, c.coll, c.key)
			check("GetAndDelete", err)
			r.wantValue(t, r.store, coll, "good", r.Value(1))
			r.wantMissing(t, r.store, coll, "new")
			if c.coll != coll {
				_, err = r.store.Keys(ctx, c.coll, "", 10)
				check("Keys", err)
				_, err = r.store.DeleteCollection(ctx, c.coll)
				check("DeleteCollection", err)
			}
		})
	}
}

func (r *runner[V]) testKeysPaging(t *testing.T) {
	ctx, coll := t.Context(), collection(t, "")
	var want []string
	for i := range 25 {
		want = append(want, fmt.Sprintf("k%02d", i))
	}
	// Written out of order, partly in one PutMany.
	for i := 24; i >= 10; i-- {
		r.mustPut(t, r.store, coll, want[i], r.Value(i), 0)
	}
	if err := r.store.PutMany(ctx, coll, want[:10], valuesFor(r, 0, 10), 0); err != nil {
		t.Fatalf("PutMany: %v", err)
	}
	r.mustPut(t, r.store, coll, "k99-deleted", r.Value(99), 0)
	if _, err := r.store.Delete(ctx, coll, "k99-deleted"); err != nil {
		t.Fatal(err)
	}

	var got []string
	var sizes []int
	after := ""
	for page := 0; page < 10; page++ {
		keys, err := r.store.Keys(ctx, coll, after, 10)
		if err != nil {
			t.Fatalf("Keys(after %q): %v", after, err)
		}
		sizes = append(sizes, len(keys))
		got = append(got, keys...)
		if len(keys) < 10 {
			break
		}
		after = keys[len(keys)-1]
	}
	if !slices.Equal(got, want) || !slices.Equal(sizes, []int{10, 10, 5}) {
		t.Errorf("paging by 10 gave pages of %v: %q; want pages of [10 10 5]: %q", sizes, got, want)
	}
	if keys, err := r.store.Keys(ctx, coll, "k04", 3); err != nil || !slices.Equal(keys, want[5:8]) {
		t.Errorf(`Keys(after "k04", 3) = %q, %v; want %q`, keys, err, want[5:8])
	}
	if keys, err := r.store.Keys(ctx, coll, "k04x", 2); err != nil || !slices.Equal(keys, want[5:7]) {
		t.Errorf(`Keys(after "k04x", 2) = %q, %v; want %q (the cursor need not be a key)`, keys, err, want[5:7])
	}
	if keys, err := r.store.Keys(ctx, coll, "k24", 10); err != nil || len(keys) != 0 {
		t.Errorf(`Keys(after the last key) = %q, %v; want none`, keys, err)
	}
	if keys, err := r.store.Keys(ctx, coll+"-empty", "", 10); err != nil || len(keys) != 0 {
		t.Errorf(`Keys(empty collection) = %q, %v; want none`, keys, err)
	}
}

func valuesFor[V any](r *runner[V], from, to int) []V {
	out := make([]V, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, r.Value(i))
	}
	return out
}

func (r *runner[V]) testCollections(t *testing.T) {
	ctx, store := t.Context(), r.New(t)
	if got, err := store.Collections(ctx); err != nil || len(got) != 0 {
		t.Errorf("Collections of an empty store = %q, %v; want none", got, err)
	}
	r.mustPut(t, store, "kvtest-b", "k", r.Value(1), 0)
	r.mustPut(t, store, "kvtest-a/x", "k", r.Value(2), 0)
	if err := store.PutMany(ctx, "kvtest-c", []string{"k1", "k2"}, []V{r.Value(3), r.Value(4)}, 0); err != nil {
		t.Fatal(err)
	}
	r.mustPut(t, store, "kvtest-deleted", "k", r.Value(5), 0)
	if _, err := store.Delete(ctx, "kvtest-deleted", "k"); err != nil {
		t.Fatal(err)
	}
	want := []string{"kvtest-a/x", "kvtest-b", "kvtest-c"}
	if got, err := store.Collections(ctx); err != nil || !slices.Equal(got, want) {
		t.Errorf("Collections = %q, %v; want %q", got, err, want)
	}
}

func (r *runner[V]) testDeleteCollection(t *testing.T) {
	ctx := t.Context()
	doomed, kept := collection(t, "/doomed"), collection(t, "/kept")
	if err := r.store.PutMany(ctx, doomed, []string{"a", "b", "c"}, valuesFor(r, 1, 4), 0); err != nil {
		t.Fatal(err)
	}
	r.mustPut(t, r.store, doomed, "expiring", r.Value(4), time.Hour)
	r.mustPut(t, r.store, kept, "a", r.Value(5), 0)
	if n, err := r.store.DeleteCollection(ctx, doomed); err != nil || n != 4 {
		t.Errorf("DeleteCollection = %d, %v; want 4", n, err)
	}
	for _, k := range []string{"a", "b", "c", "expiring"} {
		r.wantMissing(t, r.store, doomed, k)
	}
	if keys, err := r.store.Keys(ctx, doomed, "", 10); err != nil || len(keys) != 0 {
		t.Errorf("Keys after DeleteCollection = %q, %v; want none", keys, err)
	}
	r.wantValue(t, r.store, kept, "a", r.Value(5))
	if n, err := r.store.DeleteCollection(ctx, doomed); err != nil || n != 0 {
		t.Errorf("second DeleteCollection = %d, %v; want 0", n, err)
	}
}

// testKeysOrder pages through orderKeys, whose order depends on the
// collation: pages of 1, 2 and 5 keys give every key once, in the order of
// one Keys call, whatever order the store sorts them in.
func (r *runner[V]) testKeysOrder(t *testing.T) {
	ctx, coll := t.Context(), collection(t, "")
	if err := r.store.PutMany(ctx, coll, orderKeys, valuesFor(r, 0, len(orderKeys)), 0); err != nil {
		t.Fatal(err)
	}
	all, err := r.store.Keys(ctx, coll, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := slices.Sorted(slices.Values(all)), slices.Sorted(slices.Values(orderKeys)); !slices.Equal(got, want) {
		t.Fatalf("Keys = %q; want each of %q once", all, orderKeys)
	}
	for _, size := range []int{1, 2, 5} {
		var got []string
		for after := ""; ; {
			page, err := r.store.Keys(ctx, coll, after, size)
			if err != nil {
				t.Fatalf("Keys(after %q, %d): %v", after, size, err)
			}
			got = append(got, page...)
			if len(page) < size || len(got) > len(all) {
				break
			}
			after = page[len(page)-1]
		}
		if !slices.Equal(got, all) {
			t.Errorf("pages of %d keys = %q; want %q, the order of one Keys call", size, got, all)
		}
	}
}
