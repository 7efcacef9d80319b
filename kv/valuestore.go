package kv

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// DefaultListLimit is the page size of Keys and List when the caller asks
// for limit <= 0: big enough for one page to be useful, small enough that a
// forgotten limit cannot pull a whole table into memory.
const DefaultListLimit = 1000

// Item is one entry of List or Find: a key with its value and expiry.
type Item[V any] struct {
	Key   string
	Value V
	// Expires is false for an entry that never expires; TTL is then zero.
	Expires bool
	TTL     time.Duration
}

// ValueStore implements Store over a Backend that holds bytes and a Codec that
// turns values into those bytes. It holds every rule of the KV contract (key
// and ttl checks, the default collection, order and duplicates of the *Many
// calls, all-or-nothing PutMany), so that the memory backend and the
// generated PostgreSQL backend behave the same.
//
// A value that cannot be decoded (a wrong key, a tampered token, a corrupt
// row) is reported as a *ValueError naming collection, key and field. Get and
// TTL return it as their error. GetMany, TTLMany, List and Find return
// everything that did decode together with an error joining one *ValueError
// per failing key (errors.Is(err, ErrDecrypt) or ErrCorrupt); in GetMany and
// TTLMany the failing keys read as not found, so one bad row never hides the
// others.
//
// A ValueStore is safe for concurrent use when its Backend and Codec are
// (Memory, MapCodec and the generated ones are).
type ValueStore[V any] struct {
	backend    Backend
	codec      Codec[V]
	collection string
}

var _ Store[map[string]any] = (*ValueStore[map[string]any])(nil)

// NewValueStore returns a store of values of type V kept in b through c.
// defaultCollection "" means DefaultCollection.
func NewValueStore[V any](b Backend, c Codec[V], defaultCollection string) *ValueStore[V] {
	if defaultCollection == "" {
		defaultCollection = DefaultCollection
	}
	return &ValueStore[V]{backend: b, codec: c, collection: defaultCollection}
}

// Backend returns the backend the store writes to.
func (s *ValueStore[V]) Backend() Backend { return s.backend }

// Collection returns the store's default collection.
func (s *ValueStore[V]) Collection() string { return s.collection }

// resolve maps "" to the default collection.
func (s *ValueStore[V]) resolve(collection string) string {
	if collection == "" {
		return s.collection
	}
	return collection
}

// Get is TTL without its Entry: the record is decoded into the named
// result, a copy less than through an Entry (or another variable).
func (s *ValueStore[V]) Get(ctx context.Context, collection, key string) (v V, found bool, err error) {
	collection = s.resolve(collection)
	raw, found, err := s.raw(ctx, collection, key)
	if err != nil || !found {
		return v, false, err // v is the zero value: nothing was decoded
	}
	if v, err = s.codec.Decode(collection, key, raw.Value); err != nil {
		var zero V
		return zero, false, err
	}
	return v, true, nil
}

func (s *ValueStore[V]) TTL(ctx context.Context, collection, key string) (Entry[V], error) {
	return s.entry(ctx, collection, key, nil)
}

// entry reads and decodes the entry of key; seen, when set, gets the stored
// entry first (Decode may keep its bytes).
func (s *ValueStore[V]) entry(ctx context.Context, collection, key string, seen func(Raw)) (e Entry[V], err error) {
	collection = s.resolve(collection)
	raw, ok, err := s.raw(ctx, collection, key)
	if err != nil || !ok {
		return Entry[V]{}, err
	}
	if seen != nil {
		seen(raw)
	}
	// decoded straight into the result: a record is copied once less
	if e.Value, err = s.codec.Decode(collection, key, raw.Value); err != nil {
		return Entry[V]{}, err
	}
	e.Found, e.Expires, e.TTL = true, raw.Expires, raw.TTL
	return e, nil
}

// raw reads the stored entry of key in collection, once CheckKey accepts the key.
func (s *ValueStore[V]) raw(ctx context.Context, collection, key string) (Raw, bool, error) {
	if err := CheckKey(collection, key); err != nil {
		return Raw{}, false, err
	}
	return s.backend.Get(ctx, collection, key)
}

