package render

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/dave/jennifer/jen"

	"github.com/kvgen/kvgen/generator/schema"
)

// recordFile renders the record struct, its nested object types, defaults,
// validation and the Verify methods of hashed fields.
func recordFile(s *schema.Schema) *jen.File {
	f := newFile(s.Package)
	doc := s.Record + " is one record of the " + s.Table + " table."
	if s.Description != "" {
		doc = s.Description
		if !strings.HasPrefix(doc, s.Record+" ") {
			doc = s.Record + ": " + doc
		}
	}
	f.Add(structType(s.Record, doc, s.Fields))
	for _, t := range objectTypes(s.Fields) {
		f.Add(structType(t.GoName, t.GoName+" is a nested object of "+s.Record+".", t.Fields))
	}
	f.Add(defaultsFunc(s.Record, s.Fields))
	for _, t := range objectTypes(s.Fields) {
		f.Add(defaultsFunc(t.GoName, t.Fields))
	}
	f.Comment("Validate reports every field that breaks the schema (required, enum, url) or that")
	f.Comment("PostgreSQL or Python could not read back (NUL, invalid UTF-8, unpaired surrogates,")
	f.Comment("numbers outside float64, anywhere in the record) as a *kv.ValidationError,")
	f.Comment("errors.Is(err, kv.ErrInvalid). Put calls it before any write.")
	f.Func().Params(jen.Id("r").Op("*").Id(s.Record)).Id(schema.ValidateMethod).Params().Error().Block(
		jen.Var().Id("p").Qual(kvPkg, "Problems"),
		jen.Id("r").Dot("validate").Call(jen.Op("&").Id("p"), jen.Lit("")),
		jen.Qual(kvPkg, "CheckUnknown").Call(jen.Op("&").Id("p"), jen.Id("r").Dot("extra")),
		jen.Return(jen.Id("p").Dot("Err").Call()),
	)
	f.Add(validateFunc(s.Record, s.Fields))
	for _, t := range objectTypes(s.Fields) {
		f.Add(validateFunc(t.GoName, t.Fields))
	}
	for _, fl := range s.Fields {
		if fl.Hashed {
			f.Add(commentf("%s reports, in constant time, whether token is the %s whose digest is stored.", schema.VerifyMethod(fl), fl.JSONName))
			f.Func().Params(jen.Id("r").Op("*").Id(s.Record)).Id(schema.VerifyMethod(fl)).Params(jen.Id("token").String()).Bool().Block(
				jen.Return(jen.Id("r").Dot(fl.GoName).Dot("Verify").Call(jen.Id("token"))),
			)
		}
	}
	return f
}

func structType(name, doc string, fields []*schema.Field) jen.Code {
	var members []jen.Code
	for _, fl := range fields {
		if fl.Description != "" {
			members = append(members, comment(fl.Description))
		}
		if fl.Type.Kind == schema.Enum {
			members = append(members, commentf("One of: %s.", strings.Join(fl.Type.Values, ", ")))
		}
		members = append(members, jen.Id(fl.GoName).Add(goType(fl)).Tag(map[string]string{"json": fl.JSONName}))
	}
	members = append(members, jen.Line(),
		jen.Comment("extra keeps members that this schema does not know (written by a newer"),
		jen.Comment("schema or another program) so that a read-modify-write does not drop them."),
		jen.Id("extra").Index().Qual(kvPkg, "Member"),
	)
	return comment(doc).Line().Type().Id(name).Struct(members...)
}

// comment renders text from a schema as a Go comment of // lines: "// " and
// each line of text, or "//" for an empty one. Whatever text holds, every
// line of the comment starts with "// ", so none is a directive for the go
// command (//go:generate, //go:build, //line and the others have no space),
// and none ends or opens a /* */ block: jennifer's Comment would print text
// that starts with // or /* as it is, and text of several lines as a /* */
// block. It prints text that starts with // as it is, which this relies on.
func comment(text string) *jen.Statement {
	lines := lineBreak.Split(strings.TrimSpace(text), -1)
	for i, line := range lines {
		lines[i] = strings.TrimRight("// "+line, " \t")
	}
	return jen.Comment(strings.Join(lines, "\n"))
}

// commentf is comment of a formatted text.
func commentf(format string, args ...any) *jen.Statement {
	return comment(fmt.Sprintf(format, args...))
}

