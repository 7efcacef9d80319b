package render

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"unicode"

	"github.com/kvgen/kvgen/generator/schema"
	"github.com/kvgen/kvgen/kv/pgkv"
	"github.com/kvgen/kvgen/templates"
)

// MaxIdentifier is PostgreSQL's identifier limit (NAMEDATALEN-1 bytes). A
// longer name is silently truncated by the server, so two long index names
// could end up the same, and CREATE INDEX IF NOT EXISTS would skip one.
const MaxIdentifier = 63

// The loader validates names before they reach a renderer; the renderers
// check again so that nothing unvalidated is ever interpolated into SQL, even
// from a hand-built *schema.Schema.
var (
	sqlIdent      = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)
	fieldName     = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
	exportedIdent = regexp.MustCompile(`^[A-Z][A-Za-z0-9_]*$`)
)

var sqlTemplates = template.Must(template.New("table.sql").
	Funcs(template.FuncMap{"sqlString": sqlString, "sqlComment": sqlComment, "yamlString": yamlString, "createIndex": indexStatement}).
	Parse(templates.TableSQL))

func init() {
	template.Must(sqlTemplates.New("queries.sql").Parse(templates.QueriesSQL))
	template.Must(sqlTemplates.New("sqlc.yaml").Parse(templates.SQLCConfig))
}

// Index is an expression index over one top-level JSON member of the value.
type Index struct {
	Name     string // <table>_<field>_idx
	JSONName string // the member, value->>'JSONName'
}

// ExpiresIndexName is the name of the index on expires_at: the name
// py-key-value's PostgreSQLStore gives it (pgkv.ExpiresIndexName).
func ExpiresIndexName(table string) string { return pgkv.ExpiresIndexName(table) }

// IndexName is the name of the expression index of an indexed field
// (pgkv.IndexName: the runtime's drift check knows kvgen's indexes by it).
func IndexName(table string, f *schema.Field) string { return pgkv.IndexName(table, f.Name) }

// indexStatement is the statement of the DDL file that builds idx on table.
func indexStatement(table string, idx Index) (string, error) {
	return pgkv.CreateIndexSQL(table, pgkv.Index{Name: idx.Name, Member: idx.JSONName})
}

