package kv

import (
	"bytes"
	"context"
	"slices"
	"sync"
	"time"
)

// Memory is a Backend in process memory, for tests and for servers that need
// no persistence. Expiry runs on the process clock. It is safe for concurrent
// use and copies every byte slice that crosses its boundary.
type Memory struct {
	// Now is the clock; tests may replace it before first use. nil means time.Now.
	Now func() time.Time

	mu          sync.RWMutex
	collections map[string]map[string]*memoryEntry
}

type memoryEntry struct {
	value     []byte
	ttl       *float64  // seconds asked for at write time, as the table's ttl column
	createdAt time.Time // kept on overwrite, as the table's created_at
	expiresAt time.Time // zero: never
}

var _ Backend = (*Memory)(nil)

// NewMemory returns an empty memory backend.
func NewMemory() *Memory {
	return &Memory{collections: make(map[string]map[string]*memoryEntry)}
}

// NewMemoryStore returns a ValueStore over a new memory backend.
func NewMemoryStore[V any](c Codec[V], defaultCollection string) *ValueStore[V] {
	return NewValueStore(NewMemory(), c, defaultCollection)
}

func (m *Memory) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// live reports whether e is unexpired at now; expiry is expires_at <= now, as in SQL.
func (e *memoryEntry) live(now time.Time) bool {
	return e.expiresAt.IsZero() || now.Before(e.expiresAt)
}

func (e *memoryEntry) raw(key string, now time.Time) Raw {
	r := Raw{Key: key, Value: bytes.Clone(e.value)}
	if !e.expiresAt.IsZero() {
		r.Expires = true
		r.TTL = e.expiresAt.Sub(now)
		r.ExpiresAt = e.expiresAt
	}
	return r
}

// holds reports whether e is the state old describes: the same bytes and
// the same expiry instant.
func (e *memoryEntry) holds(old Raw) bool {
	return bytes.Equal(e.value, old.Value) && e.expiresAt.Equal(old.ExpiresAt)
}

// unexpired returns the unexpired entry of key; the caller holds a lock.
func (m *Memory) unexpired(now time.Time, collection, key string) (*memoryEntry, bool) {
	e, ok := m.collections[collection][key]
	if !ok || !e.live(now) {
		return nil, false
	}
	return e, true
}

func (m *Memory) Get(_ context.Context, collection, key string) (Raw, bool, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	now := m.now()
	e, ok := m.unexpired(now, collection, key)
	if !ok {
		return Raw{}, false, nil
	}
	return e.raw(key, now), true, nil
}

func (m *Memory) GetMany(_ context.Context, collection string, keys []string) ([]Raw, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	now := m.now()
	entries := m.collections[collection]
	out := make([]Raw, 0, len(keys))
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if e, ok := entries[k]; ok && !seen[k] && e.live(now) {
			seen[k] = true
			out = append(out, e.raw(k, now))
		}
	}
	return out, nil
}

func (m *Memory) Put(_ context.Context, collection, key string, value []byte, ttl *float64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.put(m.now(), collection, key, value, ttl)
	return nil
}

func (m *Memory) PutMany(_ context.Context, collection string, keys []string, values [][]byte, ttl *float64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	for i, k := range keys {
		m.put(now, collection, k, values[i], ttl)
	}
	return nil
}

// put writes one entry; the caller holds the write lock.
func (m *Memory) put(now time.Time, collection, key string, value []byte, ttl *float64) {
	entries := m.collections[collection]
	if entries == nil {
		entries = make(map[string]*memoryEntry)
		m.collections[collection] = entries
	}
	e := &memoryEntry{value: bytes.Clone(value), createdAt: now}
	if old, ok := entries[key]; ok && old.live(now) {
		e.createdAt = old.createdAt
	}
	if ttl != nil {
		seconds := *ttl
		e.ttl = &seconds
		e.expiresAt = now.Add(time.Duration(seconds * float64(time.Second)))
	}
	entries[key] = e
}

func (m *Memory) Delete(_ context.Context, collection, key string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.remove(m.now(), collection, key), nil
}

func (m *Memory) DeleteMany(_ context.Context, collection string, keys []string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	n := 0
	for _, k := range keys {
		if m.remove(now, collection, k) {
			n++
		}
	}
	return n, nil
}

// remove deletes key, expired or not, and reports whether it was unexpired;
// the caller holds the write lock.
func (m *Memory) remove(now time.Time, collection, key string) bool {
	entries := m.collections[collection]
	e, ok := entries[key]
	if !ok {
		return false
	}
	delete(entries, key)
	if len(entries) == 0 {
		delete(m.collections, collection)
	}
	return e.live(now)
}

