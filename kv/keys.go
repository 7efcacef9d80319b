package kv

import (
	"strings"
	"time"
	"unicode/utf8"
)

// MaxKeyBytes bounds len(collection)+len(key): PostgreSQL cannot index a
// (collection, key) pair much above 2,700 bytes, and fails then with a raw
// driver error. Every store enforces the same bound so that they agree.
const MaxKeyBytes = 2600

// CheckKey reports ErrInvalidKey for a key no store can hold: empty, longer
// than MaxKeyBytes together with its collection, holding a NUL byte or
// invalid UTF-8 (PostgreSQL text accepts neither). collection is the
// resolved collection name.
func CheckKey(collection, key string) error {
	switch {
	case key == "":
		return &KeyError{Collection: collection, Key: key, Reason: "empty key"}
	case len(collection)+len(key) > MaxKeyBytes:
		return &KeyError{Collection: collection, Key: key, Reason: "collection and key together exceed 2600 bytes"}
	case strings.IndexByte(key, 0) >= 0 || strings.IndexByte(collection, 0) >= 0:
		return &KeyError{Collection: collection, Key: key, Reason: "contains a NUL byte"}
	case !utf8.ValidString(key) || !utf8.ValidString(collection):
		return &KeyError{Collection: collection, Key: key, Reason: "not valid UTF-8"}
	}
	return nil
}

// CheckTTL converts a ttl to seconds for storage: nil for no expiry.
func CheckTTL(ttl time.Duration) (*float64, error) {
	if ttl < 0 {
		return nil, ErrInvalidTTL
	}
	if ttl == 0 {
		return nil, nil
	}
	s := ttl.Seconds()
	return &s, nil
}
