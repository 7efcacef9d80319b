package kv_test

import (
	"slices"
	"testing"
	"time"

	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/kvtest"
)

func newMapStore(t *testing.T, mode string, e kv.Encrypter, sensitive ...string) *kv.ValueStore[map[string]any] {
	t.Helper()
	c, err := kv.NewMapCodec(e, mode, sensitive)
	if err != nil {
		t.Fatal(err)
	}
	return kv.NewMemoryStore(c, "")
}

func TestMemoryStoreConformance(t *testing.T) {
	kvtest.RunJSON(t, kvtest.Suite[map[string]any]{
		New: func(t *testing.T) kv.Store[map[string]any] { return newMapStore(t, kv.EncryptionNone, nil) },
	})
}

func TestMemoryStoreValueEncryptionConformance(t *testing.T) {
	ring := newRing(t, 2)
	kvtest.RunJSON(t, kvtest.Suite[map[string]any]{
		New:      func(t *testing.T) kv.Store[map[string]any] { return newMapStore(t, kv.EncryptionValue, ring) },
		ShortTTL: 300 * time.Millisecond,
	})
}

func TestMemoryStoreFieldsEncryptionConformance(t *testing.T) {
	ring := newRing(t, 1)
	kvtest.RunJSON(t, kvtest.Suite[map[string]any]{
		New: func(t *testing.T) kv.Store[map[string]any] {
			c, err := kv.NewMapCodec(ring, kv.EncryptionFields, []string{"name", "s", "list", "null"})
			if err != nil {
				t.Fatal(err)
			}
			return kv.NewMemoryStore(c, "custom-default")
		},
		// A default other than kv.DefaultCollection, so that the suite's check
		// of "" tells the two apart.
		DefaultCollection: "custom-default",
		ShortTTL:          300 * time.Millisecond,
	})
}

func TestMemoryFind(t *testing.T) {
	ctx := t.Context()
	s := newMapStore(t, kv.EncryptionNone, nil)
	clock := time.Unix(1_700_000_000, 0)
	s.Backend().(*kv.Memory).Now = func() time.Time { return clock }
	put := func(key string, v map[string]any, ttl time.Duration) {
		t.Helper()
		if err := s.Put(ctx, "", key, v, ttl); err != nil {
			t.Fatal(err)
		}
	}
	put("a", map[string]any{"sw": "vec-sw", "n": 15, "ok": true}, 0)
	put("b", map[string]any{"sw": "other", "n": 1.5e1, "ok": false}, 0)
	put("c", map[string]any{"sw": "vec-sw", "n": 1.5, "ok": nil}, 0)
	put("d", map[string]any{"sw": "vec-sw"}, time.Second)
	put("e", map[string]any{"sw": []any{"vec-sw"}, "n": map[string]any{"x": 1}}, 0)
	clock = clock.Add(time.Second) // d expires: expires_at <= now

	for _, c := range []struct {
		field, value string
		want         []string
	}{
		{"sw", "vec-sw", []string{"a", "c"}},
		{"n", "15", []string{"a", "b"}},
		{"n", "1.5", []string{"c"}},
		{"ok", "true", []string{"a"}},
		{"ok", "false", []string{"b"}},
		{"ok", "null", nil},
		{"missing", "", nil},
		{"sw", "", nil},
	} {
		items, err := s.Find(ctx, "", c.field, c.value)
		var keys []string
		for _, it := range items {
			keys = append(keys, it.Key)
		}
		if err != nil || !slices.Equal(keys, c.want) {
			t.Errorf("Find(%s = %q) = %q, %v; want %q", c.field, c.value, keys, err, c.want)
		}
	}
	if _, err := s.Find(ctx, "", "", "x"); err == nil {
		t.Error("Find with an empty field name: no error")
	}
}

func TestMemoryCopiesBytes(t *testing.T) {
	ctx := t.Context()
	m := kv.NewMemory()
	value := []byte(`{"a":1}`)
	if err := m.Put(ctx, "c", "k", value, nil); err != nil {
		t.Fatal(err)
	}
	value[2] = 'X'
	raw, ok, err := m.Get(ctx, "c", "k")
	if err != nil || !ok || string(raw.Value) != `{"a":1}` {
		t.Fatalf("Get after the caller changed its slice = %q, %v, %v", raw.Value, ok, err)
	}
	raw.Value[2] = 'Y'
	again, _, _ := m.Get(ctx, "c", "k")
	if string(again.Value) != `{"a":1}` {
		t.Errorf("Get after the caller changed a returned slice = %q", again.Value)
	}
}

func TestMemoryScanAndSwap(t *testing.T) {
	ctx := t.Context()
	m := kv.NewMemory()
	clock := time.Unix(1_700_000_000, 0)
	m.Now = func() time.Time { return clock }
	ttl := 1.0
	if err := m.PutMany(ctx, "c", []string{"a", "b", "c"}, [][]byte{[]byte(`{"v":"a"}`), []byte(`{"v":"b"}`), []byte(`{"v":"c"}`)}, &ttl); err != nil {
		t.Fatal(err)
	}
	if err := m.Put(ctx, "c", "d", []byte(`{"v":"d"}`), nil); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(2 * time.Second)
	rows, err := m.Scan(ctx, "c", "a", 2)
	if err != nil || len(rows) != 2 || rows[0].Key != "b" || rows[1].Key != "c" || !rows[0].Expires || rows[0].TTL >= 0 {
		t.Fatalf("Scan(after a, 2) = %+v, %v; want expired b and c", rows, err)
	}
	if list, _ := m.List(ctx, "c", "", 10); len(list) != 1 || list[0].Key != "d" {
		t.Errorf("List = %+v; want only the unexpired d", list)
	}
	n, err := m.Swap(ctx, "c", []string{"b", "c", "missing"},
		[][]byte{[]byte(`{"v":"b"}`), []byte(`{"v":"changed"}`), []byte(`{}`)},
		[][]byte{[]byte(`{"v":"B"}`), []byte(`{"v":"C"}`), []byte(`{}`)})
	if err != nil || n != 1 {
		t.Fatalf("Swap = %d, %v; want 1 (only b still held its old value)", n, err)
	}
	rows, _ = m.Scan(ctx, "c", "", 10)
	got := map[string]string{}
	for _, r := range rows {
		got[r.Key] = string(r.Value)
		if r.Key == "b" && !r.Expires {
			t.Error("Swap dropped the expiry of b")
		}
	}
	if got["b"] != `{"v":"B"}` || got["c"] != `{"v":"c"}` {
		t.Errorf("after Swap: %v", got)
	}
}
