package render

import (
	"text/template"

	"github.com/kvgen/kvgen/generator/schema"
	"github.com/kvgen/kvgen/templates"
)

// The SQLite queries file: the same queries as PostgreSQL's, in SQLite's
// dialect, for sqlc's sqlite engine.

func init() {
	template.Must(sqlTemplates.New("sqlite/queries.sql").Parse(templates.SQLiteQueriesSQL))
}

// sqliteFinder is a finder query in SQLite: Match is the SQL that the
// searched text becomes to equal what ->> gives for the field's JSON.
// PostgreSQL's ->> gives text whatever the member; SQLite's gives an
// INTEGER for a JSON integer, a REAL for a fraction and 1 or 0 for a
// boolean, which never equal the text of the same value.
type sqliteFinder struct {
	schema.Finder
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
	const text = "CAST(@" + schema.FinderParam + " AS TEXT)"
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

// SQLiteQueries renders <package>.sqlite.queries.sql, the sqlc-annotated
// SQLite queries of one record.
func SQLiteQueries(m *schema.Model) ([]byte, error) {
	if err := checkQueryNames(m); err != nil {
		return nil, err
	}
	var finders []sqliteFinder
	for _, f := range m.Finders {
		kind, match := sqliteMatch(f.Field.Type.Kind)
		finders = append(finders, sqliteFinder{Finder: f, Kind: kind, Match: match})
	}
	return execute("sqlite/queries.sql", "--", []string{m.Source}, map[string]any{
		"Record":  m.Record,
		"Package": m.Package,
		"Table":   m.Table,
		"Finders": finders,
	})
}
