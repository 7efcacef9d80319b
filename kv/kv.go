// Package kv is the runtime that kvgen's generated stores import: the
// key-value contract (Go's shape of py-key-value's AsyncKeyValue), its errors,
// an in-memory implementation, the encryption hook and the Fernet key ring.
package kv

import (
	"context"
	"time"
)

// DefaultCollection is the collection used by stores that were given none,
// as in py-key-value.
const DefaultCollection = "default_collection"

// Store is a key-value store of values of type V, grouped in collections.
//
// The semantics are binding for every implementation (kv/kvtest checks them):
//   - collection "" means the store's default collection;
//   - a missing or expired key is not found, without an error;
//   - ttl 0 means no expiry, a negative ttl is ErrInvalidTTL and writes nothing;
//   - GetMany and TTLMany keep the order and length of keys, duplicates allowed;
//   - PutMany of keys and values of unequal length writes nothing;
//     otherwise it writes all or nothing, and a key given twice keeps the last value;
//   - Delete reports true only if an unexpired key was removed, DeleteMany counts those;
//   - expired entries are invisible to every read, and Cull removes them;
//   - writes of several entries lock them in byte order of key, so that
//     concurrent ones over overlapping keys never deadlock;
//   - the conditional writes treat an expired entry as no entry, and each
//     compares and writes in one atomic step.
type Store[V any] interface {
	Get(ctx context.Context, collection, key string) (V, bool, error)
	GetMany(ctx context.Context, collection string, keys []string) ([]Entry[V], error)
	TTL(ctx context.Context, collection, key string) (Entry[V], error)
	TTLMany(ctx context.Context, collection string, keys []string) ([]Entry[V], error)
	Put(ctx context.Context, collection, key string, value V, ttl time.Duration) error
	PutMany(ctx context.Context, collection string, keys []string, values []V, ttl time.Duration) error
	Delete(ctx context.Context, collection, key string) (bool, error)
	DeleteMany(ctx context.Context, collection string, keys []string) (int, error)

	// GetVersion is TTL with the entry's Version, for CompareAndSwap and
	// CompareAndDelete: the zero Version when the key holds no entry.
	GetVersion(ctx context.Context, collection, key string) (Entry[V], Version, error)
	// CompareAndSwap writes value under key only if the entry there is still
	// at version old, or, with the zero Version, only if there is none; it
	// reports whether it wrote. A deleted entry stays deleted, and of two
	// writers that read the same version only one succeeds.
	CompareAndSwap(ctx context.Context, collection, key string, old Version, value V, ttl time.Duration) (bool, error)
	// Replace writes value under key only if the key holds an entry, and
	// reports whether it wrote: it never creates one.
	Replace(ctx context.Context, collection, key string, value V, ttl time.Duration) (bool, error)
	// CompareAndDelete removes the entry of key only if it is still at
	// version old, and reports whether it did.
	CompareAndDelete(ctx context.Context, collection, key string, old Version) (bool, error)
	// GetAndDelete removes the entry of key and returns its value: false when
	// there was none. An entry whose value cannot be decoded is removed too,
	// and the error names it.
	GetAndDelete(ctx context.Context, collection, key string) (V, bool, error)

	// Keys lists up to limit unexpired keys of a collection in ascending
	// order, starting after the key after ("" for the first page). The order
	// is the store's: byte order in memory, the key column's collation in
	// PostgreSQL (byte order under C); paging is complete in either.
	Keys(ctx context.Context, collection, after string, limit int) ([]string, error)
	// Collections lists the collections that hold an unexpired key, sorted.
	Collections(ctx context.Context) ([]string, error)
	// DeleteCollection removes every key of a collection and counts the unexpired ones.
	DeleteCollection(ctx context.Context, collection string) (int, error)
	// Cull removes expired entries and counts them.
	Cull(ctx context.Context) (int, error)
}

// Entry is one key's result of GetMany, TTL or TTLMany.
type Entry[V any] struct {
	Value V
	Found bool
	// Expires is false for an entry that never expires; TTL is then zero.
	Expires bool
	// TTL is the time left before expiry, measured on the store's clock.
	TTL time.Duration
}

// Encrypter is the encryption hook: the Fernet key ring implements it, and a
// user may replace it (KMS, Tink). Decrypt must accept every token that
// Encrypt of this or an earlier key produced.
type Encrypter interface {
	Encrypt(plaintext []byte) (token []byte, err error)
	Decrypt(token []byte) (plaintext []byte, err error)
}
