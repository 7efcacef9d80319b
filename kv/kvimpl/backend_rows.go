package kvimpl

import (
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/pgkv"
)

// The rows of the generated queries, as sqlc declares them in each
// generated db package: a query's row type is a struct of these fields in
// this order (the columns the query selects), so the functions below take
// any of them and convert it, at no cost, to the one struct they read.

// ValueRow is a row of a query of one key (Get, GetAndDelete): the stored
// value, its expiry, and the database's now(), which expiry is measured on.
type ValueRow interface {
	~struct {
		Value     []byte
		ExpiresAt pgtype.Timestamptz
		Now       pgtype.Timestamptz
	}
}

// EntryRow is a row of a query of several keys (GetMany, List, the finders):
// a ValueRow with its key.
type EntryRow interface {
	~struct {
		Key       string
		Value     []byte
		ExpiresAt pgtype.Timestamptz
		Now       pgtype.Timestamptz
	}
}

// StoredRow is a row of Scan: a key and its value, expired or not.
type StoredRow interface {
	~struct {
		Key   string
		Value []byte
	}
}

type valueRow struct {
	Value     []byte
	ExpiresAt pgtype.Timestamptz
	Now       pgtype.Timestamptz
}

type entryRow struct {
	Key       string
	Value     []byte
	ExpiresAt pgtype.Timestamptz
	Now       pgtype.Timestamptz
}

type storedRow struct {
	Key   string
	Value []byte
}

// Found is the result of a query of one key, the row sqlc returned for key
// or its error: false, without an error, when there was no row.
func Found[R ValueRow](key string, row R, err error) (kv.Raw, bool, error) {
	if errors.Is(err, pgx.ErrNoRows) {
		return kv.Raw{}, false, nil
	}
	if err != nil {
		return kv.Raw{}, false, err
	}
	r := valueRow(row)
	return raw(key, r.Value, r.ExpiresAt, r.Now), true, nil
}

// Entries is the result of a query of several keys.
func Entries[R EntryRow](rows []R, err error) ([]kv.Raw, error) {
	if err != nil {
		return nil, err
	}
	out := make([]kv.Raw, len(rows))
	for i, row := range rows {
		r := entryRow(row)
		out[i] = raw(r.Key, r.Value, r.ExpiresAt, r.Now)
	}
	return out, nil
}

// Stored is the result of Scan: the rows as stored, with no expiry.
func Stored[R StoredRow](rows []R, err error) ([]kv.Raw, error) {
	if err != nil {
		return nil, err
	}
	out := make([]kv.Raw, len(rows))
	for i, row := range rows {
		r := storedRow(row)
		out[i] = kv.Raw{Key: r.Key, Value: r.Value}
	}
	return out, nil
}

// raw builds the kv.Raw of a row; the time left is expires minus the
// database's now(), so that expiry follows the database clock alone.
func raw(key string, value []byte, expires, now pgtype.Timestamptz) kv.Raw {
	r := kv.Raw{Key: key, Value: value}
	if expires.Valid {
		r.Expires = true
		r.TTL = expires.Time.Sub(now.Time)
		r.ExpiresAt = expires.Time
	}
	return r
}

// Wrote is the result of a write that counts the rows it wrote (or the
// unexpired rows it deleted): whether it wrote one.
func Wrote(n int64, err error) (bool, error) {
	return n > 0, err
}

// Count is the result of a write that counts rows, as an int.
func Count(n int64, err error) (int, error) {
	return int(n), err
}

// Text passes an encoded value as a text parameter without copying it
// (pgkv.Text).
func Text(value []byte) string { return pgkv.Text(value) }

// Texts is Text for a batch (pgkv.Texts).
func Texts(values [][]byte) []string { return pgkv.Texts(values) }

// Limit clamps a page size to the int4 of a LIMIT parameter (pgkv.Limit).
func Limit(n int) int32 { return pgkv.Limit(n) }

// Expiry is a kv.Raw's ExpiresAt as the expires_at it was read from: NULL
// when zero, so that a conditional write compares it exactly.
func Expiry(at time.Time) pgtype.Timestamptz {
	return pgtype.Timestamptz{Time: at, Valid: !at.IsZero()}
}

// NoIndex is the error of a generated backend's Find on a field that has
// no finder query; pkg prefixes it.
func NoIndex(pkg, field string) error {
	return fmt.Errorf("%s: no index on field %q: mark it indexed in the schema", pkg, field)
}
