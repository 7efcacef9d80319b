package generator

import (
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

// sqliteTable renders the SQLite DDL file of table into out, when a record
// of it runs on SQLite, with the indexes of every record of the table, and
// returns what CreateSQLiteTable runs; nil when none runs on SQLite.
func sqliteTable(out outputs, table string, records []*schema.Model, opts Options) ([]byte, error) {
	if !slices.ContainsFunc(records, func(m *schema.Model) bool { return m.Uses(schema.SQLite) }) {
		return nil, nil
	}
	text, err := render.SQLiteTable(table, records)
	if err != nil {
		return nil, err
	}
	if err := out.add(sqliteTablePath(opts, table), text); err != nil {
		return nil, err
	}
	return render.SQLiteDDL(table, records)
}

// sqliteQueries renders the SQLite queries of m into out, and returns
// their entry of sqlc.yaml.
func sqliteQueries(out outputs, m *schema.Model, opts Options) (render.SQLCEntry, error) {
	queries, err := render.SQLiteQueries(m)
	if err != nil {
		return render.SQLCEntry{}, err
	}
	if err := out.add(sqliteQueriesPath(opts, m.Schema), queries); err != nil {
		return render.SQLCEntry{}, err
	}
	return render.SQLCEntry{
		Source:  m.Source,
		Schema:  relTo(opts.SQLCConfig, sqliteTablePath(opts, m.Table)),
		Queries: relTo(opts.SQLCConfig, sqliteQueriesPath(opts, m.Schema)),
		Out:     relTo(opts.SQLCConfig, path.Join(opts.OutDir, m.Package, sqliteDBPackage)),
		Engine:  string(schema.SQLite),
		Package: sqliteDBPackage,
	}, nil
}

func sqliteTablePath(opts Options, table string) string {
	return path.Join(opts.QueriesDir, table+".sqlite.schema.sql")
}

func sqliteQueriesPath(opts Options, s *schema.Schema) string {
	return path.Join(opts.QueriesDir, s.Package+".sqlite.queries.sql")
}
