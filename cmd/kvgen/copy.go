package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	// The SQLite driver in pure Go: kvgen builds with CGO_ENABLED=0.
	_ "modernc.org/sqlite"

	"github.com/kvgen/kvgen/generator"
	"github.com/kvgen/kvgen/generator/render"
	"github.com/kvgen/kvgen/generator/schema"
	"github.com/kvgen/kvgen/kv/sqlitekv"
)

// copyFlags is kvgen copy: it copies a table between a SQLite file and PostgreSQL ($DATABASE_URL),
// either way, row by row as stored: values are copied as their JSON text, so
// sealed values and fields (the ciphertext) are untouched, and no key is
// needed. Rows go in byte order of (collection, key), in batches, each
// written in one transaction and announced on stderr with the cursor an
// interrupted run resumes from. A row the destination holds already is
// replaced by the source's: running it again is harmless.
func copyFlags(fs *flag.FlagSet) func(context.Context, *cli, []string) error {
	to := fs.String("to", "", "the destination: `postgresql` (from the SQLite file) or sqlite (from PostgreSQL)")
	file := fs.String("sqlite", "", "the SQLite database `file`")
	batch := fs.Int("batch", 1000, "rows per read and per transaction: `n`")
	afterCollection := fs.String("after-collection", "", "resume after this `collection`, as an interrupted run printed")
	afterKey := fs.String("after-key", "", "resume after this `key` of -after-collection")
	return func(ctx context.Context, c *cli, args []string) error {
		schemas, err := loadSchemas("copy", args)
		if err != nil {
			return err
		}
		table := schemas[0].Table
		for _, s := range schemas[1:] {
			if s.Table != table {
				return usageError("copy: %s stores in table %s, %s in %s: copy one table at a time, with the schemas of its records",
					schemas[0].Path, table, s.Path, s.Table)
			}
		}
		switch {
		case *to != "postgresql" && *to != "sqlite":
			return usageError("copy: -to must be postgresql or sqlite, the destination")
		case *file == "":
			return usageError("copy: -sqlite names the SQLite database file")
		case *batch <= 0:
			return usageError("copy: -batch must be positive")
		case *afterKey != "" && *afterCollection == "":
			return usageError("copy: -after-key needs -after-collection, the collection it belongs to")
		}
		dsn := os.Getenv(databaseURLEnv)
		if dsn == "" {
			return usageError("copy: $%s is not set: it names the PostgreSQL database of table %s", databaseURLEnv, table)
		}
		pg, lite, err := openSides(ctx, dsn, *file, table, schemas, *to == "sqlite")
		if err != nil {
			return err
		}
		defer pg.pool.Close()
		defer lite.db.Close()
		from, dest := tableSide(lite), tableSide(pg)
		if *to == "sqlite" {
			from, dest = pg, lite
		}
		return runCopy(ctx, c, from, dest, table, *batch, cursor{*afterCollection, *afterKey})
	}
}

// openSides opens both ends; the SQLite file must exist unless it is the
// destination. The destination's table is created if needed.
func openSides(ctx context.Context, dsn, file, table string, schemas []*schema.Schema, toSQLite bool) (*pgSide, *sqliteSide, error) {
	if _, err := os.Stat(file); err != nil && !toSQLite {
		return nil, nil, fmt.Errorf("kvgen: copy: the SQLite file: %w", err)
	}
	tables, err := generator.TableModels(schemas)
	if err != nil {
		return nil, nil, err
	}
	pgDDL, err := render.Table(table, tables[table])
	if err != nil {
		return nil, nil, err
	}
	liteDDL, err := render.SQLiteTable(table, tables[table])
	if err != nil {
		return nil, nil, err
	}
	pool, err := openPool(ctx, "copy", dsn)
	if err != nil {
		return nil, nil, err
	}
	db, err := sqlitekv.Open(ctx, "sqlite", filepath.Clean(file))
	if err != nil {
		pool.Close()
		return nil, nil, fmt.Errorf("kvgen: copy: %w", err)
	}
	pg := &pgSide{pool: pool, table: pgx.Identifier{table}.Sanitize()}
	lite := &sqliteSide{db: db, table: `"` + table + `"`}
	if toSQLite {
		err = db.CreateTable(ctx, string(liteDDL))
	} else {
		_, err = pool.Exec(ctx, string(pgDDL))
	}
	if err != nil {
		pool.Close()
		db.Close()
		return nil, nil, fmt.Errorf("kvgen: copy: creating table %s: %w", table, err)
	}
	return pg, lite, nil
}