// GetManyChunk bounds the distinct keys of one backend GetMany. GetMany and
// TTLMany read up to this many keys in one round trip; a call with more reads
// them chunk by chunk, decoding each chunk before reading the next, so that
// the encoded rows in memory never exceed one chunk (about 10 MB of 1 KB
// records) whatever the size of the call. Each chunk is one statement, with
// its own snapshot.
const GetManyChunk = 10_000

// GetMany returns one entry per key, in the order of keys; see ValueStore
// for what happens to a value that cannot be decoded.
func (s *ValueStore[V]) GetMany(ctx context.Context, collection string, keys []string) ([]Entry[V], error) {
	return s.TTLMany(ctx, collection, keys)
}

// TTLMany is GetMany: every Entry carries its expiry.
func (s *ValueStore[V]) TTLMany(ctx context.Context, collection string, keys []string) ([]Entry[V], error) {
	collection = s.resolve(collection)
	for _, k := range keys {
		if err := CheckKey(collection, k); err != nil {
			return nil, err
		}
	}
	out := make([]Entry[V], len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	query, first := uniqueKeys(keys)
	var errs []error
	for chunk := range slices.Chunk(query, GetManyChunk) {
		raws, err := s.backend.GetMany(ctx, collection, chunk)
		if err != nil {
			return nil, err
		}
		for j := range raws {
			r := &raws[j]
			i, asked := first[r.Key]
			if !asked {
				continue
			}
			v, err := s.codec.Decode(collection, r.Key, r.Value)
			r.Value = nil // the collector may take the chunk's bytes as they are decoded
			if err != nil {
				errs = append(errs, err)
				continue
			}
			out[i] = Entry[V]{Value: v, Found: true, Expires: r.Expires, TTL: r.TTL}
		}
	}
	if len(query) < len(keys) {
		for i, k := range keys {
			if j := first[k]; j != i {
				out[i] = out[j]
			}
		}
	}
	return out, errors.Join(errs...)
}

func (s *ValueStore[V]) Put(ctx context.Context, collection, key string, value V, ttl time.Duration) error {
	w, err := s.write(collection, key, value, ttl)
	if err != nil {
		return err
	}
	return s.backend.Put(ctx, w.collection, key, w.data, w.ttl)
}

// oneWrite is a write of one value, checked and encoded.
type oneWrite struct {
	collection string // resolved
	data       []byte
	ttl        *float64
}

// write checks key and ttl and encodes value, for Put and the conditional writes.
func (s *ValueStore[V]) write(collection, key string, value V, ttl time.Duration) (oneWrite, error) {
	collection = s.resolve(collection)
	if err := CheckKey(collection, key); err != nil {
		return oneWrite{}, err
	}
	seconds, err := CheckTTL(ttl)
	if err != nil {
		return oneWrite{}, err
	}
	data, err := s.codec.Encode(collection, key, value)
	if err != nil {
		return oneWrite{}, err
	}
	return oneWrite{collection: collection, data: data, ttl: seconds}, nil
}

// PutManyChunk bounds the distinct keys of one backend PutMany. A PutMany of
// up to this many keys is one backend call. A larger one over an
// AtomicBackend (the generated PostgreSQL one) is one transaction of several
// calls of at most this many keys, each chunk encoded just before it is
// written, so that the encoded values in memory never exceed one chunk (about
// 10 MB of 1 KB records) whatever the size of the call: one statement of
// 100,000 records made pgx build a message of hundreds of MB. A backend
// without Atomic (Memory) gets one call whatever the size.
const PutManyChunk = 10_000

// PutMany checks every key and value before it writes, so any error writes
// nothing; a call chunked by PutManyChunk rolls back the chunks it wrote. A key
// given twice keeps its last value. Keys reach the backend sorted, across
// chunks too, so that concurrent PutMany calls over overlapping keys take
// their row locks in one order and cannot deadlock.
func (s *ValueStore[V]) PutMany(ctx context.Context, collection string, keys []string, values []V, ttl time.Duration) error {
	if len(keys) != len(values) {
		return fmt.Errorf("%w: %d keys, %d values", ErrLengthMismatch, len(keys), len(values))
	}
	collection = s.resolve(collection)
	for _, k := range keys {
		if err := CheckKey(collection, k); err != nil {
			return err
		}
	}
	seconds, err := CheckTTL(ttl)
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		return nil
	}
	order := sortedLast(keys)
	if err := s.checkReplaced(collection, keys, values, order); err != nil {
		return err
	}
	atomic, ok := s.backend.(AtomicBackend)
	if !ok || len(order) <= PutManyChunk {
		return s.putSorted(ctx, s.backend, collection, keys, values, order, seconds)
	}
	return atomic.Atomic(ctx, func(b Backend) error {
		for chunk := range slices.Chunk(order, PutManyChunk) {
			if err := s.putSorted(ctx, b, collection, keys, values, chunk, seconds); err != nil {
				return err
			}
		}
		return nil
	})
}

