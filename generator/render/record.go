package render

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/kvgen/kvgen/generator/schema"
)

// recordFile renders record.go: the record struct and its nested object
// types, then their methods: Validate, Format, and the Verify method of
// each hashed field. What they do is the runtime's (kvimpl), over the
// fields table of codec.go.
//
// The methods that only read a record take it by value, as time.Time's and
// kv.Secret's do: a value and a pointer both have them, so that fmt and
// encoding/json print a record redacted whichever they are handed (a
// method on *T is not called for a T in an interface). Only the methods
// that change it, UnmarshalJSON and read, take a pointer.
func recordFile(m *schema.Model) *jen.File {
	s := m.Schema
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
		f.Line()
		f.Add(structType(t.GoName, t.GoName+" is a nested object of "+s.Record+".", t.Fields))
	}
	f.Line()
	f.Comment("Validate reports every field that breaks the schema (required, enum, url) or that")
	f.Comment("PostgreSQL or Python could not read back (NUL, invalid UTF-8, unpaired surrogates,")
	f.Comment("numbers outside float64, anywhere in the record) as a *kv.ValidationError,")
	f.Comment("errors.Is(err, kv.ErrInvalid). Put calls it before any write.")
	f.Func().Params(jen.Id("r").Id(s.Record)).Id(schema.ValidateMethod).Params().Error().Block(
		jen.Return(jen.Id(schema.RecordVar).Dot("Validate").Call(jen.Id("r"))),
	)
	formatMethod(f, s.Record, "the record")
	for _, t := range objectTypes(s.Fields) {
		formatMethod(f, t.GoName, "the object")
	}
	for _, fl := range s.Fields {
		if fl.Hashed {
			f.Line()
			f.Add(commentf("%s reports, in constant time, whether token is the %s whose digest is stored.", schema.VerifyMethod(fl), fl.JSONName))
			f.Func().Params(jen.Id("r").Id(s.Record)).Id(schema.VerifyMethod(fl)).Params(jen.Id("token").String()).Bool().Block(
				jen.Return(jen.Id("r").Dot(fl.GoName).Dot("Verify").Call(jen.Id("token"))),
			)
		}
	}
	return f
}

// formatMethod renders Format, which prints the fields of a record or
// object type as fmt prints a struct, and nothing of the members it keeps
// without knowing them.
func formatMethod(f *jen.File, owner, the string) {
	f.Line()
	f.Commentf("Format prints %s as fmt prints a struct, its fields only: not the members a read", the)
	f.Comment("kept without knowing them. Sensitive fields print redacted.")
	f.Func().Params(jen.Id("r").Id(owner)).Id(schema.FormatMethod).Params(jen.Id("f").Qual("fmt", "State"), jen.Id("verb").Rune()).Block(
		jen.Qual(kvimplPkg, "Format").Call(jen.Id("f"), jen.Id("verb"), jen.Id("r")),
	)
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
		commentf("%s keeps the members that this schema does not know (written by a newer", schema.UnknownField),
		jen.Comment("schema or another program), so that a read-modify-write does not drop them."),
		jen.Id(schema.UnknownField).Qual(kvimplPkg, "Unknown"),
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