// runCopy copies from one side to the other, batch by batch.
func runCopy(ctx context.Context, c *cli, from, to tableSide, table string, batch int, after cursor) error {
	copied := 0
	for {
		rows, err := from.read(ctx, after, batch)
		if err == nil && len(rows) > 0 {
			err = to.write(ctx, rows)
		}
		if err != nil {
			return fmt.Errorf("kvgen: copy %s: %w\nresume with: -after-collection %q -after-key %q", table, err, after.collection, after.key)
		}
		if len(rows) == 0 {
			fmt.Fprintf(c.stdout, "kvgen: copy %s: %d rows copied to %s\n", table, copied, to.name())
			return nil
		}
		copied += len(rows)
		last := rows[len(rows)-1]
		after = cursor{last.collection, last.key}
		fmt.Fprintf(c.stderr, "kvgen: copy %s: %d rows copied, at collection %q key %q\n", table, copied, after.collection, after.key)
	}
}

// cursor is the last (collection, key) copied: the next batch starts after it.
type cursor struct{ collection, key string }

// tableRow is a row as both engines hold it, instants in seconds since the
// Unix epoch.
type tableRow struct {
	collection, key, value    string
	ttl, createdAt, expiresAt *float64
}

// tableSide is one end of a copy.
type tableSide interface {
	name() string
	// read returns up to limit rows after after, in byte order of (collection, key).
	read(ctx context.Context, after cursor, limit int) ([]tableRow, error)
	// write upserts rows in one transaction.
	write(ctx context.Context, rows []tableRow) error
}

type pgSide struct {
	pool  *pgxpool.Pool
	table string // sanitized
}

func (p *pgSide) name() string { return "PostgreSQL" }

func (p *pgSide) read(ctx context.Context, after cursor, limit int) ([]tableRow, error) {
	rows, err := p.pool.Query(ctx, `SELECT collection, key, value::text, ttl,
		extract(epoch FROM created_at)::float8, extract(epoch FROM expires_at)::float8
		FROM `+p.table+` WHERE (collection COLLATE "C", key COLLATE "C") > ($1, $2)
		ORDER BY collection COLLATE "C", key COLLATE "C" LIMIT $3`, after.collection, after.key, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (tableRow, error) {
		var t tableRow
		err := r.Scan(&t.collection, &t.key, &t.value, &t.ttl, &t.createdAt, &t.expiresAt)
		return t, err
	})
}

func (p *pgSide) write(ctx context.Context, rows []tableRow) error {
	return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		batch := &pgx.Batch{}
		for _, r := range rows {
			batch.Queue(`INSERT INTO `+p.table+` (collection, key, value, ttl, created_at, expires_at)
				VALUES ($1, $2, $3::text::jsonb, $4, to_timestamp($5), to_timestamp($6))
				ON CONFLICT (collection, key) DO UPDATE SET value = EXCLUDED.value, ttl = EXCLUDED.ttl,
				created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at`,
				r.collection, r.key, r.value, r.ttl, r.createdAt, r.expiresAt)
		}
		return tx.SendBatch(ctx, batch).Close()
	})
}

type sqliteSide struct {
	db    *sqlitekv.DB
	table string // quoted
}

func (s *sqliteSide) name() string { return "SQLite file " + s.db.Path() }

func (s *sqliteSide) read(ctx context.Context, after cursor, limit int) ([]tableRow, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT collection, key, value, ttl, created_at, expires_at
		FROM `+s.table+` WHERE (collection, key) > (?, ?) ORDER BY collection, key LIMIT ?`, after.collection, after.key, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []tableRow
	for rows.Next() {
		var t tableRow
		if err := rows.Scan(&t.collection, &t.key, &t.value, &t.ttl, &t.createdAt, &t.expiresAt); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func (s *sqliteSide) write(ctx context.Context, rows []tableRow) error {
	return s.db.Atomic(ctx, func(tx sqlitekv.DBTX) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO `+s.table+` (collection, key, value, ttl, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (collection, key) DO UPDATE SET value = excluded.value, ttl = excluded.ttl,
			created_at = excluded.created_at, expires_at = excluded.expires_at`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, r := range rows {
			if _, err := stmt.ExecContext(ctx, r.collection, r.key, r.value, r.ttl, r.createdAt, r.expiresAt); err != nil {
				return err
			}
		}
		return nil
	})
}
