// Package pgkv holds the small PostgreSQL helpers that kvgen's generated
// backends share, so that generated code stays thin.
package pgkv

import (
	"math"
	"time"
	"unsafe"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/kvgen/kvgen/kv"
)

// Raw builds a kv.Raw from a row; the time left is expires minus the
// database's now(), so expiry follows the database clock alone.
func Raw(key string, value []byte, expires, now pgtype.Timestamptz) kv.Raw {
	r := kv.Raw{Key: key, Value: value}
	if expires.Valid {
		r.Expires = true
		r.TTL = expires.Time.Sub(now.Time)
		r.ExpiresAt = expires.Time
	}
	return r
}

// Expiry is a kv.Raw's ExpiresAt as the expires_at it was read from: NULL
// when zero, so that a conditional write compares it exactly.
func Expiry(at time.Time) pgtype.Timestamptz {
	return pgtype.Timestamptz{Time: at, Valid: !at.IsZero()}
}

// Text passes an encoded value as a text parameter without copying it: JSON
// sent as text is read as jsonb in every pgx mode, whereas []byte is taken for
// bytea by the simple protocol (PgBouncer's transaction pooling). The codec
// that produced value never changes it afterwards.
func Text(value []byte) string {
	if len(value) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(value), len(value))
}

// Texts is Text for a batch.
func Texts(values [][]byte) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = Text(v)
	}
	return out
}

// Limit clamps a page size to the int4 of a LIMIT parameter.
func Limit(n int) int32 {
	if n > math.MaxInt32 {
		return math.MaxInt32
	}
	return int32(n)
}
