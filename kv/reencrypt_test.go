package kv_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kvgen/kvgen/kv"
)

// rotation is a store written under an old key, and a ring that puts a new
// key first.
type rotation struct {
	keys             []string // new, old
	mem              *kv.Memory
	oldRing, rotated *kv.KeyRing
	newOnly          *kv.KeyRing
}

func newRotation(t *testing.T) rotation {
	keys := newKeys(t, 2)
	return rotation{
		keys:    keys,
		mem:     kv.NewMemory(),
		oldRing: mustRing(t, keys[1]),
		rotated: mustRing(t, keys[0]+","+keys[1]),
		newOnly: mustRing(t, keys[0]),
	}
}

func (r rotation) store(t *testing.T, mode string, ring *kv.KeyRing, sensitive ...string) *kv.ValueStore[map[string]any] {
	t.Helper()
	c, err := kv.NewMapCodec(ring, mode, sensitive)
	if err != nil {
		t.Fatal(err)
	}
	return kv.NewValueStore(r.mem, c, "clients")
}

func fill(t *testing.T, s *kv.ValueStore[map[string]any], from, to int, ttl time.Duration) {
	t.Helper()
	for i := from; i < to; i++ {
		v := map[string]any{"i": i, "secret": fmt.Sprintf("s3cr3t-%d", i)}
		if err := s.Put(t.Context(), "", fmt.Sprintf("k%03d", i), v, ttl); err != nil {
			t.Fatal(err)
		}
	}
}

// readsAll checks that every key reads back with the given store.
func readsAll(t *testing.T, s *kv.ValueStore[map[string]any], n int) {
	t.Helper()
	for i := range n {
		v, ok, err := s.Get(t.Context(), "", fmt.Sprintf("k%03d", i))
		if err != nil || !ok || v["secret"] != fmt.Sprintf("s3cr3t-%d", i) {
			t.Fatalf("k%03d = %v, %v, %v", i, v, ok, err)
		}
	}
}

func TestReencryptValueMode(t *testing.T) {
	ctx := t.Context()
	r := newRotation(t)
	fill(t, r.store(t, kv.EncryptionValue, r.oldRing), 0, 25, 0)
	plain := r.store(t, kv.EncryptionNone, nil)
	if err := plain.Put(ctx, "", "plain", map[string]any{"written": "before encryption"}, 0); err != nil {
		t.Fatal(err)
	}
	if err := plain.Put(ctx, "other", "k000", map[string]any{"untouched": true}, 0); err != nil {
		t.Fatal(err)
	}

	var progress []kv.ReencryptResult
	res, err := r.store(t, kv.EncryptionValue, r.rotated).Reencrypt(ctx, kv.ReencryptOptions{
		Encrypter: r.rotated,
		BatchSize: 10,
		Progress:  func(p kv.ReencryptResult) { progress = append(progress, p) },
	})
	if err != nil {
		t.Fatal(err)
	}
	want := kv.ReencryptResult{Collection: "clients", Scanned: 26, Rewritten: 25, Cursor: "plain"}
	if res != want {
		t.Errorf("Reencrypt = %+v, want %+v", res, want)
	}
	if len(progress) != 3 || progress[0].Cursor != "k009" || progress[0].Scanned != 10 || progress[1].Cursor != "k019" || progress[2] != want {
		t.Errorf("progress = %+v; want three batches ending at k009, k019 and plain", progress)
	}
	readsAll(t, r.store(t, kv.EncryptionValue, r.newOnly), 25)
	if v, _, err := plain.Get(ctx, "", "plain"); err != nil || v["written"] != "before encryption" {
		t.Errorf("plaintext row = %v, %v; want it left alone", v, err)
	}

	// A second run finds everything under the first key already.
	res, err = r.store(t, kv.EncryptionValue, r.rotated).Reencrypt(ctx, kv.ReencryptOptions{Encrypter: r.rotated})
	if err != nil || res.Rewritten != 0 || res.Scanned != 26 {
		t.Errorf("second Reencrypt = %+v, %v; want nothing rewritten", res, err)
	}
}

