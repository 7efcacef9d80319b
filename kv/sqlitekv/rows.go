package sqlitekv

import (
	"math"
	"time"
	"unsafe"

	"github.com/kvgen/kvgen/kv"
)

// Instants are stored as REAL seconds since the Unix epoch, the unit of
// the ttl column, so that expires_at is now + ttl in SQL and compares as
// a number; unixepoch('subsec') reads the database clock to the millisecond.

// Raw builds a kv.Raw from a row; the time left is expires minus the
// database's now, so expiry follows the database clock alone.
func Raw(key, value string, expires *float64, now float64) kv.Raw {
	r := kv.Raw{Key: key, Value: []byte(value)}
	if expires != nil {
		r.Expires = true
		r.TTL = time.Duration((*expires - now) * float64(time.Second))
		r.ExpiresAt = timeOf(*expires)
	}
	return r
}

// Unexpired reports whether a row expiring at expires (nil: never) is
// alive at the database's now.
func Unexpired(expires *float64, now float64) bool {
	return expires == nil || *expires > now
}

// Expiry is a kv.Raw's ExpiresAt as the expires_at it was read from: nil
// (NULL) when zero, and otherwise exactly the stored REAL, so that a
// conditional write compares it with =.
func Expiry(at time.Time) *float64 {
	if at.IsZero() {
		return nil
	}
	s := float64(at.Unix()) + float64(at.Nanosecond())/1e9
	return &s
}

// timeOf is the instant of x seconds since the epoch, to the nanosecond:
// near enough that Expiry gives back x itself, whose last bit is worth
// about 240 ns today.
func timeOf(x float64) time.Time {
	sec := math.Floor(x)
	ns := math.Round((x - sec) * 1e9)
	return time.Unix(int64(sec), int64(ns))
}

// Text passes an encoded value as a text parameter without copying it: the
// driver copies it into SQLite when it binds it, and the codec that
// produced value never changes it afterwards.
func Text(value []byte) string {
	if len(value) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(value), len(value))
}

// Array is keys as a JSON array of strings, the one parameter of a
// statement over many keys (json_each): no limit on the number of
// variables, and one statement text whatever the count.
func Array(keys []string) string {
	n := 2
	for _, k := range keys {
		n += len(k) + 3
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
	}
	return string(append(b, ']'))
}

// Pairs is keys[i] with values[i] as a JSON array of [key, value] arrays
// of strings, each value the text of one encoded value byte for byte: the
// one parameter of PutMany, which json_each reads once.
func Pairs(keys []string, values [][]byte) string {
	n := 2
	for i := range keys {
		n += len(keys[i]) + len(values[i]) + 8
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = appendString(b, keys[i])
		b = append(b, ',')
		b = appendString(b, Text(values[i]))
		b = append(b, ']')
	}
	return string(append(b, ']'))
}

// appendString appends s as a JSON string, escaping only what JSON
// requires, so that SQLite's json_each decodes the very bytes of s.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// Count counts the rows a statement reported alive (1) among those it
// deleted: the RETURNING column of Delete, DeleteMany and DeleteCollection.
func Count(alive []int64) int {
	n := 0
	for _, a := range alive {
		n += int(a)
	}
	return n
}

// Limit is a page size as the LIMIT parameter.
func Limit(n int) int64 { return int64(n) }
