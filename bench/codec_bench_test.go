package bench

import (
	"context"
	"testing"

	"github.com/kvgen/kvgen/bench/internal/nonestore"
	"github.com/kvgen/kvgen/bench/internal/valuestore"
	"github.com/kvgen/kvgen/internal/goonly/fieldsclients"
	"github.com/kvgen/kvgen/kv"
)

// BenchmarkCodec measures the client side of one record alone: decode (with
// decryption) of the value as PostgreSQL returns it, and encode (with
// validation and encryption), for the generated store and the baseline's
// encoding/json. The generated store runs over a backend that hands out one
// fixed value, so its figures include the store's own checks.
func BenchmarkCodec(b *testing.B) {
	pool := newPool(b, 1)
	ring := newRing(b)
	ctx := context.Background()
	for _, mode := range modes {
		// the value exactly as the generated store writes it and jsonb returns it
		writer := openGenerated(b, &env{pool: pool, ring: ring}, mode, collection(mode, "", "read"))
		if err := seedOne(ctx, b, writer); err != nil {
			b.Fatal(err)
		}
		stored, ok, err := (&raw{pool: pool, collection: collection(mode, "", "read")}).Get(ctx, readKey(0))
		if err != nil || !ok {
			b.Fatalf("reading the stored record: %v", err)
		}
		fixed := &fixedBackend{Memory: kv.NewMemory(), value: []byte(stored.Value)}
		gen := overBackend(b, mode, fixed, ring, collection(mode, "", "read"))
		base := &baseline{ring: ring, mode: mode, collection: collection(mode, "", "read")}
		if mode == "none" {
			base.ring = nil
		}
		baseRec := baseRecord(b, readKey(0), 0)

		b.Run("op=decode/mode="+mode+"/impl=generated", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := gen.get(ctx, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("op=decode/mode="+mode+"/impl=baseline", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := base.decode(readKey(0), fixed.value); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("op=encode/mode="+mode+"/impl=generated", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := gen.put(ctx, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("op=encode/mode="+mode+"/impl=baseline", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := base.encode(&baseRec); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// seedOne writes record 0 under readKey(0) with a generated store.
func seedOne(ctx context.Context, tb testing.TB, store any) error {
	switch s := store.(type) {
	case *fieldsclients.Store:
		return s.Put(ctx, fieldsRecord(tb, readKey(0), 0))
	case *valuestore.Store:
		return s.Put(ctx, valueRecord(tb, readKey(0), 0))
	case *nonestore.Store:
		return s.Put(ctx, noneRecord(tb, readKey(0), 0))
	}
	tb.Fatalf("seedOne: %T is not a generated store", store)
	return nil
}

// fixedBackend returns one value for every Get and discards every Put: a
// backend that costs nothing, so that only the store and its codec are measured.
type fixedBackend struct {
	*kv.Memory // the methods the benchmark does not call
	value      []byte
}

func (f *fixedBackend) Get(_ context.Context, _, key string) (kv.Raw, bool, error) {
	return kv.Raw{Key: key, Value: f.value}, true, nil
}

func (f *fixedBackend) Put(context.Context, string, string, []byte, *float64) error { return nil }

// overBackend opens the generated store of mode over backend and
// collection, as a subject whose get reads readKey(i) and whose put writes
// record i.
func overBackend(tb testing.TB, mode string, backend kv.Backend, ring *kv.KeyRing, collection string) subject {
	switch mode {
	case "fields":
		s, err := fieldsclients.NewWithBackend(backend, fieldsclients.Options{Collection: collection, Encrypter: ring})
		if err != nil {
			tb.Fatal(err)
		}
		return &stores[fieldsclients.Client]{reads: s, writes: s, records: []fieldsclients.Client{fieldsRecord(tb, readKey(0), 0)}}
	case "value":
		s, err := valuestore.NewWithBackend(backend, valuestore.Options{Collection: collection, Encrypter: ring})
		if err != nil {
			tb.Fatal(err)
		}
		return &stores[valuestore.Client]{reads: s, writes: s, records: []valuestore.Client{valueRecord(tb, readKey(0), 0)}}
	default:
		s, err := nonestore.NewWithBackend(backend, nonestore.Options{Collection: collection})
		if err != nil {
			tb.Fatal(err)
		}
		return &stores[nonestore.Client]{reads: s, writes: s, records: []nonestore.Client{noneRecord(tb, readKey(0), 0)}}
	}
}
