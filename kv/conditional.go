package kv

import (
	"context"
	"time"
)

// GetVersion is TTL with the entry's Version; see Version.
func (s *ValueStore[V]) GetVersion(ctx context.Context, collection, key string) (Entry[V], Version, error) {
	var version Version
	e, err := s.entry(ctx, collection, key, func(r Raw) { version = versionOf(s.resolve(collection), r) })
	if err != nil || !e.Found {
		return Entry[V]{}, Version{}, err
	}
	return e, version, nil
}

// CompareAndSwap validates value and writes it under key if the entry there
// is still at version old, or, when old is the zero Version, if the key holds
// no entry. It reports whether it wrote: false means another writer changed
// or deleted the entry (or created one) since old was read. Read again with
// GetVersion and retry, or give up.
func (s *ValueStore[V]) CompareAndSwap(ctx context.Context, collection, key string, old Version, value V, ttl time.Duration) (bool, error) {
	w, err := s.write(collection, key, value, ttl)
	if err != nil {
		return false, err
	}
	if err := old.checkFor(w.collection, key); err != nil {
		return false, err
	}
	if old.state == nil {
		return s.backend.Insert(ctx, w.collection, key, w.data, w.ttl)
	}
	return s.backend.CompareAndSwap(ctx, w.collection, key, old.raw(), w.data, w.ttl)
}

// Replace validates value and writes it under key if the key holds an entry,
// and reports whether it did; it never creates one, so it cannot bring back a
// deleted entry. It does not compare versions: of two concurrent Replace
// calls, the later one wins.
func (s *ValueStore[V]) Replace(ctx context.Context, collection, key string, value V, ttl time.Duration) (bool, error) {
	w, err := s.write(collection, key, value, ttl)
	if err != nil {
		return false, err
	}
	return s.backend.Replace(ctx, w.collection, key, w.data, w.ttl)
}

// CompareAndDelete removes the entry of key if it is still at version old,
// and reports whether it did. The zero Version matches no entry.
func (s *ValueStore[V]) CompareAndDelete(ctx context.Context, collection, key string, old Version) (bool, error) {
	collection = s.resolve(collection)
	if err := CheckKey(collection, key); err != nil || old.state == nil {
		return false, err
	}
	if err := old.checkFor(collection, key); err != nil {
		return false, err
	}
	return s.backend.CompareAndDelete(ctx, collection, key, old.raw())
}

// GetAndDelete removes the entry of key and returns its value, in one step:
// of concurrent callers, one gets it. An entry whose value cannot be decoded
// is removed all the same, and its *ValueError returned.
func (s *ValueStore[V]) GetAndDelete(ctx context.Context, collection, key string) (V, bool, error) {
	var zero V
	collection = s.resolve(collection)
	if err := CheckKey(collection, key); err != nil {
		return zero, false, err
	}
	raw, ok, err := s.backend.GetAndDelete(ctx, collection, key)
	if err != nil || !ok {
		return zero, false, err
	}
	v, err := s.codec.Decode(collection, key, raw.Value)
	if err != nil {
		return zero, false, err
	}
	return v, true, nil
}
