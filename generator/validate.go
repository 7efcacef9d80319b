package generator

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kvgen/kvgen/generator/schema"
	"github.com/kvgen/kvgen/kv/pgkv"
)

// reservedPackage is the package sqlc generates for every record, inside the
// record's package directory.
const reservedPackage = "db"

// ValidateSet checks what no single schema can see: records that would
// overwrite each other's output or mix values in a shared table. Each
// schema's own mistakes were reported by the loader.
//
// The errors name the later file (by path) and point back at the earlier
// one; they are grouped by file, as path:line:col: message lines.
func ValidateSet(schemas []*schema.Schema) error {
	if len(schemas) == 0 {
		return errors.New("kvgen: no schema given")
	}
	for i, s := range schemas {
		if s == nil {
			return fmt.Errorf("kvgen: schema %d is nil", i)
		}
	}
	sorted := slices.Clone(schemas)
	slices.SortStableFunc(sorted, func(a, b *schema.Schema) int { return strings.Compare(a.Path, b.Path) })

	errs := map[string]schema.ErrorList{}
	report := func(s *schema.Schema, pos schema.Pos, format string, args ...any) {
		errs[s.Path] = append(errs[s.Path], schema.Error{Path: s.Path, Pos: pos, Msg: fmt.Sprintf(format, args...)})
	}
	top := schema.Pos{Line: 1, Col: 1} // the model keeps no position of top-level keys

	byPackage := map[string]*schema.Schema{}
	type place struct{ table, collection string }
	byPlace := map[place]*schema.Schema{}
	type indexUse struct {
		field  *schema.Field
		record *schema.Schema
	}
	byIndex := map[string]indexUse{} // index name → the first field indexed under it
	for _, s := range sorted {
		if s.Package == reservedPackage {
			report(s, top, "package %q is the name of the sqlc-generated package inside every record's package; choose another", s.Package)
		}
		if prev, ok := byPackage[s.Package]; ok {
			report(s, top, "package %q is already the package of record %s in %s; every record needs its own package", s.Package, prev.Record, prev.Path)
		} else {
			byPackage[s.Package] = s
		}
		p := place{s.Table, s.Collection}
		if prev, ok := byPlace[p]; ok {
			report(s, top, "record %s would store collection %q in table %s, as record %s in %s does: records sharing a table need different collections", s.Record, s.Collection, s.Table, prev.Record, prev.Path)
		} else {
			byPlace[p] = s
		}
		for _, f := range s.Indexed() {
			name := schema.IndexName(s.Table, f)
			if len(name) > pgkv.MaxIdentifier {
				report(s, f.Pos, "field %q: index name %s is longer than PostgreSQL's %d bytes; shorten the field name (the json option keeps the wire name)", f.Name, name, pgkv.MaxIdentifier)
				continue
			}
			prev, ok := byIndex[name]
			switch {
			case !ok:
				byIndex[name] = indexUse{f, s}
			case prev.field.JSONName != f.JSONName:
				report(s, f.Pos, "field %q: index %s of table %s already covers %q for record %s in %s; rename one of the fields",
					f.Name, name, s.Table, prev.field.JSONName, prev.record.Record, prev.record.Path)
			}
		}
	}
	lists := make([]error, 0, len(errs))
	for _, p := range slices.Sorted(maps.Keys(errs)) {
		lists = append(lists, errs[p])
	}
	return joinErrors(lists)
}

// joinErrors returns nil, the one error, or all of them one per line: a
// single file's ErrorList stays an ErrorList for errors.As.
func joinErrors(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return errors.Join(errs...)
}
