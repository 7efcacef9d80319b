package kv_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/kvgen/kvgen/kv"
)

// A GetMany of more distinct keys than kv.GetManyChunk reads them chunk by
// chunk (bounded memory), and still answers in the order of the keys asked,
// duplicates and missing keys included.
func TestValueStoreGetManyChunks(t *testing.T) {
	ctx := t.Context()
	s, rec := newRecorded(t)
	const n = 2*kv.GetManyChunk + 17
	keys := make([]string, n)
	values := make([]map[string]any, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("k%06d", i)
		values[i] = map[string]any{"i": i}
	}
	if err := s.PutMany(ctx, "", keys, values, 0); err != nil {
		t.Fatal(err)
	}
	rec.reset()

	asked := slices.Clone(keys)
	slices.Reverse(asked)
	asked = append(asked, "missing", keys[5], keys[n-1])
	entries, err := s.GetMany(ctx, "", asked)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"GetMany", "GetMany", "GetMany"}; !slices.Equal(rec.calls, want) {
		t.Fatalf("GetMany of %d distinct keys made the backend calls %v, want %v", n+1, rec.calls, want)
	}
	seen := 0
	for _, ks := range rec.keys {
		if len(ks) > kv.GetManyChunk {
			t.Errorf("one backend GetMany got %d keys, more than %d", len(ks), kv.GetManyChunk)
		}
		seen += len(ks)
	}
	if seen != n+1 {
		t.Errorf("the backend was asked %d keys in all, want each of the %d distinct ones once", seen, n+1)
	}
	if len(entries) != len(asked) {
		t.Fatalf("%d entries for %d keys", len(entries), len(asked))
	}
	for i, k := range asked {
		e := entries[i]
		var want int
		if _, err := fmt.Sscanf(k, "k%d", &want); err != nil {
			if e.Found {
				t.Fatalf("entry %d (%s) found", i, k)
			}
			continue
		}
		if !e.Found || fmt.Sprint(e.Value["i"]) != fmt.Sprint(want) { // numbers read back as json.Number
			t.Fatalf("entry %d (%s) = %v, found %v; want i=%d", i, k, e.Value, e.Found, want)
		}
	}
}
