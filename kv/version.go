package kv

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"time"
)

// Version is the state of one entry as GetVersion read it, which
// CompareAndSwap and CompareAndDelete compare with the entry's state when
// they write: the stored value, byte for byte, and its expiry instant. The
// zero Version stands for "no entry": CompareAndSwap with it creates the entry
// only if the key holds none (an expired entry counts as none).
//
// It is the stored value itself, not a counter, so that every writer changes
// it, py-key-value's upserts included, which touch no column but value, ttl
// and expires_at. With encryption (value mode, or fields mode with a sealed
// field set) every write seals anew, so every write is a new Version. Without
// it, two writes of the same JSON with the same expiry (no ttl) are the same
// Version: after A, then B, then A again, a CompareAndSwap from the first A
// succeeds. It then replaces a value equal to the one it read, which is what
// a read-modify-write needs.
//
// A Version belongs to the collection and key it was read from: given for
// another, CompareAndSwap and CompareAndDelete refuse it (ErrInvalidKey),
// since equal values under two keys would otherwise compare equal. It
// prints as a digest: never the value.
type Version struct {
	state *versionState // a pointer, so that fmt prints an address within another struct
}

type versionState struct {
	collection, key string // where it was read
	value           []byte
	expiresAt       time.Time // zero: never
}

// versionOf is the Version of a stored entry of collection; it keeps its
// own copy of the bytes.
func versionOf(collection string, r Raw) Version {
	return Version{state: &versionState{collection: collection, key: r.Key, value: bytes.Clone(r.Value), expiresAt: r.ExpiresAt}}
}

// checkFor refuses a Version read from another entry than collection, key.
func (v Version) checkFor(collection, key string) error {
	if v.state == nil || (v.state.collection == collection && v.state.key == key) {
		return nil
	}
	return &KeyError{Collection: collection, Key: key, Reason: "the Version was read from another key or collection"}
}

// raw is the entry a backend compares with what it holds.
func (v Version) raw() Raw {
	return Raw{Value: v.state.value, Expires: !v.state.expiresAt.IsZero(), ExpiresAt: v.state.expiresAt}
}

// String names the Version by a digest of what it compares.
func (v Version) String() string {
	if v.state == nil {
		return "kv.Version(none)"
	}
	h := sha256.New()
	h.Write(v.state.value)
	h.Write([]byte(v.state.expiresAt.UTC().Format(time.RFC3339Nano)))
	return fmt.Sprintf("kv.Version(%x)", h.Sum(nil)[:8])
}

// GoString is String, for %#v.
func (v Version) GoString() string { return v.String() }
