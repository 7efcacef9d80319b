package kv

import (
	"context"
	"time"
)

// Backend stores encoded values: JSON documents as bytes, with the table's
// semantics (collections, expiry on the backend's own clock). It does no
// validation: ValueStore checks keys and ttls and turns values into bytes
// with a Codec before a Backend sees them, so every Backend (memory, the
// generated PostgreSQL one) shares one implementation of the KV rules.
type Backend interface {
	// Get returns the unexpired entry of key.
	Get(ctx context.Context, collection, key string) (Raw, bool, error)
	// GetMany returns the unexpired entries among keys, in any order, each once.
	GetMany(ctx context.Context, collection string, keys []string) ([]Raw, error)
	// Put writes value, replacing an existing entry but keeping its
	// creation time; ttl nil means no expiry, else seconds.
	Put(ctx context.Context, collection, key string, value []byte, ttl *float64) error
	// PutMany writes every pair in one atomic step. keys hold no duplicates.
	PutMany(ctx context.Context, collection string, keys []string, values [][]byte, ttl *float64) error
	// Delete removes key and reports whether it was unexpired.
	Delete(ctx context.Context, collection, key string) (bool, error)
	// DeleteMany removes keys and counts the unexpired ones.
	DeleteMany(ctx context.Context, collection string, keys []string) (int, error)
	// Keys lists unexpired keys after after, ascending, at most limit.
	Keys(ctx context.Context, collection, after string, limit int) ([]string, error)
	// List is Keys with the entries.
	List(ctx context.Context, collection, after string, limit int) ([]Raw, error)
	// Find returns the unexpired entries whose top-level JSON member field
	// equals value as text (PostgreSQL's value->>field), ascending by key.
	Find(ctx context.Context, collection, field, value string) ([]Raw, error)
	Collections(ctx context.Context) ([]string, error)
	DeleteCollection(ctx context.Context, collection string) (int, error)
	Cull(ctx context.Context) (int, error)
	// Rewriter's Scan and Swap: what Reencrypt needs.
	Rewriter

	// The conditional writes: each compares and writes in one atomic step,
	// and treats an expired entry as no entry. Each reports whether it wrote.

	// Insert writes value under key if the key holds no unexpired entry.
	Insert(ctx context.Context, collection, key string, value []byte, ttl *float64) (bool, error)
	// CompareAndSwap replaces the unexpired entry of key, keeping its
	// creation time, if it still holds exactly old.Value (the bytes Get
	// returned, PostgreSQL's text of the jsonb) and expires at old.ExpiresAt.
	CompareAndSwap(ctx context.Context, collection, key string, old Raw, value []byte, ttl *float64) (bool, error)
	// Replace replaces the unexpired entry of key, keeping its creation time.
	Replace(ctx context.Context, collection, key string, value []byte, ttl *float64) (bool, error)
	// CompareAndDelete removes the unexpired entry of key if it still holds
	// exactly old.Value and expires at old.ExpiresAt.
	CompareAndDelete(ctx context.Context, collection, key string, old Raw) (bool, error)
	// GetAndDelete removes key, expired or not, and returns its entry if it
	// was unexpired.
	GetAndDelete(ctx context.Context, collection, key string) (Raw, bool, error)
}

// AtomicBackend is a Backend that can run several calls as one transaction.
// ValueStore uses it to write a PutMany of more than PutManyChunk keys as
// several bounded statements that still commit all together or not at all.
type AtomicBackend interface {
	Backend
	// Atomic calls fn with a Backend whose calls all belong to one transaction:
	// committed when fn returns nil, rolled back otherwise. fn may run more
	// than once, when the database aborts the transaction for serialization
	// and it runs again, so it must have no effect outside the transaction.
	Atomic(ctx context.Context, fn func(Backend) error) error
}

// Raw is one stored entry.
type Raw struct {
	Key     string
	Value   []byte
	Expires bool
	TTL     time.Duration // time left when Expires
	// ExpiresAt is the stored expiry instant, on the backend's clock, when
	// Expires: with Value, what a conditional write compares.
	ExpiresAt time.Time
}

// Codec turns values into the JSON documents a Backend stores and back.
// Encode validates first and returns *ValidationError (ErrInvalid) for a value
// it will not store; Decode returns *ValueError (ErrDecrypt, ErrCorrupt)
// naming collection, key and field.
type Codec[V any] interface {
	Encode(collection, key string, v V) ([]byte, error)
	Decode(collection, key string, data []byte) (V, error)
}
