package kv_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/kvgen/kvgen/kv"
)

// recorder is a Backend that records the calls that reach it.
type recorder struct {
	kv.Backend
	mu    sync.Mutex
	calls []string
	keys  [][]string
	data  [][][]byte
	limit int
}

func (r *recorder) record(call string, keys []string, data [][]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, call)
	r.keys = append(r.keys, slices.Clone(keys))
	r.data = append(r.data, data)
}

func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls, r.keys, r.data = nil, nil, nil
}

func (r *recorder) Get(ctx context.Context, c, k string) (kv.Raw, bool, error) {
	r.record("Get", []string{k}, nil)
	return r.Backend.Get(ctx, c, k)
}

func (r *recorder) GetMany(ctx context.Context, c string, keys []string) ([]kv.Raw, error) {
	r.record("GetMany", keys, nil)
	return r.Backend.GetMany(ctx, c, keys)
}

func (r *recorder) Put(ctx context.Context, c, k string, v []byte, ttl *float64) error {
	r.record("Put", []string{k}, [][]byte{v})
	return r.Backend.Put(ctx, c, k, v, ttl)
}

func (r *recorder) PutMany(ctx context.Context, c string, keys []string, values [][]byte, ttl *float64) error {
	r.record("PutMany", keys, values)
	return r.Backend.PutMany(ctx, c, keys, values, ttl)
}

func (r *recorder) Delete(ctx context.Context, c, k string) (bool, error) {
	r.record("Delete", []string{k}, nil)
	return r.Backend.Delete(ctx, c, k)
}

func (r *recorder) DeleteMany(ctx context.Context, c string, keys []string) (int, error) {
	r.record("DeleteMany", keys, nil)
	return r.Backend.DeleteMany(ctx, c, keys)
}

func (r *recorder) Keys(ctx context.Context, c, after string, limit int) ([]string, error) {
	r.record("Keys", nil, nil)
	r.limit = limit
	return r.Backend.Keys(ctx, c, after, limit)
}

func newRecorded(t *testing.T) (*kv.ValueStore[map[string]any], *recorder) {
	t.Helper()
	rec := &recorder{Backend: kv.NewMemory()}
	codec, err := kv.NewMapCodec(nil, kv.EncryptionNone, nil)
	if err != nil {
		t.Fatal(err)
	}
	return kv.NewValueStore(rec, codec, ""), rec
}

func TestValueStoreManyCallsAreOneBackendCall(t *testing.T) {
	ctx := t.Context()
	s, rec := newRecorded(t)
	var keys []string
	var values []map[string]any
	for i := range 50 {
		keys = append(keys, fmt.Sprintf("k%02d", 49-i))
		values = append(values, map[string]any{"i": i})
	}
	keys = append(keys, "k10", "k03")
	values = append(values, map[string]any{"last": 10}, map[string]any{"last": 3})

	if err := s.PutMany(ctx, "", keys, values, 0); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rec.calls, []string{"PutMany"}) {
		t.Fatalf("PutMany made the backend calls %v, want one PutMany", rec.calls)
	}
	sent := rec.keys[0]
	if len(sent) != 50 || !slices.IsSorted(sent) || len(slices.Compact(slices.Clone(sent))) != 50 {
		t.Errorf("PutMany sent keys %v; want the 50 distinct keys, sorted", sent)
	}
	if i := slices.Index(sent, "k10"); string(rec.data[0][i]) != `{"last":10}` {
		t.Errorf("PutMany sent %s for k10, want its last value", rec.data[0][i])
	}

	rec.reset()
	entries, err := s.GetMany(ctx, "", append(keys, "missing", "missing"))
	if err != nil || len(entries) != 54 {
		t.Fatalf("GetMany = %d entries, %v", len(entries), err)
	}
	if !slices.Equal(rec.calls, []string{"GetMany"}) || len(rec.keys[0]) != 51 {
		t.Errorf("GetMany made the calls %v with %d keys; want one GetMany of the 51 distinct keys", rec.calls, len(rec.keys[0]))
	}
	rec.reset()
	if _, err := s.TTLMany(ctx, "", keys); err != nil || !slices.Equal(rec.calls, []string{"GetMany"}) {
		t.Errorf("TTLMany made the calls %v, %v; want one GetMany", rec.calls, err)
	}
	rec.reset()
	if n, err := s.DeleteMany(ctx, "", keys); err != nil || n != 50 {
		t.Errorf("DeleteMany = %d, %v; want 50", n, err)
	}
	if !slices.Equal(rec.calls, []string{"DeleteMany"}) || len(rec.keys[0]) != 50 {
		t.Errorf("DeleteMany made the calls %v; want one DeleteMany of 50 distinct keys", rec.calls)
	}

	rec.reset()
	if got, err := s.GetMany(ctx, "", nil); err != nil || len(got) != 0 {
		t.Errorf("GetMany(nil) = %v, %v", got, err)
	}
	if err := s.PutMany(ctx, "", nil, nil, 0); err != nil {
		t.Error(err)
	}
	if n, err := s.DeleteMany(ctx, "", nil); err != nil || n != 0 {
		t.Error(n, err)
	}
	if len(rec.calls) != 0 {
		t.Errorf("calls without keys reached the backend: %v", rec.calls)
	}
}

