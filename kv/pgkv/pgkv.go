// Package pgkv is the PostgreSQL side of kvgen's runtime: how the generated
// stores run their statements (Wrap: unprepared, retried on serialization
// failures, read-only servers named), their transactions (Atomic), their DDL
// (CreateTable, CheckTable), and Table, which rewrites a whole table for
// `kvgen reencrypt`. Generated code reaches it through kv/kvimpl.
package pgkv

import (
	"math"
	"unsafe"
)

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
