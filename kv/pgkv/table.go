package pgkv

import (
	"context"
	"fmt"
	"regexp"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kvgen/kvgen/kv"
)

// Conn is what Table needs of a connection: a *pgxpool.Pool, *pgx.Conn or pgx.Tx.
type Conn interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// tableName is the safe identifier a schema's table must be.
var tableName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Table is a kv.TableRewriter over any table of py-key-value's layout,
// whatever records it holds: what `kvgen reencrypt` rotates a whole table
// with. Its statements run in pgx's exec mode, which needs no named
// prepared statement, so they work behind PgBouncer's transaction pooling.
type Table struct {
	conn Conn
	name string // validated: safe to put in SQL
}

var _ kv.TableRewriter = (*Table)(nil)

// NewTable returns the table name of conn; name must be a lower-case SQL
// identifier, as kvgen's schemas require.
func NewTable(conn Conn, name string) (*Table, error) {
	if !tableName.MatchString(name) {
		return nil, fmt.Errorf("pgkv: table %q is not a lower-case SQL identifier", name)
	}
	return &Table{conn: conn, name: name}, nil
}

// AllCollections lists the collections in byte order (COLLATE "C"), as
// kv.ReencryptTable resumes them, expired rows included.
func (t *Table) AllCollections(ctx context.Context) ([]string, error) {
	rows, err := t.conn.Query(ctx, `SELECT DISTINCT collection COLLATE "C" FROM `+t.name+` ORDER BY 1`,
		pgx.QueryExecModeExec)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// Scan lists up to limit rows of collection after after, ascending by key,
// expired ones included.
func (t *Table) Scan(ctx context.Context, collection, after string, limit int) ([]kv.Raw, error) {
	rows, err := t.conn.Query(ctx, `SELECT key, value::text FROM `+t.name+`
		WHERE collection = $1 AND key > $2 ORDER BY key LIMIT $3`,
		pgx.QueryExecModeExec, collection, after, Limit(limit))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (kv.Raw, error) {
		var r kv.Raw
		var value string
		err := row.Scan(&r.Key, &value)
		r.Value = []byte(value)
		return r, err
	})
}

// Swap replaces the value of keys[i] by news[i] where it still equals olds[i].
func (t *Table) Swap(ctx context.Context, collection string, keys []string, olds, news [][]byte) (int, error) {
	tag, err := t.conn.Exec(ctx, `UPDATE `+t.name+` AS t SET value = u.new::jsonb
		FROM (SELECT unnest($2::text[]) AS k, unnest($3::text[]) AS old, unnest($4::text[]) AS new) AS u
		WHERE t.collection = $1 AND t.key = u.k AND t.value = u.old::jsonb`,
		pgx.QueryExecModeExec, collection, keys, Texts(olds), Texts(news))
	return int(tag.RowsAffected()), err
}