func TestValueStoreChecksBeforeTheBackend(t *testing.T) {
	ctx := t.Context()
	s, rec := newRecorded(t)
	ok := map[string]any{"ok": true}
	_ = s.Put(ctx, "", "", ok, 0)
	_, _, _ = s.Get(ctx, "", "a\x00")
	_, _ = s.GetMany(ctx, "", []string{"fine", ""})
	_ = s.PutMany(ctx, "", []string{"fine", "\xff"}, []map[string]any{ok, ok}, 0)
	_ = s.PutMany(ctx, "", []string{"fine"}, []map[string]any{ok, ok}, 0)
	_ = s.PutMany(ctx, "", []string{"fine", "also"}, []map[string]any{ok, {"bad": make(chan int)}}, 0)
	_ = s.Put(ctx, "", "fine", ok, -1)
	_, _ = s.Delete(ctx, "", "")
	_, _ = s.DeleteMany(ctx, "", []string{"fine", ""})
	_, _ = s.Keys(ctx, "bad\x00collection", "", 10)
	_, _ = s.Keys(ctx, "", "bad\xffcursor", 10)
	_, _ = s.DeleteCollection(ctx, "bad\x00collection")
	_, _ = s.Find(ctx, "", "field", "bad\x00value")
	if len(rec.calls) != 0 {
		t.Errorf("invalid calls reached the backend: %v", rec.calls)
	}
}

func TestValueStoreKeysDefaultLimit(t *testing.T) {
	ctx := t.Context()
	s, rec := newRecorded(t)
	keys := make([]string, kv.DefaultListLimit+1)
	values := make([]map[string]any, len(keys))
	for i := range keys {
		keys[i] = fmt.Sprintf("k%05d", i)
		values[i] = map[string]any{}
	}
	if err := s.PutMany(ctx, "", keys, values, 0); err != nil {
		t.Fatal(err)
	}
	for _, limit := range []int{0, -1} {
		got, err := s.Keys(ctx, "", "", limit)
		if err != nil || len(got) != kv.DefaultListLimit || rec.limit != kv.DefaultListLimit {
			t.Errorf("Keys(limit %d) = %d keys, %v; want %d", limit, len(got), err, kv.DefaultListLimit)
		}
		items, err := s.List(ctx, "", "", limit)
		if err != nil || len(items) != kv.DefaultListLimit {
			t.Errorf("List(limit %d) = %d items, %v; want %d", limit, len(items), err, kv.DefaultListLimit)
		}
	}
	if got, _ := s.Keys(ctx, "", keys[999], 0); !slices.Equal(got, keys[1000:]) {
		t.Errorf("the second page = %v, want %v", got, keys[1000:])
	}
}

func TestValueStoreUndecodableRows(t *testing.T) {
	ctx := t.Context()
	s, rec := newRecorded(t)
	for _, k := range []string{"a", "c"} {
		if err := s.Put(ctx, "", k, map[string]any{"k": k, "f": "x"}, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := rec.Backend.Put(ctx, kv.DefaultCollection, "b", []byte(`["not","an","object"]`), nil); err != nil {
		t.Fatal(err)
	}
	if err := rec.Backend.Put(ctx, kv.DefaultCollection, "d", []byte(`{"f":"x","__encrypted_data__":"Z0FB","__encryption_version__":1}`), nil); err != nil {
		t.Fatal(err)
	}
	wantErr := func(call string, err error, keys ...string) {
		t.Helper()
		for _, k := range keys {
			found := false
			for _, e := range flatten(err) {
				var ve *kv.ValueError
				found = found || errors.As(e, &ve) && ve.Key == k && ve.Collection == kv.DefaultCollection
			}
			if !found {
				t.Errorf("%s: error %v does not name key %s", call, err, k)
			}
		}
	}

	entries, err := s.GetMany(ctx, "", []string{"a", "b", "c", "d", "b"})
	if len(entries) != 5 || !entries[0].Found || entries[1].Found || !entries[2].Found || entries[3].Found || entries[4].Found {
		t.Errorf("GetMany with undecodable rows = %+v; want a and c found, b and d not", entries)
	}
	if !errors.Is(err, kv.ErrCorrupt) || !errors.Is(err, kv.ErrDecrypt) {
		t.Errorf("GetMany error %v; want ErrCorrupt (b) and ErrDecrypt (d)", err)
	}
	wantErr("GetMany", err, "b", "d")

	_, ok, err := s.Get(ctx, "", "b")
	if ok || !errors.Is(err, kv.ErrCorrupt) {
		t.Errorf("Get(b) = %v, %v; want ErrCorrupt", ok, err)
	}
	wantErr("Get", err, "b")

	items, err := s.List(ctx, "", "", 10)
	if len(items) != 2 || items[0].Key != "a" || items[1].Key != "c" {
		t.Errorf("List = %+v; want a and c", items)
	}
	wantErr("List", err, "b", "d")

	items, err = s.Find(ctx, "", "f", "x")
	if len(items) != 2 || items[0].Key != "a" || items[1].Key != "c" {
		t.Errorf("Find = %+v; want a and c", items)
	}
	wantErr("Find", err, "d")
}

// flatten lists the errors joined in err.
func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	if err == nil {
		return nil
	}
	return []error{err}
}

func TestValueStoreAccessors(t *testing.T) {
	m := kv.NewMemory()
	s := kv.NewValueStore[map[string]any](m, kv.MapCodec{}, "")
	if s.Collection() != kv.DefaultCollection || s.Backend() != kv.Backend(m) {
		t.Errorf("Collection() = %q, Backend() = %v", s.Collection(), s.Backend())
	}
	if c := kv.NewMemoryStore[map[string]any](kv.MapCodec{}, "mine").Collection(); c != "mine" {
		t.Errorf("Collection() = %q, want mine", c)
	}
}
