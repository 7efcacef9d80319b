package kv_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
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

// atomicRecorder is a recorder that is a kv.AtomicBackend, as the generated
// PostgreSQL backend is: the calls made inside Atomic are recorded in tx, and
// their writes are held back and reach the recorder's backend only when fn
// returns nil; otherwise they are discarded, as a rolled back transaction's.
type atomicRecorder struct {
	*recorder
	tx *recorder // the calls of the last Atomic
	// fail, when set, is the error of the nth PutMany (from 1) inside Atomic.
	fail   error
	failAt int
}

var _ kv.AtomicBackend = (*atomicRecorder)(nil)

func (a *atomicRecorder) Atomic(ctx context.Context, fn func(kv.Backend) error) error {
	a.record("Atomic", nil, nil)
	held := &heldPuts{Backend: a.recorder.Backend, fail: a.fail, failAt: a.failAt}
	a.tx = &recorder{Backend: held}
	if err := fn(a.tx); err != nil {
		return err // held is dropped: nothing was written
	}
	for _, p := range held.puts {
		if err := a.recorder.Backend.PutMany(ctx, p.collection, p.keys, p.values, p.ttl); err != nil {
			return err
		}
	}
	return nil
}

// heldPuts is a Backend inside an uncommitted transaction: it keeps its
// PutMany calls instead of applying them.
type heldPuts struct {
	kv.Backend
	puts   []heldPut
	fail   error
	failAt int
}

type heldPut struct {
	collection string
	keys       []string
	values     [][]byte
	ttl        *float64
}

func (h *heldPuts) PutMany(_ context.Context, c string, keys []string, values [][]byte, ttl *float64) error {
	if len(h.puts)+1 == h.failAt {
		return h.fail
	}
	h.puts = append(h.puts, heldPut{c, slices.Clone(keys), slices.Clone(values), ttl})
	return nil
}

func newAtomicRecorded(t *testing.T) (*kv.ValueStore[map[string]any], *atomicRecorder) {
	t.Helper()
	_, rec := newRecorded(t)
	a := &atomicRecorder{recorder: rec}
	codec, err := kv.NewMapCodec(nil, kv.EncryptionNone, nil)
	if err != nil {
		t.Fatal(err)
	}
	return kv.NewValueStore(a, codec, ""), a
}

