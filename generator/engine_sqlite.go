package generator

import (
	"fmt"
	"maps"
	"path"
	"slices"

	"github.com/kvgen/kvgen/generator/render"
	"github.com/kvgen/kvgen/generator/schema"
)

// The SQLite outputs of the records whose schema names engine sqlite,
// beside their PostgreSQL ones:
//
//   - <QueriesDir>/<table>.sqlite.schema.sql: the SQLite DDL of each table
//   - <QueriesDir>/<package>.sqlite.queries.sql: the SQLite queries of each record
//   - <OutDir>/<package>/sqlite.go: NewSQLite and the SQLite backend
//   - <OutDir>/<package>/sqlitedb: sqlc's database/sql code (an entry of sqlc.yaml)

// sqliteDBPackage is the package of sqlc's SQLite code in a record's directory.
const sqliteDBPackage = "sqlitedb"

// addSQLite adds the SQLite outputs of records (sorted by package) to out,
// and returns their entries of sqlc.yaml.
func addSQLite(out outputs, opts Options, records []*schema.Schema) ([]render.SQLCEntry, error) {
	var using []*schema.Schema
	for _, s := range records {
		if s.Uses(schema.SQLite) {
			using = append(using, s)
		}
	}
	if len(using) == 0 {
		return nil, nil
	}
	ddl, err := addSQLiteTables(out, opts, records, using)
	if err != nil {
		return nil, err
	}
	var entries []render.SQLCEntry
	for _, s := range using {
		queries, err := render.SQLiteQueries(s)
		if err != nil {
			return nil, err
		}
		if err := out.add(sqliteQueriesPath(opts, s), queries); err != nil {
			return nil, err
		}
		pkgDir := path.Join(opts.OutDir, s.Package)
		dbDir := path.Join(pkgDir, sqliteDBPackage)
		code, err := render.SQLiteBackend(s, string(ddl[s.Table]), opts.ModulePath+"/"+dbDir)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Path, err)
		}
		if err := checkStoreFile(s, render.SQLiteBackendFile, code); err != nil {
			return nil, err
		}
		if err := out.add(path.Join(pkgDir, render.SQLiteBackendFile), code); err != nil {
			return nil, err
		}
		entries = append(entries, render.SQLCEntry{
			Schema:  relTo(opts.SQLCConfig, sqliteTablePath(opts, s.Table)),
			Queries: relTo(opts.SQLCConfig, sqliteQueriesPath(opts, s)),
			Out:     relTo(opts.SQLCConfig, dbDir),
			Engine:  string(schema.SQLite),
			Package: sqliteDBPackage,
		})
	}
	return entries, nil
}

// addSQLiteTables adds the SQLite DDL of every table that a record of using
// is stored in, with the indexes of all the records of that table, and
// returns it by table.
func addSQLiteTables(out outputs, opts Options, records, using []*schema.Schema) (map[string][]byte, error) {
	tables := byTable(using)
	all := byTable(records)
	ddl := map[string][]byte{}
	for _, table := range slices.Sorted(maps.Keys(tables)) {
		text, err := render.SQLiteTable(table, all[table])
		if err != nil {
			return nil, err
		}
		ddl[table] = text
		if err := out.add(sqliteTablePath(opts, table), text); err != nil {
			return nil, err
		}
	}
	return ddl, nil
}

func sqliteTablePath(opts Options, table string) string {
	return path.Join(opts.QueriesDir, table+".sqlite.schema.sql")
}

func sqliteQueriesPath(opts Options, s *schema.Schema) string {
	return path.Join(opts.QueriesDir, s.Package+".sqlite.queries.sql")
}
