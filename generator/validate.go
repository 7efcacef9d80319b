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
	c := setChecker{
		errs:      map[string]schema.ErrorList{},
		byPackage: map[string]*schema.Schema{},
		byPlace:   map[place]*schema.Schema{},
		byIndex:   map[string]indexUse{},
	}
	for _, s := range sorted {
		c.checkPackage(s)
		c.checkPlace(s)
		c.checkIndexes(s)
	}
	lists := make([]error, 0, len(c.errs))
	for _, p := range slices.Sorted(maps.Keys(c.errs)) {
		lists = append(lists, c.errs[p])
	}
	return joinErrors(lists)
}

// setChecker finds what the schemas of one run claim twice, remembering
// the first schema (in path order) that claimed each thing.
type setChecker struct {
	errs      map[string]schema.ErrorList // schema path → its errors
	byPackage map[string]*schema.Schema
	byPlace   map[place]*schema.Schema
	byIndex   map[string]indexUse // index name → the first field indexed under it
}

// place is where a record's rows are: a collection of a table.
type place struct{ table, collection string }

// indexUse is a field that an expression index covers.
type indexUse struct {
	field  *schema.Field
	record *schema.Schema
}

// topKeyPos is the position of a top-level key, which the model keeps none of.
var topKeyPos = schema.Pos{Line: 1, Col: 1}

func (c *setChecker) report(s *schema.Schema, pos schema.Pos, format string, args ...any) {
	c.errs[s.Path] = append(c.errs[s.Path], schema.Error{Path: s.Path, Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// checkPackage refuses a package that another record or sqlc has.
func (c *setChecker) checkPackage(s *schema.Schema) {
	if s.Package == reservedPackage {
		c.report(s, topKeyPos, "package %q is the name of the sqlc-generated package inside every record's package; choose another", s.Package)
	}
	if prev, ok := c.byPackage[s.Package]; ok {
		c.report(s, topKeyPos, "package %q is already the package of record %s in %s; every record needs its own package", s.Package, prev.Record, prev.Path)
		return
	}
	c.byPackage[s.Package] = s
}

// checkPlace refuses a collection of a table that another record stores.
func (c *setChecker) checkPlace(s *schema.Schema) {
	p := place{s.Table, s.Collection}
	if prev, ok := c.byPlace[p]; ok {
		c.report(s, topKeyPos, "record %s would store collection %q in table %s, as record %s in %s does: records sharing a table need different collections", s.Record, s.Collection, s.Table, prev.Record, prev.Path)
		return
	}
	c.byPlace[p] = s
}

// checkIndexes refuses an index name that PostgreSQL would truncate, or
// that already covers another member of the table.
func (c *setChecker) checkIndexes(s *schema.Schema) {
	for _, f := range s.Indexed() {
		name := schema.IndexName(s.Table, f)
		if len(name) > pgkv.MaxIdentifier {
			c.report(s, f.Pos, "field %q: index name %s is longer than PostgreSQL's %d bytes; shorten the field name (the json option keeps the wire name)", f.Name, name, pgkv.MaxIdentifier)
			continue
		}
		prev, ok := c.byIndex[name]
		switch {
		case !ok:
			c.byIndex[name] = indexUse{f, s}
		case prev.field.JSONName != f.JSONName:
			c.report(s, f.Pos, "field %q: index %s of table %s already covers %q for record %s in %s; rename one of the fields",
				f.Name, name, s.Table, prev.field.JSONName, prev.record.Record, prev.record.Path)
		}
	}
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