// chunkBatch returns n distinct keys k000000... in a shuffled order with
// values {"i": i}, then k000005 (n > 5) once more with the value {"last": true}.
func chunkBatch(n int) ([]string, []map[string]any) {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("k%06d", i)
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(n, func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	values := make([]map[string]any, n)
	for i, k := range keys {
		var v int
		fmt.Sscanf(k, "k%d", &v)
		values[i] = map[string]any{"i": v}
	}
	return append(keys, "k000005"), append(values, map[string]any{"last": true})
}

// A PutMany of more distinct keys than kv.PutManyChunk over an AtomicBackend
// is one Atomic call of chunks of at most PutManyChunk keys, ascending across
// all chunks (one lock order for every caller), a key given twice keeping its
// last value.
func TestValueStorePutManyChunks(t *testing.T) {
	ctx := t.Context()
	s, rec := newAtomicRecorded(t)
	const n = 2*kv.PutManyChunk + 17
	keys, values := chunkBatch(n)
	if err := s.PutMany(ctx, "", keys, values, 0); err != nil {
		t.Fatal(err)
	}
	if want := []string{"Atomic"}; !slices.Equal(rec.calls, want) {
		t.Fatalf("PutMany of %d distinct keys made the backend calls %v, want %v", n, rec.calls, want)
	}
	if want := []string{"PutMany", "PutMany", "PutMany"}; !slices.Equal(rec.tx.calls, want) {
		t.Fatalf("PutMany of %d distinct keys made the calls %v inside Atomic, want %v", n, rec.tx.calls, want)
	}
	var sent []string
	for c, ks := range rec.tx.keys {
		if len(ks) > kv.PutManyChunk {
			t.Errorf("one backend PutMany got %d keys, more than %d", len(ks), kv.PutManyChunk)
		}
		for j, k := range ks {
			if k == "k000005" && string(rec.tx.data[c][j]) != `{"last":true}` {
				t.Errorf("PutMany sent %s for the key given twice, want its last value", rec.tx.data[c][j])
			}
		}
		sent = append(sent, ks...)
	}
	if len(sent) != n || !slices.IsSorted(sent) || len(slices.Compact(slices.Clone(sent))) != n {
		t.Errorf("the chunks sent %d keys; want the %d distinct keys once each, ascending across chunks", len(sent), n)
	}

	entries, err := s.GetMany(ctx, "", keys[:n])
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range entries {
		if !e.Found {
			t.Fatalf("%s not found after the commit", keys[i])
		}
		if keys[i] == "k000005" && e.Value["last"] != true {
			t.Errorf("k000005 = %v, want its last value", e.Value)
		}
	}
}

// An invalid value in the last chunk, or an error of the backend there, rolls
// back the chunks written before it: PutMany returns the error and nothing is
// written.
func TestValueStorePutManyChunksAllOrNothing(t *testing.T) {
	ctx := t.Context()
	const n = 2*kv.PutManyChunk + 17
	boom := errors.New("boom")
	for _, c := range []struct {
		name    string
		prepare func(rec *atomicRecorder, keys []string, values []map[string]any)
		want    error
		chunks  int // backend PutMany calls held before the failure
	}{
		{"invalid value in the last chunk", func(_ *atomicRecorder, keys []string, values []map[string]any) {
			values[slices.Index(keys, fmt.Sprintf("k%06d", n-1))] = map[string]any{"bad": make(chan int)}
		}, kv.ErrInvalid, 2},
		{"backend error in the last chunk", func(rec *atomicRecorder, _ []string, _ []map[string]any) {
			rec.fail, rec.failAt = boom, 3
		}, boom, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, rec := newAtomicRecorded(t)
			keys, values := chunkBatch(n)
			c.prepare(rec, keys, values)
			err := s.PutMany(ctx, "", keys, values, 0)
			if !errors.Is(err, c.want) {
				t.Fatalf("PutMany = %v, want %v", err, c.want)
			}
			if !slices.Equal(rec.calls, []string{"Atomic"}) {
				t.Fatalf("PutMany made the backend calls %v, want one Atomic", rec.calls)
			}
			if len(rec.tx.calls) != c.chunks {
				t.Errorf("PutMany made the calls %v inside Atomic; want %d PutMany", rec.tx.calls, c.chunks)
			}
			if got, err := rec.recorder.Backend.Keys(ctx, kv.DefaultCollection, "", 10); err != nil || len(got) != 0 {
				t.Errorf("after the failed PutMany the backend holds %v, %v; want nothing", got, err)
			}
		})
	}
}

// Up to kv.PutManyChunk distinct keys, or a backend without Atomic, stay one
// backend PutMany: the single statement of a small batch, and kv.Memory.
func TestValueStorePutManyOneCall(t *testing.T) {
	ctx := t.Context()
	keys, values := chunkBatch(kv.PutManyChunk) // PutManyChunk distinct keys, one twice
	atomic, arec := newAtomicRecorded(t)
	if err := atomic.PutMany(ctx, "", keys, values, 0); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(arec.calls, []string{"PutMany"}) || len(arec.keys[0]) != kv.PutManyChunk {
		t.Errorf("PutMany of %d distinct keys made the calls %v; want one PutMany without Atomic", kv.PutManyChunk, arec.calls)
	}

	keys, values = chunkBatch(2*kv.PutManyChunk + 17)
	plain, rec := newRecorded(t)
	if err := plain.PutMany(ctx, "", keys, values, 0); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rec.calls, []string{"PutMany"}) || len(rec.keys[0]) != 2*kv.PutManyChunk+17 || !slices.IsSorted(rec.keys[0]) {
		t.Errorf("PutMany over a backend without Atomic made the calls %v; want one PutMany of every key, sorted", rec.calls)
	}
}

// A value that a later one of its key replaces is never written, but an
// invalid one still fails the call before anything is written, chunked or not.
func TestValueStorePutManyReplacedInvalid(t *testing.T) {
	ctx := t.Context()
	for _, n := range []int{10, 2*kv.PutManyChunk + 17} {
		s, rec := newAtomicRecorded(t)
		keys, values := chunkBatch(n)
		values[slices.Index(keys, "k000005")] = map[string]any{"bad": make(chan int)} // replaced by {"last": true}
		if err := s.PutMany(ctx, "", keys, values, 0); !errors.Is(err, kv.ErrInvalid) {
			t.Errorf("PutMany of %d keys with an invalid replaced value = %v, want ErrInvalid", n, err)
		}
		if len(rec.calls) != 0 {
			t.Errorf("PutMany of %d keys with an invalid replaced value made the calls %v, want none", n, rec.calls)
		}
	}
}