func (m *Memory) Keys(_ context.Context, collection, after string, limit int) ([]string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	now := m.now()
	var out []string
	for _, k := range m.sortedKeys(collection, after) {
		if len(out) >= limit {
			break
		}
		if m.collections[collection][k].live(now) {
			out = append(out, k)
		}
	}
	return out, nil
}

func (m *Memory) List(_ context.Context, collection, after string, limit int) ([]Raw, error) {
	return m.list(collection, after, limit, false), nil
}

func (m *Memory) Scan(_ context.Context, collection, after string, limit int) ([]Raw, error) {
	return m.list(collection, after, limit, true), nil
}

func (m *Memory) list(collection, after string, limit int, withExpired bool) []Raw {
	m.mu.RLock()
	defer m.mu.RUnlock()
	now := m.now()
	var out []Raw
	for _, k := range m.sortedKeys(collection, after) {
		if len(out) >= limit {
			break
		}
		if e := m.collections[collection][k]; withExpired || e.live(now) {
			out = append(out, e.raw(k, now))
		}
	}
	return out
}

// sortedKeys returns the keys of collection above after, ascending by byte
// order (PostgreSQL's order under the C collation); the caller holds a lock.
func (m *Memory) sortedKeys(collection, after string) []string {
	var keys []string
	for k := range m.collections[collection] {
		if k > after {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

func (m *Memory) Find(_ context.Context, collection, field, value string) ([]Raw, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	now := m.now()
	var out []Raw
	for _, k := range m.sortedKeys(collection, "") {
		e := m.collections[collection][k]
		if !e.live(now) {
			continue
		}
		if text, ok := memberText(e.value, field); ok && text == value {
			out = append(out, e.raw(k, now))
		}
	}
	return out, nil
}

func (m *Memory) Collections(_ context.Context) ([]string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	now := m.now()
	var out []string
	for name, entries := range m.collections {
		for _, e := range entries {
			if e.live(now) {
				out = append(out, name)
				break
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

func (m *Memory) DeleteCollection(_ context.Context, collection string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	n := 0
	for _, e := range m.collections[collection] {
		if e.live(now) {
			n++
		}
	}
	delete(m.collections, collection)
	return n, nil
}

func (m *Memory) Cull(_ context.Context) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	n := 0
	for name, entries := range m.collections {
		for k, e := range entries {
			if !e.live(now) {
				delete(entries, k)
				n++
			}
		}
		if len(entries) == 0 {
			delete(m.collections, name)
		}
	}
	return n, nil
}

// Swap compares the stored bytes with olds[i]: the callers pass back what
// Scan returned, which is byte for byte what was stored.
func (m *Memory) Swap(_ context.Context, collection string, keys []string, olds, news [][]byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for i, k := range keys {
		e, ok := m.collections[collection][k]
		if !ok || !bytes.Equal(e.value, olds[i]) {
			continue
		}
		e.value = bytes.Clone(news[i])
		n++
	}
	return n, nil
}

func (m *Memory) Insert(_ context.Context, collection, key string, value []byte, ttl *float64) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if _, ok := m.unexpired(now, collection, key); ok {
		return false, nil
	}
	m.put(now, collection, key, value, ttl)
	return true, nil
}

func (m *Memory) CompareAndSwap(_ context.Context, collection, key string, old Raw, value []byte, ttl *float64) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if e, ok := m.unexpired(now, collection, key); !ok || !e.holds(old) {
		return false, nil
	}
	m.put(now, collection, key, value, ttl)
	return true, nil
}

func (m *Memory) Replace(_ context.Context, collection, key string, value []byte, ttl *float64) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if _, ok := m.unexpired(now, collection, key); !ok {
		return false, nil
	}
	m.put(now, collection, key, value, ttl)
	return true, nil
}

func (m *Memory) CompareAndDelete(_ context.Context, collection, key string, old Raw) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if e, ok := m.unexpired(now, collection, key); !ok || !e.holds(old) {
		return false, nil
	}
	return m.remove(now, collection, key), nil
}

func (m *Memory) GetAndDelete(_ context.Context, collection, key string) (Raw, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	e, ok := m.unexpired(now, collection, key)
	m.remove(now, collection, key)
	if !ok {
		return Raw{}, false, nil
	}
	return e.raw(key, now), true, nil
}

// String keeps a Memory's contents out of logs: fmt would print the stored values.
func (m *Memory) String() string { return "kv.Memory" }
