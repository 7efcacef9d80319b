package render

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/dave/jennifer/jen"

	"github.com/kvgen/kvgen/generator/schema"
)

// TableDDL is what the generated functions over a record's table embed.
type TableDDL struct {
	Create  []byte  // TableCreate: what CreateTable runs
	Indexes []Index // Indexes: the expression indexes of every record of the table
	SQLite  []byte  // SQLiteTable, for a record that runs on SQLite
}

// GoStore renders the Go files of one record's package that kvgen writes
// (sqlc writes package db, and sqlitedb): file name within the package
// directory → content.
func GoStore(m *schema.Model, table TableDDL) (map[string][]byte, error) {
	if err := checkDescriptions(m.Schema); err != nil {
		return nil, err
	}
	backend, err := backendFile(m)
	if err != nil {
		return nil, err
	}
	files := map[string]*jen.File{
		"record.go":  recordFile(m),
		"codec.go":   codecFile(m),
		"store.go":   storeFile(m, table.Create, table.Indexes),
		"backend.go": backend,
	}
	if m.Uses(schema.SQLite) {
		if files["sqlite.go"], err = sqliteFile(m, table.SQLite); err != nil {
			return nil, err
		}
	}
	out := make(map[string][]byte, len(files))
	for name, f := range files {
		src, err := renderGo(m, f)
		if err != nil {
			return nil, fmt.Errorf("render %s/%s: %w", m.Package, name, err)
		}
		out[name] = src
	}
	return out, nil
}

// kvimplPkg is the runtime that generated code calls, beside kvPkg;
// pgkvPkg the PostgreSQL helpers whose types the table functions take.
const (
	kvimplPkg = "github.com/kvgen/kvgen/kv/kvimpl"
	pgkvPkg   = "github.com/kvgen/kvgen/kv/pgkv"
)

// newFile starts a Go file of package pkg. renderGo adds its header.
func newFile(pkg string) *jen.File {
	f := jen.NewFile(pkg)
	f.ImportName(kvPkg, "kv")
	f.ImportName(kvimplPkg, "kvimpl")
	f.ImportName(pgkvPkg, "pgkv")
	return f
}

// renderGo renders f under the header of m's files, laid out as a Go
// author lays out a file (see layout).
func renderGo(m *schema.Model, f *jen.File) ([]byte, error) {
	for _, line := range schema.HeaderLines(m.Source) {
		f.HeaderComment(line)
	}
	f.ImportName(m.DBImport, "db")
	var buf bytes.Buffer
	if err := f.Render(&buf); err != nil {
		return nil, err
	}
	return layout(buf.Bytes(), m.DBImport)
}

// checkDescriptions refuses, as the loader does, a description that would
// make its comment lines compile or read differently from what they say,
// so that a schema built by hand cannot bring one either.
func checkDescriptions(s *schema.Schema) error {
	if why := schema.DocText(s.Description); why != "" {
		return fmt.Errorf("render: the description of record %s %s", s.Record, why)
	}
	fields := s.Fields
	for _, t := range objectTypes(s.Fields) {
		fields = append(slices.Clip(fields), t.Fields...)
	}
	for _, f := range fields {
		if why := schema.DocText(f.Description); why != "" {
			return fmt.Errorf("render: the description of field %s of record %s %s", f.Name, s.Record, why)
		}
	}
	return nil
}

// keyed is one field of a composite literal.
type keyed struct {
	name  string
	value jen.Code
}

// literal renders the fields of a composite literal in the order given,
// one per line, as a Go author orders them (jen.Dict sorts them by name).
func literal(fields ...keyed) *jen.Statement {
	items := make([]jen.Code, len(fields))
	for i, f := range fields {
		items[i] = jen.Id(f.name).Op(":").Add(f.value)
	}
	return jen.Custom(jen.Options{Open: "{", Close: "}", Separator: ",", Multi: true}, items...)
}
