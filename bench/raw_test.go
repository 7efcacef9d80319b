package bench

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvgen/kvgen/kv"
)

// rawRecord is a row as the raw ceiling sees it: the stored JSON as text,
// neither decoded nor encrypted.
type rawRecord struct {
	Key, Value string
}

// raw is the ceiling: the baseline's SQL and nothing else. Its GetMany
// keeps rows in the order the server sends them.
type raw struct {
	pool       *pgxpool.Pool
	collection string
}

func (s *raw) Get(ctx context.Context, key string) (rawRecord, bool, error) {
	var (
		value        string
		expires, now pgtype.Timestamptz
	)
	err := s.pool.QueryRow(ctx, sqlGet, s.collection, key).Scan(&value, &expires, &now)
	if errors.Is(err, pgx.ErrNoRows) {
		return rawRecord{}, false, nil
	}
	return rawRecord{Key: key, Value: value}, err == nil, err
}

func (s *raw) GetMany(ctx context.Context, keys []string) ([]kv.Entry[rawRecord], error) {
	rows, err := s.pool.Query(ctx, sqlGetMany, s.collection, keys)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]kv.Entry[rawRecord], 0, len(keys))
	for rows.Next() {
		var (
			r            rawRecord
			expires, now pgtype.Timestamptz
		)
		if err := rows.Scan(&r.Key, &r.Value, &expires, &now); err != nil {
			return nil, err
		}
		out = append(out, kv.Entry[rawRecord]{Value: r, Found: true})
	}
	return out, rows.Err()
}

func (s *raw) Put(ctx context.Context, r rawRecord) error {
	_, err := s.pool.Exec(ctx, sqlPut, s.collection, r.Key, r.Value, nil)
	return err
}

func (s *raw) PutMany(ctx context.Context, rs []rawRecord) error {
	keys := make([]string, len(rs))
	values := make([]string, len(rs))
	for i, r := range rs {
		keys[i], values[i] = r.Key, r.Value
	}
	_, err := s.pool.Exec(ctx, sqlPutMany, s.collection, nil, keys, values)
	return err
}

func (s *raw) Delete(ctx context.Context, key string) (bool, error) {
	var n int64
	err := s.pool.QueryRow(ctx, sqlDelete, s.collection, key).Scan(&n)
	return n > 0, err
}

func (s *raw) DeleteMany(ctx context.Context, keys []string) (int, error) {
	var n int64
	err := s.pool.QueryRow(ctx, sqlDeleteMany, s.collection, keys).Scan(&n)
	return int(n), err
}