// putSorted encodes the values at the indices order and writes them in one
// backend PutMany. It keeps nothing once it returns, so that the bytes of one
// chunk can be collected while the next is encoded.
func (s *ValueStore[V]) putSorted(ctx context.Context, b Backend, collection string, keys []string, values []V, order []int, seconds *float64) error {
	ks := make([]string, len(order))
	data := make([][]byte, len(order))
	for n, i := range order {
		var err error
		ks[n] = keys[i]
		if data[n], err = s.codec.Encode(collection, keys[i], values[i]); err != nil {
			return err
		}
	}
	return b.PutMany(ctx, collection, ks, data, seconds)
}

// checkReplaced encodes the values that a later value of the same key
// replaces, and drops them: they are never written, but an invalid one fails
// the call as any other invalid value does.
func (s *ValueStore[V]) checkReplaced(collection string, keys []string, values []V, order []int) error {
	if len(order) == len(keys) {
		return nil
	}
	kept := make([]bool, len(keys))
	for _, i := range order {
		kept[i] = true
	}
	for i, k := range keys {
		if kept[i] {
			continue
		}
		if _, err := s.codec.Encode(collection, k, values[i]); err != nil {
			return err
		}
	}
	return nil
}

// sortedLast returns the indices of keys in ascending key order, each key
// once at its last occurrence. It works on indices so that PutMany can encode
// values chunk by chunk in that order.
func sortedLast(keys []string) []int {
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	if strictlyAscending(keys) { // the usual case
		return order
	}
	// stable: among equal keys the last given stays last
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(keys[a], keys[b]) })
	last := order[:0] // in place: it never overtakes the element read next
	for n, i := range order {
		if n+1 < len(order) && keys[order[n+1]] == keys[i] {
			continue // a later value of this key follows
		}
		last = append(last, i)
	}
	return last
}

func strictlyAscending(keys []string) bool {
	for i := 1; i < len(keys); i++ {
		if keys[i-1] >= keys[i] {
			return false
		}
	}
	return true
}

func (s *ValueStore[V]) Delete(ctx context.Context, collection, key string) (bool, error) {
	collection = s.resolve(collection)
	if err := CheckKey(collection, key); err != nil {
		return false, err
	}
	return s.backend.Delete(ctx, collection, key)
}

// DeleteMany counts each removed unexpired key once, however often it is given.
func (s *ValueStore[V]) DeleteMany(ctx context.Context, collection string, keys []string) (int, error) {
	collection = s.resolve(collection)
	for _, k := range keys {
		if err := CheckKey(collection, k); err != nil {
			return 0, err
		}
	}
	if len(keys) == 0 {
		return 0, nil
	}
	return s.backend.DeleteMany(ctx, collection, unique(keys))
}

// Keys lists up to limit unexpired keys after the key after, ascending;
// limit <= 0 means DefaultListLimit. A page shorter than the limit is the last.
func (s *ValueStore[V]) Keys(ctx context.Context, collection, after string, limit int) ([]string, error) {
	collection, limit, err := s.page(collection, after, limit)
	if err != nil {
		return nil, err
	}
	return s.backend.Keys(ctx, collection, after, limit)
}

