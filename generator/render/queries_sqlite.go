package render

import (
	"bytes"
	"fmt"
	"text/template"

	"github.com/kvgen/kvgen/generator/schema"
	"github.com/kvgen/kvgen/templates"
)

// The SQLite files: the same table and queries as PostgreSQL's, in
// SQLite's dialect, for sqlc's sqlite engine.

var sqliteTemplates = template.Must(template.New("sqlite/table.sql").
	Funcs(template.FuncMap{"sqlString": sqlString, "sqlComment": sqlComment}).
	Parse(templates.SQLiteTableSQL))

func init() {
	template.Must(sqliteTemplates.New("sqlite/queries.sql").Parse(templates.SQLiteQueriesSQL))
}

// SQLiteTable renders the SQLite DDL of table: the six columns, the expiry
// index and the expression indexes of every record stored in it, named as
// on PostgreSQL. Applying it twice is harmless.
func SQLiteTable(table string, records []*schema.Schema) ([]byte, error) {
	if !sqlIdent.MatchString(table) {
		return nil, fmt.Errorf("render: table name %q is not a safe SQL identifier", table)
	}
	for _, s := range records {
		if s.Table != table {
			return nil, fmt.Errorf("render: record %s is stored in table %s, not %s", s.Record, s.Table, table)
		}
	}
	indexes, err := Indexes(table, records)
	if err != nil {
		return nil, err
	}
	return executeSQLite("sqlite/table.sql", map[string]any{
		"Table":        table,
		"ExpiresIndex": ExpiresIndexName(table),
		"Indexes":      indexes,
	})
}

// sqliteFinder is a finder query in SQLite: Match is the SQL that the
// searched text becomes to equal what ->> gives for the field's JSON.
// PostgreSQL's ->> gives text whatever the member; SQLite's gives an
// INTEGER for a JSON integer, a REAL for a fraction and 1 or 0 for a
// boolean, which never equal the text of the same value.
type sqliteFinder struct {
	Finder
	Kind  string // what the text is read as, for the query's comment
	Match string
}

// sqliteMatch is the SQL of the searched text @value as the value ->>
// gives for a member of kind k, which the typed finder writes as kvgen's
// PostgreSQL finder does (see indexText). The outer CAST makes sqlc type
// the parameter a string; the unary + drops the CAST's affinity, which
// SQLite would otherwise apply to the indexed expression, and then not use
// the index.
func sqliteMatch(k schema.Kind) (kind, match string) {
	const text = "CAST(@" + finderParam + " AS TEXT)"
	switch k {
	case schema.Int, schema.Unixtime:
		return "an integer", "+CAST(" + text + " AS INTEGER)"
	case schema.Float:
		return "a number", "+CAST(" + text + " AS REAL)"
	case schema.Bool:
		return "a boolean", "CASE " + text + " WHEN 'true' THEN 1 WHEN 'false' THEN 0 END"
	}
	return "text", "+" + text
}

// SQLiteQueries renders the sqlc-annotated SQLite queries of one record.
func SQLiteQueries(s *schema.Schema) ([]byte, error) {
	if !sqlIdent.MatchString(s.Table) {
		return nil, fmt.Errorf("render: table name %q of record %s is not a safe SQL identifier", s.Table, s.Record)
	}
	var finders []sqliteFinder
	for _, f := range Finders(s) {
		if !fieldName.MatchString(f.Field.Name) {
			return nil, fmt.Errorf("render: field name %q of record %s is not a safe SQL name", f.Field.Name, s.Record)
		}
		if !isExported(f.Field.GoName) {
			return nil, fmt.Errorf("render: Go name %q of field %s is not an exported identifier", f.Field.GoName, f.Field.Name)
		}
		kind, match := sqliteMatch(f.Field.Type.Kind)
		finders = append(finders, sqliteFinder{Finder: f, Kind: kind, Match: match})
	}
	return executeSQLite("sqlite/queries.sql", map[string]any{
		"Record":  s.Record,
		"Package": s.Package,
		"Table":   s.Table,
		"Finders": finders,
	})
}

func executeSQLite(name string, data any) ([]byte, error) {
	var buf bytes.Buffer
	if err := sqliteTemplates.ExecuteTemplate(&buf, name, data); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	if buf.Len() > 0 && buf.Bytes()[buf.Len()-1] != '\n' {
		buf.WriteByte('\n')
	}
	return buf.Bytes(), nil
}
