package render

import (
	"github.com/dave/jennifer/jen"

	"github.com/kvgen/kvgen/generator/schema"
)

const kvPkg = "github.com/kvgen/kvgen/kv"

// goType is the Go type of a field: optional numbers, booleans and objects
// are pointers so that "absent" differs from zero; strings, times, lists
// and raw JSON use their zero value for "absent".
func goType(f *schema.Field) *jen.Statement {
	switch {
	case f.Sensitive:
		return jen.Qual(kvPkg, "Secret")
	case f.Hashed:
		return jen.Qual(kvPkg, "Hashed")
	}
	t := elemType(f.Type)
	if !f.Required && pointerKind(f.Type.Kind) {
		return jen.Op("*").Add(t)
	}
	return t
}

// pointerKind reports the kinds whose zero value is a meaningful value.
func pointerKind(k schema.Kind) bool {
	switch k {
	case schema.Int, schema.Float, schema.Bool, schema.Object:
		return true
	}
	return false
}

// elemType is the Go type of a value of t, as a required field or a list element.
func elemType(t *schema.Type) *jen.Statement {
	switch t.Kind {
	case schema.String, schema.URL, schema.Enum:
		return jen.String()
	case schema.Int:
		return jen.Int64()
	case schema.Float:
		return jen.Float64()
	case schema.Bool:
		return jen.Bool()
	case schema.Timestamp, schema.Unixtime:
		return jen.Qual("time", "Time")
	case schema.JSON:
		return jen.Qual("encoding/json", "RawMessage")
	case schema.Object:
		return jen.Id(t.GoName)
	case schema.List:
		return jen.Index().Add(elemType(t.Elem))
	}
	panic("render: unknown kind " + string(t.Kind)) // the loader admits no other kind
}

// objectTypes lists every object type reachable from fields, depth first, in file order.
func objectTypes(fields []*schema.Field) []*schema.Type {
	var out []*schema.Type
	seen := map[string]bool{}
	var walk func(t *schema.Type)
	walk = func(t *schema.Type) {
		switch t.Kind {
		case schema.Object:
			if seen[t.GoName] {
				return
			}
			seen[t.GoName] = true
			out = append(out, t)
			for _, f := range t.Fields {
				walk(f.Type)
			}
		case schema.List:
			walk(t.Elem)
		}
	}
	for _, f := range fields {
		walk(f.Type)
	}
	return out
}
