package render

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kvgen/kvgen/generator/schema"
	"github.com/kvgen/kvgen/kv/pgkv"
)

// Table renders <table>.schema.sql, the DDL file of table: TableCreate's
// statements, then one CREATE INDEX CONCURRENTLY for the expression index
// of every indexed field of the records stored in it. Applying it twice is
// harmless.
func Table(table string, records []*schema.Model) ([]byte, error) {
	data, sources, err := tableOf(table, records)
	if err != nil {
		return nil, err
	}
	return execute("table.sql", "--", sources, data)
}

// tableOf checks the records of table and returns the data of its DDL
// templates (either engine's) and the records' schema files, sorted, once each.
func tableOf(table string, records []*schema.Model) (map[string]any, []string, error) {
	if err := checkTableName(table); err != nil {
		return nil, nil, err
	}
	var sources []string
	for _, m := range records {
		if m.Table != table {
			return nil, nil, fmt.Errorf("render: record %s is stored in table %s, not %s", m.Record, m.Table, table)
		}
		sources = append(sources, m.Source)
	}
	indexes, err := Indexes(table, records)
	if err != nil {
		return nil, nil, err
	}
	slices.Sort(sources)
	return tableData(table, indexes), slices.Compact(sources), nil
}

func checkTableName(table string) error {
	if !schema.IsTableName(table) {
		return fmt.Errorf("render: table name %q is not a safe SQL identifier", table)
	}
	return nil
}

// TableCreate renders what the generated CreateTable runs: the six columns
// of py-key-value's layout and the expiry index, the start of Table's file
// without its header. The indexes of indexed fields are not in it: they are
// built concurrently, outside a transaction, by a migration.
func TableCreate(table string) ([]byte, error) {
	if err := checkTableName(table); err != nil {
		return nil, err
	}
	return executeBody("table.sql", tableData(table, nil))
}

func tableData(table string, indexes []Index) map[string]any {
	return map[string]any{
		"Table":        table,
		"ExpiresIndex": schema.ExpiresIndexName(table),
		"Indexes":      indexes,
	}
}

// indexStatement is the statement of the DDL file that builds idx on table.
func indexStatement(table string, idx Index) (string, error) {
	return pgkv.CreateIndexSQL(table, pgkv.Index{Name: idx.Name, Member: idx.JSONName})
}

// Index is an expression index over one top-level JSON member of the value.
type Index struct {
	Name     string // schema.IndexName
	JSONName string // the member, value->>'JSONName'
}

// Indexes returns the expression indexes of every indexed field of records,
// sorted by name. Records sharing a table share the indexes: one per name,
// and one per JSON member. It fails when one name would index two members or
// a name is longer than PostgreSQL keeps.
func Indexes(table string, records []*schema.Model) ([]Index, error) {
	byName := map[string]string{}   // index name → JSON member
	byMember := map[string]string{} // JSON member → smallest index name
	for _, m := range records {
		for _, f := range m.Finders {
			if err := checkIndex(m, f, byName); err != nil {
				return nil, err
			}
			byName[f.Index] = f.Field.JSONName
			if prev, ok := byMember[f.Field.JSONName]; !ok || f.Index < prev {
				byMember[f.Field.JSONName] = f.Index
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

// checkIndex refuses the index of finder f of record m when its name is
// unsafe or too long, or already indexes another member (byName).
func checkIndex(m *schema.Model, f schema.Finder, byName map[string]string) error {
	if !schema.IsFieldName(f.Field.Name) {
		return fmt.Errorf("render: field name %q of record %s is not a safe SQL name", f.Field.Name, m.Record)
	}
	if len(f.Index) > pgkv.MaxIdentifier {
		return fmt.Errorf("render: index name %s of field %s is longer than %d bytes", f.Index, f.Field.Name, pgkv.MaxIdentifier)
	}
	if prev, ok := byName[f.Index]; ok && prev != f.Field.JSONName {
		return fmt.Errorf("render: index %s would cover both %q and %q", f.Index, prev, f.Field.JSONName)
	}
	return nil
}