func TestReencryptFieldsModeIncludesExpiredRows(t *testing.T) {
	ctx := t.Context()
	r := newRotation(t)
	clock := time.Now()
	r.mem.Now = func() time.Time { return clock }
	fill(t, r.store(t, kv.EncryptionFields, r.oldRing, "secret"), 0, 5, time.Minute)
	fill(t, r.store(t, kv.EncryptionFields, r.oldRing, "secret"), 5, 10, 0)
	clock = clock.Add(2 * time.Minute)

	res, err := r.store(t, kv.EncryptionFields, r.rotated, "secret").Reencrypt(ctx, kv.ReencryptOptions{
		Encrypter: r.rotated, Fields: []string{"secret"}, BatchSize: 3,
	})
	if err != nil || res.Scanned != 10 || res.Rewritten != 10 || res.Cursor != "k009" {
		t.Fatalf("Reencrypt = %+v, %v; want all 10 rows, expired ones too", res, err)
	}
	clock = clock.Add(-2 * time.Minute)
	readsAll(t, r.store(t, kv.EncryptionFields, r.newOnly, "secret"), 10)

	// Without Fields the members are not looked into.
	r2 := newRotation(t)
	fill(t, kv.NewValueStore(r2.mem, mustCodec(t, kv.EncryptionFields, r2.oldRing, "secret"), "clients"), 0, 2, 0)
	res, err = kv.Reencrypt(ctx, r2.mem, kv.ReencryptOptions{Collection: "clients", Encrypter: r2.rotated})
	if err != nil || res.Rewritten != 0 {
		t.Errorf("Reencrypt without Fields = %+v, %v; want nothing rewritten", res, err)
	}
}

