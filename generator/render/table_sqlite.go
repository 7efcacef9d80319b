package render

import (
	"text/template"

	"github.com/kvgen/kvgen/generator/schema"
	"github.com/kvgen/kvgen/templates"
)

// The SQLite DDL file: the same table as PostgreSQL's, in SQLite's
// dialect, for sqlc's sqlite engine and for the generated CreateSQLiteTable.

func init() {
	template.Must(sqlTemplates.New("sqlite/table.sql").Parse(templates.SQLiteTableSQL))
}

// SQLiteTable renders <table>.sqlite.schema.sql, the SQLite DDL of table:
// the six columns, the expiry index and the expression indexes of every
// record stored in it, named as on PostgreSQL. Applying it twice is
// harmless.
func SQLiteTable(table string, records []*schema.Model) ([]byte, error) {
	data, sources, err := tableOf(table, records)
	if err != nil {
		return nil, err
	}
	return execute("sqlite/table.sql", "--", sources, data)
}

// SQLiteDDL renders SQLiteTable's statements without the file's header:
// what the generated CreateSQLiteTable runs.
func SQLiteDDL(table string, records []*schema.Model) ([]byte, error) {
	data, _, err := tableOf(table, records)
	if err != nil {
		return nil, err
	}
	return executeBody("sqlite/table.sql", data)
}
