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
	"github.com/kvgen/kvgen/templates"
)

// The SQL files and sqlc.yaml are text templates (templates/); execute
// writes each file's header before its template's text.
var sqlTemplates = template.Must(template.New("table.sql").
	Funcs(template.FuncMap{"sqlString": sqlString, "sqlComment": sqlComment, "yamlString": yamlString, "createIndex": indexStatement}).
	Parse(templates.TableSQL))

func init() {
	template.Must(sqlTemplates.New("queries.sql").Parse(templates.QueriesSQL))
	template.Must(sqlTemplates.New("sqlc.yaml").Parse(templates.SQLCConfig))
}

// Queries renders <package>.queries.sql, the sqlc-annotated queries of one
// record. The loader validates names before they reach a renderer; the
// renderers check again, so that nothing unvalidated is ever interpolated
// into SQL, even from a hand-built schema.
func Queries(m *schema.Model) ([]byte, error) {
	if err := checkQueryNames(m); err != nil {
		return nil, err
	}
	return execute("queries.sql", "--", []string{m.Source}, map[string]any{
		"Record":  m.Record,
		"Package": m.Package,
		"Table":   m.Table,
		"Finders": m.Finders,
		"Param":   schema.FinderParam,
	})
}

// checkQueryNames refuses a record whose names a queries file of either
// engine would interpolate unsafely: its table, its finders' fields.
func checkQueryNames(m *schema.Model) error {
	if !schema.IsTableName(m.Table) {
		return fmt.Errorf("render: table name %q of record %s is not a safe SQL identifier", m.Table, m.Record)
	}
	for _, f := range m.Finders {
		if !schema.IsFieldName(f.Field.Name) {
			return fmt.Errorf("render: field name %q of record %s is not a safe SQL name", f.Field.Name, m.Record)
		}
		if !schema.IsExportedIdent(f.Field.GoName) {
			return fmt.Errorf("render: Go name %q of field %s is not an exported identifier", f.Field.GoName, f.Field.Name)
		}
	}
	return nil
}

// execute renders template name: the header of a file made from sources,
// each line after the comment marker, a blank line, then the template.
func execute(name, marker string, sources []string, data any) ([]byte, error) {
	var buf bytes.Buffer
	for _, line := range schema.HeaderLines(sources...) {
		fmt.Fprintf(&buf, "%s %s\n", marker, line)
	}
	buf.WriteByte('\n')
	body, err := executeBody(name, data)
	if err != nil {
		return nil, err
	}
	buf.Write(body)
	return buf.Bytes(), nil
}

// executeBody renders template name alone, ending in a newline.
func executeBody(name string, data any) ([]byte, error) {
	var buf bytes.Buffer
	if err := sqlTemplates.ExecuteTemplate(&buf, name, data); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	if buf.Len() == 0 || buf.Bytes()[buf.Len()-1] != '\n' {
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

// sqlcQuery is one query of a queries file, as sqlc reads it.
type sqlcQuery struct {
	Name    string   // db.Queries' method, and the prefix of its types
	Command string   // :one, :many, :exec or :execrows
	Params  []string // SQL names of its parameters, in order of first use
	Reads   bool     // its statement is a SELECT: it only reads
}

var (
	queryLine  = regexp.MustCompile(`(?m)^-- name: (\S+) (:\S+)\n`)
	sqlNoise   = regexp.MustCompile(`--[^\n]*|'(?:[^']|'')*'|"(?:[^"]|"")*"`) // comments, strings, quoted names
	paramUsage = regexp.MustCompile(`@([a-z_][a-z0-9_]*)|\bsqlc\.n?arg\(([a-z_][a-z0-9_]*)\)`)
	selectOnly = regexp.MustCompile(`(?i)^\s*SELECT\b`)
)

// readQueries reads the queries of a rendered queries file: a query per
// "-- name:" line, and the parameters sqlc finds in it (@name,
// sqlc.arg(name), sqlc.narg(name)) outside comments, string literals and
// quoted names, where a JSON name may hold an @; and whether it only reads,
// which a statement that starts with SELECT does (WITH may write). The
// queries file is where the parameters are spelled; the Go backend reads
// them from it.
func readQueries(text []byte) []sqlcQuery {
	heads := queryLine.FindAllSubmatchIndex(text, -1)
	out := make([]sqlcQuery, len(heads))
	for i, h := range heads {
		end := len(text)
		if i+1 < len(heads) {
			end = heads[i+1][0]
		}
		out[i] = sqlcQuery{Name: string(text[h[2]:h[3]]), Command: string(text[h[4]:h[5]])}
		body := sqlNoise.ReplaceAll(text[h[1]:end], []byte(" "))
		out[i].Reads = selectOnly.Match(body)
		for _, p := range paramUsage.FindAllSubmatch(body, -1) {
			name := string(p[1]) + string(p[2])
			if !slices.Contains(out[i].Params, name) {
				out[i].Params = append(out[i].Params, name)
			}
		}
	}
	return out
}