func mustCodec(t *testing.T, mode string, e kv.Encrypter, sensitive ...string) kv.MapCodec {
	t.Helper()
	c, err := kv.NewMapCodec(e, mode, sensitive)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestReencryptStopsAtARowItCannotDecrypt(t *testing.T) {
	ctx := t.Context()
	r := newRotation(t)
	fill(t, r.store(t, kv.EncryptionValue, r.oldRing), 0, 10, 0)
	strangerKey := newKeys(t, 1)[0]
	stranger := mustRing(t, strangerKey)
	fill(t, r.store(t, kv.EncryptionValue, stranger), 4, 5, 0) // k004 under a key nobody has

	res, err := r.store(t, kv.EncryptionValue, r.rotated).Reencrypt(ctx, kv.ReencryptOptions{Encrypter: r.rotated, BatchSize: 3})
	var ve *kv.ValueError
	if !errors.Is(err, kv.ErrDecrypt) || !errors.As(err, &ve) || ve.Key != "k004" || ve.Collection != "clients" {
		t.Fatalf("Reencrypt = %v; want ErrDecrypt naming clients/k004", err)
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("error leaks plaintext: %v", err)
	}
	if res.Cursor != "k003" || res.Rewritten != 4 || res.Scanned != 4 {
		t.Errorf("result = %+v; want k000..k003 done, cursor k003", res)
	}
	readsAll(t, r.store(t, kv.EncryptionValue, r.newOnly), 4)

	// The operator adds the missing key and resumes from the cursor.
	fixed := mustRing(t, r.keys[0]+","+r.keys[1]+","+strangerKey)
	res, err = r.store(t, kv.EncryptionValue, fixed).Reencrypt(ctx, kv.ReencryptOptions{Encrypter: fixed, After: res.Cursor})
	if err != nil || res.Scanned != 6 || res.Rewritten != 6 || res.Cursor != "k009" {
		t.Fatalf("resumed Reencrypt = %+v, %v; want the 6 remaining rows", res, err)
	}
	readsAll(t, r.store(t, kv.EncryptionValue, r.newOnly), 10)
}

func TestReencryptLeavesConcurrentWritesAlone(t *testing.T) {
	ctx := t.Context()
	r := newRotation(t)
	fill(t, r.store(t, kv.EncryptionValue, r.oldRing), 0, 4, 0)
	writer := r.store(t, kv.EncryptionValue, r.rotated)
	racing := &racingBackend{Backend: r.mem, onScan: func() {
		if err := writer.Put(ctx, "", "k002", map[string]any{"secret": "written meanwhile"}, 0); err != nil {
			t.Error(err)
		}
	}}
	res, err := kv.Reencrypt(ctx, racing, kv.ReencryptOptions{Collection: "clients", Encrypter: r.rotated})
	if err != nil || res.Rewritten != 3 || res.Conflicts != 1 {
		t.Fatalf("Reencrypt = %+v, %v; want 3 rewritten and 1 conflict", res, err)
	}
	if v, _, err := r.store(t, kv.EncryptionValue, r.newOnly).Get(ctx, "", "k002"); err != nil || v["secret"] != "written meanwhile" {
		t.Errorf("k002 = %v, %v; want the concurrent write kept", v, err)
	}
}

// racingBackend runs onScan after the first Scan, between Reencrypt's read
// and its write.
type racingBackend struct {
	kv.Backend
	onScan func()
	done   bool
}

func (b *racingBackend) Scan(ctx context.Context, c, after string, limit int) ([]kv.Raw, error) {
	rows, err := b.Backend.Scan(ctx, c, after, limit)
	if !b.done {
		b.done = true
		b.onScan()
	}
	return rows, err
}

func TestReencryptStopsOnCancel(t *testing.T) {
	r := newRotation(t)
	fill(t, r.store(t, kv.EncryptionValue, r.oldRing), 0, 10, 0)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	s := r.store(t, kv.EncryptionValue, r.rotated)
	res, err := s.Reencrypt(ctx, kv.ReencryptOptions{Encrypter: r.rotated, BatchSize: 4, Progress: func(kv.ReencryptResult) { cancel() }})
	if !errors.Is(err, context.Canceled) || res.Cursor != "k003" || res.Rewritten != 4 {
		t.Fatalf("cancelled Reencrypt = %+v, %v; want context.Canceled after the first batch", res, err)
	}
	res, err = s.Reencrypt(t.Context(), kv.ReencryptOptions{Encrypter: r.rotated, After: res.Cursor})
	if err != nil || res.Scanned != 6 || res.Rewritten != 6 || res.Cursor != "k009" {
		t.Fatalf("resumed Reencrypt = %+v, %v; want the 6 remaining rows", res, err)
	}
	readsAll(t, r.store(t, kv.EncryptionValue, r.newOnly), 10)
}

func TestReencryptOptionsChecked(t *testing.T) {
	ctx := t.Context()
	m := kv.NewMemory()
	if _, err := kv.Reencrypt(ctx, m, kv.ReencryptOptions{Collection: "c"}); err == nil {
		t.Error("Reencrypt without an Encrypter: no error")
	}
	ring := newRing(t, 1)
	if _, err := kv.Reencrypt(ctx, m, kv.ReencryptOptions{Encrypter: ring}); !errors.Is(err, kv.ErrInvalidKey) {
		t.Errorf("Reencrypt without a collection: %v, want ErrInvalidKey", err)
	}
	if _, err := kv.Reencrypt(ctx, m, kv.ReencryptOptions{Collection: "c", After: "\x00", Encrypter: ring}); !errors.Is(err, kv.ErrInvalidKey) {
		t.Errorf("Reencrypt with a NUL cursor: %v, want ErrInvalidKey", err)
	}
}

// TestReencryptUndeclaredNestedEnvelope: in a collection no schema declares,
// a row with an envelope below its top level may be a fields-mode record
// with nested secrets: it is refused as ErrUndeclared rather than left
// under a key about to leave the ring.
func TestReencryptUndeclaredNestedEnvelope(t *testing.T) {
	r := newRotation(t)
	sealed, err := kv.Seal(r.oldRing, []byte(`"s3cr3t"`))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.mem.Put(t.Context(), "clients", "k1", []byte(`{"up":{"tokens":[{"s":`+string(sealed)+`}]}}`), nil); err != nil {
		t.Fatal(err)
	}
	_, err = kv.Reencrypt(t.Context(), r.mem, kv.ReencryptOptions{Collection: "clients", Undeclared: true, Encrypter: r.rotated})
	if !errors.Is(err, kv.ErrUndeclared) {
		t.Errorf("Reencrypt = %v; want ErrUndeclared", err)
	}
}
