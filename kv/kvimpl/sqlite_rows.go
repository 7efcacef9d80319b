package kvimpl

import (
	"database/sql"
	"errors"
	"time"

	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/sqlitekv"
)

// The rows of the generated SQLite queries, as sqlc's sqlite engine
// declares them in each generated sqlitedb package: database/sql types,
// the value as TEXT, instants as REAL seconds since the Unix epoch (see
// sqlitekv). As with PostgreSQL's rows (ValueRow), the functions below take
// any struct of these fields in this order and convert it at no cost.

// SQLiteValueRow is a row of Get: the stored value, its expiry, and the
// database's now, which expiry is measured on.
type SQLiteValueRow interface {
	~struct {
		Value     string
		ExpiresAt *float64
		Now       float64
	}
}

// SQLiteTakenRow is the row of GetAndDelete: a SQLiteValueRow whose now is
// named Column3, as sqlc's sqlite engine names the columns of a RETURNING
// clause by position, whatever their aliases.
type SQLiteTakenRow interface {
	~struct {
		Value     string
		ExpiresAt *float64
		Column3   float64
	}
}

// SQLiteEntryRow is a row of a query of several keys (GetMany, List, the
// finders): a SQLiteValueRow with its key.
type SQLiteEntryRow interface {
	~struct {
		Key       string
		Value     string
		ExpiresAt *float64
		Now       float64
	}
}

// SQLiteStoredRow is a row of Scan: a key and its value, expired or not.
type SQLiteStoredRow interface {
	~struct {
		Key   string
		Value string
	}
}

type sqliteValueRow struct {
	Value     string
	ExpiresAt *float64
	Now       float64
}

type sqliteTakenRow struct {
	Value     string
	ExpiresAt *float64
	Column3   float64
}

type sqliteEntryRow struct {
	Key       string
	Value     string
	ExpiresAt *float64
	Now       float64
}

type sqliteStoredRow struct {
	Key   string
	Value string
}

// SQLiteFound is the result of Get, the row sqlc returned for key or its
// error: false, without an error, when there was no row.
func SQLiteFound[R SQLiteValueRow](key string, row R, err error) (kv.Raw, bool, error) {
	if errors.Is(err, sql.ErrNoRows) {
		return kv.Raw{}, false, nil
	}
	if err != nil {
		return kv.Raw{}, false, err
	}
	r := sqliteValueRow(row)
	return sqlitekv.Raw(key, r.Value, r.ExpiresAt, r.Now), true, nil
}

// SQLiteTaken is the result of GetAndDelete, which deletes the row of key
// expired or not: an expired row reads as none.
func SQLiteTaken[R SQLiteTakenRow](key string, row R, err error) (kv.Raw, bool, error) {
	r := sqliteTakenRow(row)
	if err == nil && !sqlitekv.Unexpired(r.ExpiresAt, r.Column3) {
		return kv.Raw{}, false, nil
	}
	return SQLiteFound(key, sqliteValueRow{Value: r.Value, ExpiresAt: r.ExpiresAt, Now: r.Column3}, err)
}

// SQLiteEntries is the result of a query of several keys.
func SQLiteEntries[R SQLiteEntryRow](rows []R, err error) ([]kv.Raw, error) {
	if err != nil {
		return nil, err
	}
	out := make([]kv.Raw, len(rows))
	for i, row := range rows {
		r := sqliteEntryRow(row)
		out[i] = sqlitekv.Raw(r.Key, r.Value, r.ExpiresAt, r.Now)
	}
	return out, nil
}

// SQLiteStored is the result of Scan: the rows as stored, with no expiry.
func SQLiteStored[R SQLiteStoredRow](rows []R, err error) ([]kv.Raw, error) {
	if err != nil {
		return nil, err
	}
	out := make([]kv.Raw, len(rows))
	for i, row := range rows {
		r := sqliteStoredRow(row)
		out[i] = kv.Raw{Key: r.Key, Value: []byte(r.Value)}
	}
	return out, nil
}

// SQLiteDeleted is the result of Delete, whose one row, if any, says
// whether the key it deleted was unexpired (1) or not (0): whether it
// deleted an unexpired row.
func SQLiteDeleted(alive []int64, err error) (bool, error) {
	return sqlitekv.Count(alive) > 0, err
}

// SQLiteCount is the result of DeleteMany and DeleteCollection, which
// return a row per key they deleted, 1 when it was unexpired: the number of
// unexpired rows deleted.
func SQLiteCount(alive []int64, err error) (int, error) {
	return sqlitekv.Count(alive), err
}

// SQLiteSwap runs swap, the generated Swap query of one key, for each of
// keys with olds[i] and news[i] as text, and counts the rows it swapped. It
// runs no transaction: the backend of SQLiteBackend runs a Swap in one.
func SQLiteSwap(keys []string, olds, news [][]byte, swap func(key, old, value string) (int64, error)) (int, error) {
	n := 0
	for i, key := range keys {
		swapped, err := swap(key, Text(olds[i]), Text(news[i]))
		if err != nil {
			return n, err
		}
		n += int(swapped)
	}
	return n, nil
}

// SQLiteArray is keys as the JSON array that a statement over many keys
// reads with json_each (sqlitekv.Array).
func SQLiteArray(keys []string) string { return sqlitekv.Array(keys) }

// SQLitePairs is keys[i] with values[i] as the JSON array of pairs that
// PutMany reads with json_each (sqlitekv.Pairs).
func SQLitePairs(keys []string, values [][]byte) string { return sqlitekv.Pairs(keys, values) }

// SQLiteLimit is a page size as a LIMIT parameter (sqlitekv.Limit).
func SQLiteLimit(n int) int64 { return sqlitekv.Limit(n) }

// SQLiteExpiry is a kv.Raw's ExpiresAt as the expires_at it was read from,
// so that a conditional write compares it exactly (sqlitekv.Expiry).
func SQLiteExpiry(at time.Time) *float64 { return sqlitekv.Expiry(at) }