// lineBreak is every line break an editor may show. The loader lets only
// newlines into a description; a schema built by hand still gets "// " on
// every line a reader sees.
var lineBreak = regexp.MustCompile("\r\n|[\n\r\u0085\u2028\u2029]")

func defaultsFunc(name string, fields []*schema.Field) jen.Code {
	var body []jen.Code
	for _, fl := range fields {
		field := jen.Id("r").Dot(fl.GoName)
		if fl.Default != nil && !fl.Sensitive && !fl.Hashed {
			if !fl.Required && pointerKind(fl.Type.Kind) {
				body = append(body, jen.If(field.Clone().Op("==").Nil()).Block(
					jen.Id("d").Op(":=").Add(elemType(fl.Type)).Call(jen.Lit(fl.Default)),
					field.Clone().Op("=").Op("&").Id("d"),
				))
			} else {
				body = append(body, jen.If(isZero(fl, field.Clone())).Block(
					field.Clone().Op("=").Add(defaultValue(fl)),
				))
			}
		}
		if fl.Type.Kind == schema.Object {
			if !fl.Required {
				body = append(body, jen.If(field.Clone().Op("!=").Nil()).Block(field.Clone().Dot("applyDefaults").Call()))
			} else {
				body = append(body, field.Clone().Dot("applyDefaults").Call())
			}
		}
	}
	return jen.Func().Params(jen.Id("r").Op("*").Id(name)).Id("applyDefaults").Params().Block(body...)
}

// defaultValue is the Go literal of a field's default.
func defaultValue(fl *schema.Field) jen.Code {
	switch fl.Type.Kind {
	case schema.Timestamp:
		t := defaultTime(fl)
		return jen.Qual("time", "Date").Call(
			jen.Lit(t.Year()), jen.Qual("time", t.Month().String()), jen.Lit(t.Day()),
			jen.Lit(t.Hour()), jen.Lit(t.Minute()), jen.Lit(t.Second()), jen.Lit(t.Nanosecond()),
			jen.Qual("time", "UTC"),
		)
	case schema.Unixtime:
		return jen.Qual("time", "Unix").Call(jen.Lit(fl.Default), jen.Lit(0)).Dot("UTC").Call()
	}
	return jen.Lit(fl.Default)
}

// defaultTime is the default of a timestamp field, in UTC: the value that
// applyDefaults sets and whose JSON appendJSON writes for an absent field.
func defaultTime(fl *schema.Field) time.Time {
	text, _ := fl.Default.(string)
	t, err := time.Parse(time.RFC3339, text)
	if err != nil {
		panic("render: default of " + fl.Name + " is not an RFC 3339 time") // the loader admits no other
	}
	return t.UTC()
}

// isZero is the condition under which a field counts as absent.
func isZero(fl *schema.Field, v *jen.Statement) *jen.Statement {
	switch {
	case fl.Hashed:
		return v.Dot("IsZero").Call()
	case fl.Sensitive:
		return v.Op("==").Lit("")
	case !fl.Required && pointerKind(fl.Type.Kind):
		return v.Op("==").Nil()
	}
	switch fl.Type.Kind {
	case schema.String, schema.URL, schema.Enum:
		return v.Op("==").Lit("")
	case schema.Timestamp, schema.Unixtime:
		return v.Dot("IsZero").Call()
	case schema.JSON, schema.List:
		return jen.Len(v).Op("==").Lit(0)
	case schema.Int, schema.Float:
		return v.Op("==").Lit(0)
	case schema.Bool:
		return jen.Op("!").Add(v)
	}
	return jen.False() // a required object is never absent
}

