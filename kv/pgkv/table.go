package pgkv

import (
	"context"
	"fmt"
	"regexp"

	"github.com/jackc/pgx/v5"

	"github.com/kvgen/kvgen/kv"
)

// MaxIdentifier is PostgreSQL's identifier limit (NAMEDATALEN-1 bytes). The
// server silently truncates a longer name, so two long names could end up
// the same.
const MaxIdentifier = 63

// TablePattern is the form of a table name that kvgen's schemas, the
// generated SQL and Table accept: an identifier PostgreSQL takes unquoted
// (lower case, as it folds an unquoted name) of at most MaxIdentifier bytes.
const TablePattern = `^[a-z_][a-z0-9_]{0,62}$`

var tableName = regexp.MustCompile(TablePattern)

// Table is a kv.TableRewriter over any table of py-key-value's layout,
// whatever records it holds: what `kvgen reencrypt` rotates a whole table
// with. Its statements run as the generated stores' do (Wrap: unprepared,
// retried on serialization failures and deadlocks, read-only named), and
// its Swap locks rows in byte order of key, as theirs does.
type Table struct {
	conn DBTX
	name string // validated: safe to put in SQL
}

var _ kv.TableRewriter = (*Table)(nil)

// NewTable returns a Table over the table called name of conn; name must be
// a lower-case SQL identifier, as kvgen's schemas require.
func NewTable(conn DBTX, name string) (*Table, error) {
	if !tableName.MatchString(name) {
		return nil, fmt.Errorf("pgkv: table %q is not a lower-case SQL identifier", name)
	}
	return &Table{conn: Wrap(conn), name: pgx.Identifier{name}.Sanitize()}, nil
}

// AllCollections lists the collections in byte order (COLLATE "C"), as
// kv.ReencryptTable resumes them, expired rows included.
func (t *Table) AllCollections(ctx context.Context) ([]string, error) {
	rows, err := t.conn.Query(ctx, `SELECT DISTINCT collection COLLATE "C" FROM `+t.name+` ORDER BY 1`)
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
		collection, after, Limit(limit))
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

// Swap replaces the value of keys[i] by news[i] where it still equals
// olds[i], after locking the rows in byte order of key, so that it cannot
// deadlock with the stores' batches (see the generated Swap query).
func (t *Table) Swap(ctx context.Context, collection string, keys []string, olds, news [][]byte) (int, error) {
	tag, err := t.conn.Exec(ctx, `WITH locked AS MATERIALIZED (
		  SELECT l.key FROM `+t.name+` AS l WHERE l.collection = $1 AND l.key = ANY($2::text[])
		  ORDER BY l.key COLLATE "C" FOR UPDATE
		)
		UPDATE `+t.name+` AS t SET value = u.new::jsonb
		FROM locked, (SELECT unnest($2::text[]) AS k, unnest($3::text[]) AS old, unnest($4::text[]) AS new) AS u
		WHERE t.collection = $1 AND t.key = locked.key AND t.key = u.k AND t.value = u.old::jsonb`,
		collection, keys, Texts(olds), Texts(news))
	return int(tag.RowsAffected()), err
}
