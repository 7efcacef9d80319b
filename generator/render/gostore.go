package render

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/dave/jennifer/jen"

	"github.com/kvgen/kvgen/generator/schema"
)

// GoStore renders the jennifer-generated Go files of one record's package:
// file name within the package directory → content. ddl is the table's DDL
// (embedded so a server can create the table at start); dbImport is the
// import path of the sqlc-generated package of this record.
func GoStore(s *schema.Schema, ddl string, dbImport string) (map[string][]byte, error) {
	if err := checkDescriptions(s); err != nil {
		return nil, err
	}
	files := map[string]*jen.File{
		"record.go":  recordFile(s),
		"codec.go":   codecFile(s),
		"store.go":   storeFile(s, ddl, dbImport),
		"backend.go": backendFile(s, dbImport),
	}
	out := make(map[string][]byte, len(files))
	for name, f := range files {
		var buf bytes.Buffer
		if err := f.Render(&buf); err != nil {
			return nil, fmt.Errorf("render %s/%s: %w", s.Package, name, err)
		}
		out[name] = buf.Bytes()
	}
	return out, nil
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
