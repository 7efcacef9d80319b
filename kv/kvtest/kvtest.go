// Package kvtest is the conformance suite of kv.Store: every implementation
// (the memory store, the generated PostgreSQL store, its untyped view) runs
// it, so that they all keep the contract documented on kv.Store. It covers
// py-key-value's shared store tests and the rules of kvgen's design.
package kvtest

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/kvgen/kvgen/kv"
)

// Suite describes the store under test.
type Suite[V any] struct {
	// New returns a store holding no entries. Run calls it once for the
	// subtests that share a store (each in collections of its own) and once
	// more for each of the two subtests that need an empty store
	// (Collections and Expiry, whose counts are exact).
	New func(t *testing.T) kv.Store[V]
	// Value returns distinct valid values: Value(i) differs from Value(j) for i != j.
	Value func(i int) V
	// Equal compares values; nil means reflect.DeepEqual.
	Equal func(a, b V) bool
	// Invalid returns a value that the store refuses to encode (a
	// *kv.ValidationError); it is what shows that PutMany writes nothing
	// when one value fails. nil skips that one check.
	Invalid func() V
	// DefaultCollection is the store's default collection; "" means
	// kv.DefaultCollection.
	DefaultCollection string
	// ShortTTL is the ttl of the expiry checks, which wait for it to pass;
	// 0 means one second. Entries must be gone ShortTTL+1.5s after the put.
	ShortTTL time.Duration
}

// expiryGrace is how long past its ttl an entry may still be seen: the
// store's clock and the test's differ by a round trip.
const expiryGrace = 1500 * time.Millisecond

// Run runs the conformance suite as subtests of t.
func Run[V any](t *testing.T, s Suite[V]) {
	t.Helper()
	newRunner(t, s).run(t, nil)
}

func newRunner[V any](t *testing.T, s Suite[V]) *runner[V] {
	t.Helper()
	if s.New == nil || s.Value == nil {
		t.Fatal("kvtest: Suite.New and Suite.Value are required")
	}
	if s.Equal == nil {
		s.Equal = func(a, b V) bool { return reflect.DeepEqual(a, b) }
	}
	if s.DefaultCollection == "" {
		s.DefaultCollection = kv.DefaultCollection
	}
	if s.ShortTTL <= 0 {
		s.ShortTTL = time.Second
	}
	return &runner[V]{Suite: s, store: s.New(t)}
}

// run runs the cases of every store, then extra.
func (r *runner[V]) run(t *testing.T, extra []testCase) {
	t.Helper()
	for _, c := range append(r.cases(), extra...) {
		t.Run(c.name, c.run)
	}
}

type runner[V any] struct {
	Suite[V]
	store kv.Store[V]
}

type testCase struct {
	name string
	run  func(t *testing.T)
}

func (r *runner[V]) cases() []testCase {
	return []testCase{
		{"GetMissing", r.testGetMissing},
		{"PutGet", r.testPutGet},
		{"Overwrite", r.testOverwrite},
		{"PutManyGetMany", r.testPutManyGetMany},
		{"GetManyMissing", r.testGetManyMissing},
		{"GetManyDuplicates", r.testGetManyDuplicates},
		{"GetManyEmpty", r.testGetManyEmpty},
		{"TTLMany", r.testTTLMany},
		{"DeleteTwice", r.testDeleteTwice},
		{"DeleteMissing", r.testDeleteMissing},
		{"DeleteMany", r.testDeleteMany},
		{"PutManyDeleteManyGetMany", r.testPutManyDeleteManyGetMany},
		{"TTL", r.testTTL},
		{"NoTTL", r.testNoTTL},
		{"OverwriteChangesTTL", r.testOverwriteChangesTTL},
		{"NegativeTTL", r.testNegativeTTL},
		{"PutManyLengthMismatch", r.testPutManyLengthMismatch},
		{"PutManyDuplicateKeys", r.testPutManyDuplicateKeys},
		{"PutManyAtomic", r.testPutManyAtomic},
		{"LongNames", r.testLongNames},
		{"SpecialCharacters", r.testSpecialCharacters},
		{"DefaultCollection", r.testDefaultCollection},
		{"InvalidKeys", r.testInvalidKeys},
		{"KeysPaging", r.testKeysPaging},
		{"Collections", r.testCollections},
		{"DeleteCollection", r.testDeleteCollection},
		{"CompareAndSwap", r.testCompareAndSwap},
		{"Replace", r.testReplace},
		{"CompareAndDelete", r.testCompareAndDelete},
		{"GetAndDelete", r.testGetAndDelete},
		{"Concurrency", r.testConcurrency},
		{"ConditionalConcurrency", r.testConditionalConcurrency},
		{"ConcurrentBatches", r.testConcurrentBatches},
		{"KeysOrder", r.testKeysOrder},
		{"Expiry", r.testExpiry},
	}
}

// collection names a collection after the running subtest, so that
// subtests sharing a store never see each other's entries.
func collection(t *testing.T, suffix string) string {
	return "kvtest/" + t.Name() + suffix
}

// mustPut puts and fails the test on error.
func (r *runner[V]) mustPut(t *testing.T, store kv.Store[V], coll, key string, v V, ttl time.Duration) {
	t.Helper()
	if err := store.Put(t.Context(), coll, key, v, ttl); err != nil {
		t.Fatalf("Put(%q, %q): %v", coll, key, err)
	}
}

// wantValue checks that key holds want.
func (r *runner[V]) wantValue(t *testing.T, store kv.Store[V], coll, key string, want V) {
	t.Helper()
	got, ok, err := store.Get(t.Context(), coll, key)
	switch {
	case err != nil:
		t.Errorf("Get(%q, %q): %v", coll, key, err)
	case !ok:
		t.Errorf("Get(%q, %q): not found, want a value", coll, key)
	case !r.Equal(got, want):
		t.Errorf("Get(%q, %q) = %v, want %v", coll, key, got, want)
	}
}

// wantMissing checks that key is not found, without an error.
func (r *runner[V]) wantMissing(t *testing.T, store kv.Store[V], coll, key string) {
	t.Helper()
	got, ok, err := store.Get(t.Context(), coll, key)
	switch {
	case err != nil:
		t.Errorf("Get(%q, %q): %v", coll, key, err)
	case ok:
		t.Errorf("Get(%q, %q) = %v, want not found", coll, key, got)
	}
}

// wantEntries checks GetMany's or TTLMany's result: want[i] < 0 means not
// found, else Value(want[i]).
func (r *runner[V]) wantEntries(t *testing.T, call string, got []kv.Entry[V], err error, want []int) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v", call, err)
		return
	}
	if len(got) != len(want) {
		t.Errorf("%s returned %d entries, want %d (one per key, in order)", call, len(got), len(want))
		return
	}
	for i, w := range want {
		switch {
		case w < 0 && got[i].Found:
			t.Errorf("%s[%d] = %v, want not found", call, i, got[i].Value)
		case w >= 0 && !got[i].Found:
			t.Errorf("%s[%d] not found, want Value(%d)", call, i, w)
		case w >= 0 && !r.Equal(got[i].Value, r.Value(w)):
			t.Errorf("%s[%d] = %v, want Value(%d) = %v", call, i, got[i].Value, w, r.Value(w))
		}
	}
}

// eventually polls cond until it holds or the deadline passes.
func eventually(ctx context.Context, deadline time.Time, cond func() (bool, error)) error {
	for {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("still not true after the deadline")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
}