// Indexes returns the expression indexes of every indexed field of records,
// sorted by name. Records sharing a table share the indexes: one per name,
// and one per JSON member. It fails when one name would index two members or
// a name is longer than PostgreSQL keeps.
func Indexes(table string, records []*schema.Schema) ([]Index, error) {
	byName := map[string]string{}   // index name → JSON member
	byMember := map[string]string{} // JSON member → smallest index name
	for _, s := range records {
		for _, f := range s.Indexed() {
			if !fieldName.MatchString(f.Name) {
				return nil, fmt.Errorf("render: field name %q of record %s is not a safe SQL name", f.Name, s.Record)
			}
			name := IndexName(table, f)
			if len(name) > MaxIdentifier {
				return nil, fmt.Errorf("render: index name %s of field %s is longer than %d bytes", name, f.Name, MaxIdentifier)
			}
			if prev, ok := byName[name]; ok && prev != f.JSONName {
				return nil, fmt.Errorf("render: index %s would cover both %q and %q", name, prev, f.JSONName)
			}
			byName[name] = f.JSONName
			if prev, ok := byMember[f.JSONName]; !ok || name < prev {
				byMember[f.JSONName] = name
			}
		}
	}
	out := make([]Index, 0, len(byMember))
	for member, name := range byMember {
		out = append(out, Index{Name: name, JSONName: member})
	}
	slices.SortFunc(out, func(a, b Index) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Table renders the DDL file of table: TableCreate's statements, then one
// CREATE INDEX CONCURRENTLY for the expression index of every indexed
// field of the records stored in it. Applying it twice is harmless.
func Table(table string, records []*schema.Schema) ([]byte, error) {
	if err := checkTable(table); err != nil {
		return nil, err
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
	return tableSQL(table, indexes)
}

// TableCreate renders what the generated CreateTable runs: the six columns
// of py-key-value's layout and the expiry index, the start of Table's file.
// The indexes of indexed fields are not in it: they are built concurrently,
// outside a transaction, by a migration.
func TableCreate(table string) ([]byte, error) {
	if err := checkTable(table); err != nil {
		return nil, err
	}
	return tableSQL(table, nil)
}

func checkTable(table string) error {
	if !sqlIdent.MatchString(table) {
		return fmt.Errorf("render: table name %q is not a safe SQL identifier", table)
	}
	return nil
}

func tableSQL(table string, indexes []Index) ([]byte, error) {
	return execute("table.sql", map[string]any{
		"Table":        table,
		"ExpiresIndex": ExpiresIndexName(table),
		"Indexes":      indexes,
	})
}

// Finder is the query of an indexed field.
type Finder struct {
	Query    string // sqlc query name and Go method: FindBy<GoName>
	Param    string // SQL parameter name, @Param
	ParamGo  string // the Go field sqlc gives the parameter in <Query>Params
	JSONName string
	Field    *schema.Field
}

// Finders returns the finder queries of s, in field order.
//
// The searched value is the parameter @value whatever the field, so sqlc's
// <Query>Params always has the fields Collection and Value: a parameter named
// after the field could not be told from @collection for a field named
// collection, and sqlc's Go names of parameters differ from kvgen's field
// names (redirect_url is RedirectUrl to sqlc, RedirectURL to kvgen).
func Finders(s *schema.Schema) []Finder {
	var out []Finder
	for _, f := range s.Indexed() {
		out = append(out, Finder{Query: schema.FinderMethod(f), Param: finderParam, ParamGo: finderParamGo, JSONName: f.JSONName, Field: f})
	}
	return out
}

// finderParam is the SQL parameter of the value a finder searches for, and
// finderParamGo the name sqlc gives it in Go.
const (
	finderParam   = "value"
	finderParamGo = "Value"
)

// Queries renders the sqlc-annotated queries of one record.
func Queries(s *schema.Schema) ([]byte, error) {
	if !sqlIdent.MatchString(s.Table) {
		return nil, fmt.Errorf("render: table name %q of record %s is not a safe SQL identifier", s.Table, s.Record)
	}
	finders := Finders(s)
	for _, f := range finders {
		if !fieldName.MatchString(f.Field.Name) {
			return nil, fmt.Errorf("render: field name %q of record %s is not a safe SQL name", f.Field.Name, s.Record)
		}
		if !isExported(f.Field.GoName) {
			return nil, fmt.Errorf("render: Go name %q of field %s is not an exported identifier", f.Field.GoName, f.Field.Name)
		}
	}
	return execute("queries.sql", map[string]any{
		"Record":  s.Record,
		"Package": s.Package,
		"Table":   s.Table,
		"Finders": finders,
	})
}

func execute(name string, data any) ([]byte, error) {
	var buf bytes.Buffer
	if err := sqlTemplates.ExecuteTemplate(&buf, name, data); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	if buf.Len() > 0 && buf.Bytes()[buf.Len()-1] != '\n' {
		buf.WriteByte('\n')
	}
	return buf.Bytes(), nil
}

// sqlString quotes s as a standard SQL string literal. It refuses what a
// literal cannot carry safely whatever the server settings: NUL, control
// characters and backslashes (an escape when standard_conforming_strings is off).
func sqlString(s string) (string, error) {
	for _, r := range s {
		if r == '\\' || unicode.IsControl(r) || r == unicode.ReplacementChar {
			return "", fmt.Errorf("%q cannot be written as a SQL string literal", s)
		}
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'", nil
}

// sqlComment checks that text can be the rest of a -- comment line, which
// PostgreSQL ends at a newline or carriage return and sqlc reads line by
// line for its annotations: one line, holding nothing that a description
// may not hold.
func sqlComment(text string) (string, error) {
	if strings.Contains(text, "\n") {
		return "", fmt.Errorf("%q cannot be written in one SQL comment line", text)
	}
	if why := schema.DocText(text); why != "" {
		return "", fmt.Errorf("%q cannot be written in a SQL comment: it %s", text, why)
	}
	return text, nil
}

func isExported(name string) bool { return exportedIdent.MatchString(name) }