// List is Keys with the values; see ValueStore for values that cannot be decoded.
func (s *ValueStore[V]) List(ctx context.Context, collection, after string, limit int) ([]Item[V], error) {
	collection, limit, err := s.page(collection, after, limit)
	if err != nil {
		return nil, err
	}
	raws, err := s.backend.List(ctx, collection, after, limit)
	if err != nil {
		return nil, err
	}
	return s.items(collection, raws)
}

// Find returns the unexpired entries whose top-level JSON member field holds
// value as text (PostgreSQL's value->>field: a string matches its contents, a
// number or boolean its JSON text), ascending by key. It sees the stored
// JSON, so an encrypted member never matches.
func (s *ValueStore[V]) Find(ctx context.Context, collection, field, value string) ([]Item[V], error) {
	collection = s.resolve(collection)
	if err := checkCollection(collection); err != nil {
		return nil, err
	}
	if field == "" || !storableText(field) || !storableText(value) {
		return nil, fmt.Errorf("%w: find needs a non-empty field name, and field and value in UTF-8 without NUL bytes", ErrInvalidKey)
	}
	raws, err := s.backend.Find(ctx, collection, field, value)
	if err != nil {
		return nil, err
	}
	return s.items(collection, raws)
}

func (s *ValueStore[V]) Collections(ctx context.Context) ([]string, error) {
	return s.backend.Collections(ctx)
}

func (s *ValueStore[V]) DeleteCollection(ctx context.Context, collection string) (int, error) {
	collection = s.resolve(collection)
	if err := checkCollection(collection); err != nil {
		return 0, err
	}
	return s.backend.DeleteCollection(ctx, collection)
}

func (s *ValueStore[V]) Cull(ctx context.Context) (int, error) {
	return s.backend.Cull(ctx)
}

// page resolves and checks the arguments of Keys and List.
func (s *ValueStore[V]) page(collection, after string, limit int) (string, int, error) {
	collection = s.resolve(collection)
	if err := checkCollection(collection); err != nil {
		return "", 0, err
	}
	if !storableText(after) {
		return "", 0, &KeyError{Collection: collection, Key: after, Reason: "cursor is not UTF-8 without NUL bytes"}
	}
	if limit <= 0 {
		limit = DefaultListLimit
	}
	return collection, limit, nil
}

// items decodes raws, keeping their order and collecting the failures.
func (s *ValueStore[V]) items(collection string, raws []Raw) ([]Item[V], error) {
	out := make([]Item[V], 0, len(raws))
	var errs []error
	for _, r := range raws {
		v, err := s.codec.Decode(collection, r.Key, r.Value)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, Item[V]{Key: r.Key, Value: v, Expires: r.Expires, TTL: r.TTL})
	}
	return out, errors.Join(errs...)
}

// checkCollection applies CheckKey's rules to a collection on its own.
func checkCollection(collection string) error {
	switch {
	case len(collection) >= MaxKeyBytes:
		return &KeyError{Collection: collection, Reason: "collection leaves no room for a key within 2600 bytes"}
	case !storableText(collection):
		return &KeyError{Collection: collection, Reason: "collection is not UTF-8 without NUL bytes"}
	}
	return nil
}

// storableText reports whether PostgreSQL's text type can hold s.
func storableText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// unique returns keys without repeats, in first-seen order.
func unique(keys []string) []string {
	out, _ := uniqueKeys(keys)
	return out
}

// uniqueKeys returns keys without repeats, in first-seen order (keys itself
// when it has none), and the first position of each key in keys.
func uniqueKeys(keys []string) ([]string, map[string]int) {
	first := make(map[string]int, len(keys))
	for i, k := range keys {
		if _, seen := first[k]; !seen {
			first[k] = i
		}
	}
	if len(first) == len(keys) {
		return keys, first
	}
	out := make([]string, 0, len(first))
	for i, k := range keys {
		if first[k] == i {
			out = append(out, k)
		}
	}
	return out, first
}
