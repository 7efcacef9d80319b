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
	if key != "" && len(collection)+len(key) <= MaxKeyBytes && asciiWithoutNUL(key) && asciiWithoutNUL(collection) {
		return nil // the usual key, told in one pass over each string
	}
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

// asciiWithoutNUL reports whether s holds only bytes from 0x01 to 0x7f:
// no NUL, and valid UTF-8, as CheckKey requires. Eight bytes are tested at
// a time.
func asciiWithoutNUL(s string) bool {
	const ones, tops = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if (x|(x-ones)&^x)&tops != 0 { // a byte above 0x7f, or a zero byte
			return false
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c == 0 || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