func validateFunc(name string, fields []*schema.Field) jen.Code {
	var body []jen.Code
	for _, fl := range fields {
		name := fl.JSONName
		path := func(suffix string) *jen.Statement { return jen.Id("prefix").Op("+").Lit(name + suffix) }
		v := jen.Id("r").Dot(fl.GoName)
		if fl.Required && fl.Default == nil && fl.Type.Kind != schema.Object {
			msg := "required"
			if fl.Type.Kind == schema.List {
				msg = "required: at least one value"
			}
			if fl.Type.Kind == schema.Int || fl.Type.Kind == schema.Float || fl.Type.Kind == schema.Bool {
				msg = "" // a zero number or false is a value
			}
			if msg != "" {
				body = append(body, jen.If(isZero(fl, v.Clone())).Block(
					jen.Id("p").Dot("Add").Call(path(""), jen.Lit(msg)),
				))
			}
		}
		switch {
		case fl.Hashed:
			// a digest that kv.Hash made
		case fl.Sensitive:
			body = append(body, checkText(jen.String().Call(v.Clone()), path))
		default:
			if c := checkValue(fl.Type, v.Clone(), path, !fl.Required, 0); c != nil {
				body = append(body, c)
			}
		}
	}
	body = append(body, jen.Qual(kvPkg, "CheckMembers").Call(jen.Id("p"), jen.Id("prefix"), jen.Id("r").Dot("extra")))
	return jen.Func().Params(jen.Id("r").Op("*").Id(name)).Id("validate").Params(
		jen.Id("p").Op("*").Qual(kvPkg, "Problems"), jen.Id("prefix").String(),
	).Block(body...)
}

// checkValue renders the checks of one value of type t (enum, url, nested
// objects, list elements), or nil when the type has none. An optional
// value is checked only when present.
func checkValue(t *schema.Type, v *jen.Statement, path func(suffix string) *jen.Statement, optional bool, depth int) jen.Code {
	switch t.Kind {
	case schema.Enum:
		var cases []jen.Code
		if optional {
			cases = append(cases, jen.Lit(""))
		}
		for _, val := range t.Values {
			cases = append(cases, jen.Lit(val))
		}
		return jen.Switch(v).Block(
			jen.Case(cases...),
			jen.Default().Block(jen.Id("p").Dot("Add").Call(path(""), jen.Lit("must be one of: "+strings.Join(t.Values, ", ")))),
		)
	case schema.String:
		return checkText(v, path)
	case schema.URL:
		check := jen.If(jen.Id("msg").Op(":=").Qual(kvPkg, "CheckURL").Call(v.Clone(), urlSchemes(t)), jen.Id("msg").Op("!=").Lit("")).Block(
			jen.Id("p").Dot("Add").Call(path(""), jen.Id("msg")),
		)
		if optional {
			return jen.If(v.Clone().Op("!=").Lit("")).Block(check)
		}
		return check
	case schema.JSON:
		return jen.Qual(kvPkg, "CheckJSON").Call(jen.Id("p"), path(""), v)
	case schema.Object:
		call := v.Clone().Dot("validate").Call(jen.Id("p"), path("."))
		if optional {
			return jen.If(v.Clone().Op("!=").Nil()).Block(call)
		}
		return call
	case schema.List:
		i := jen.Id(loopVar("i", depth))
		e := jen.Id(loopVar("e", depth))
		elemPath := func(suffix string) *jen.Statement {
			p := jen.Qual(kvPkg, "Index").Call(path(""), i.Clone())
			if suffix != "" {
				p = p.Op("+").Lit(suffix)
			}
			return p
		}
		inner := checkValue(t.Elem, e.Clone(), elemPath, false, depth+1)
		if inner == nil {
			return nil
		}
		if t.Elem.Kind == schema.Object {
			// index to validate the element in place, not a copy
			return jen.For(i.Clone().Op(":=").Range().Add(v)).Block(
				jen.Add(e.Clone()).Op(":=").Op("&").Add(v.Clone()).Index(i.Clone()),
				inner,
			)
		}
		return jen.For(jen.List(i.Clone(), e.Clone()).Op(":=").Range().Add(v)).Block(inner)
	}
	return nil
}

// checkText renders the check of a string that JSON must hold as it is.
func checkText(v *jen.Statement, path func(suffix string) *jen.Statement) jen.Code {
	return jen.If(jen.Id("msg").Op(":=").Qual(kvPkg, "CheckText").Call(v), jen.Id("msg").Op("!=").Lit("")).Block(
		jen.Id("p").Dot("Add").Call(path(""), jen.Id("msg")),
	)
}

// urlSchemes renders the kv.URLSchemes of a url type: its schemes option,
// loopback-http as kv.SchemeLoopbackHTTP.
func urlSchemes(t *schema.Type) jen.Code {
	set := jen.Null()
	for i, name := range t.Schemes {
		if i > 0 {
			set.Op("|")
		}
		set.Qual(kvPkg, "Scheme"+schema.GoName(strings.ReplaceAll(name, "-", "_")))
	}
	return set
}

func loopVar(name string, depth int) string {
	if depth == 0 {
		return name
	}
	return name + string(rune('0'+depth))
}
