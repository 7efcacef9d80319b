package render

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dave/jennifer/jen"

	"github.com/kvgen/kvgen/generator/schema"
)

// codecFile renders codec.go: the table that describes each field of the
// record and of its objects to the runtime (kvimpl), the read method that
// puts each member read in its field, their JSON methods, and the kv.Codec
// that adds the store's encryption. kvimpl does the work.
func codecFile(m *schema.Model) *jen.File {
	s := m.Schema
	f := newFile(s.Package)
	f.Add(recordVar(s))
	describe := func(owner string, fields []*schema.Field) {
		f.Line()
		f.Add(fieldsVar(owner, fields))
		f.Line()
		f.Add(readMethod(owner, fields))
	}
	describe(s.Record, s.Fields)
	for _, t := range objectTypes(s.Fields) {
		describe(t.GoName, t.Fields)
	}
	jsonMethods(f, s.Record, "the record", "a record", slices.ContainsFunc(s.Fields, func(fl *schema.Field) bool { return fl.Hashed }))
	for _, t := range objectTypes(s.Fields) {
		jsonMethods(f, t.GoName, "the object", "an object", false)
	}
	codecType(f, s)
	return f
}

// recordVar renders record, what kvimpl.Record knows of the record type.
func recordVar(s *schema.Schema) jen.Code {
	key := s.KeyField()
	return commentf("%s is %s as the runtime reads, writes and checks it.", schema.RecordVar, s.Record).Line().
		Var().Id(schema.RecordVar).Op("=").Op("&").Qual(kvimplPkg, "Record").Types(jen.Id(s.Record)).Custom(jen.Options{Open: "{", Close: "}", Separator: ",", Multi: true},
		jen.Id("Fields").Op(":").Id(schema.FieldsVar(s.Record)),
		jen.Id("Key").Op(":").Add(accessor(s.Record, key)),
		jen.Id("KeyName").Op(":").Lit(key.JSONName),
		jen.Id("Encryption").Op(":").Qual(kvPkg, encryptionConst[s.Encryption]),
	)
}

// encryptionConst names the constant of package kv of each mode.
var encryptionConst = map[schema.Encryption]string{
	schema.EncryptNone:   "EncryptionNone",
	schema.EncryptFields: "EncryptionFields",
	schema.EncryptValue:  "EncryptionValue",
}

// fieldsVar renders the table of the fields of owner, one per line, in the
// order they are written.
func fieldsVar(owner string, fields []*schema.Field) jen.Code {
	return commentf("%s are the fields of %s, in the order they are written.", schema.FieldsVar(owner), owner).Line().
		Var().Id(schema.FieldsVar(owner)).Op("=").Qual(kvimplPkg, "NewFields").CustomFunc(jen.Options{Open: "(", Close: ")", Separator: ",", Multi: true}, func(g *jen.Group) {
		g.Func().Params(jen.Id("r").Op("*").Id(owner)).Op("*").Qual(kvimplPkg, "Unknown").
			Custom(jen.Options{Open: "{ ", Close: " }"}, jen.Return(jen.Op("&").Id("r").Dot(schema.UnknownField)))
		for _, fl := range fields {
			g.Add(fieldEntry(owner, fl))
		}
	})
}

// fieldEntry renders one field of the table: kvimpl.Required or Optional,
// its JSON name, where it is in owner, and its kvimpl.Type.
func fieldEntry(owner string, fl *schema.Field) jen.Code {
	ctor := "Optional"
	if fl.Required {
		ctor = "Required"
	}
	return jen.Qual(kvimplPkg, ctor).Call(jen.Lit(fl.JSONName), accessor(owner, fl), fieldType(fl))
}

// readMethod renders read, which the runtime calls with each member of a
// value read, as field of its table (-1: a member the schema does not
// know): a switch of static calls, so that a record read on the stack stays
// there. Each case is the index of a field in the table, and says which
// field that is.
func readMethod(owner string, fields []*schema.Field) jen.Code {
	var cases []jen.Code
	for i, fl := range fields {
		field := jen.Op("&").Id("r").Dot(fl.GoName)
		read := jen.Qual(kvimplPkg, "Read").Call(jen.Id("d"), field)
		switch {
		case fl.Sensitive || fl.Hashed:
		case isString(fl.Type):
			read = jen.Id("d").Dot("String").Call(field)
		case fl.Type.Kind == schema.List && isString(fl.Type.Elem):
			read = jen.Id("d").Dot("Strings").Call(field)
		}
		cases = append(cases, caseOf(i, fl.JSONName), jen.Return(read))
	}
	return commentf("%s reads the member of r that d has at hand, field of %s.", schema.ReadMethod, schema.FieldsVar(owner)).Line().
		Func().Params(jen.Id("r").Op("*").Id(owner)).Id(schema.ReadMethod).Params(jen.Id("d").Op("*").Qual(kvimplPkg, "Decoder"), jen.Id("field").Int()).Error().Block(
		jen.Switch(jen.Id("field")).Block(cases...),
		jen.Return(jen.Id("d").Dot("Keep").Call(jen.Op("&").Id("r").Dot(schema.UnknownField))),
	)
}

// caseOf renders "case i: // name", the case of a switch on the index of
// field name in its table. jennifer puts no comment between a case and its
// colon's line end; the name is quoted where it could end the comment
// early (a schema built by hand: the loader admits no such JSON name).
func caseOf(i int, name string) jen.Code {
	if strings.ContainsAny(name, "\n") || schema.DocText(name) != "" {
		name = strconv.Quote(name)
	}
	return jen.Custom(jen.Options{Open: "case ", Close: ": // " + name}, jen.Lit(i))
}

// isString reports the types whose Go value is a string read as it is.
func isString(t *schema.Type) bool {
	return t.Kind == schema.String || t.Kind == schema.URL || t.Kind == schema.Enum
}

// accessor renders the function that points at field fl of an owner, on
// one line: a table reads best with one row per line.
func accessor(owner string, fl *schema.Field) jen.Code {
	return jen.Func().Params(jen.Id("r").Op("*").Id(owner)).Op("*").Add(goType(fl)).
		Custom(jen.Options{Open: "{ ", Close: " }"}, jen.Return(jen.Op("&").Id("r").Dot(fl.GoName)))
}

// fieldType renders the kvimpl.Type of a field: Secret and Hashed for
// sensitive and hashed strings; optional numbers, booleans and objects
// behind a Pointer, nil being absent.
func fieldType(fl *schema.Field) jen.Code {
	switch {
	case fl.Sensitive:
		return jen.Qual(kvimplPkg, "Secret").Call()
	case fl.Hashed:
		return jen.Qual(kvimplPkg, "Hashed").Call()
	}
	t := valueType(fl.Type)
	if fl.Default != nil {
		t = t.Dot("Default").Call(defaultValue(fl))
	}
	if !fl.Required && pointerKind(fl.Type.Kind) {
		return jen.Qual(kvimplPkg, "Pointer").Call(t)
	}
	return t
}

// valueType renders the kvimpl.Type of a value of t.
func valueType(t *schema.Type) *jen.Statement {
	switch t.Kind {
	case schema.URL:
		return jen.Qual(kvimplPkg, "URL").Call(urlSchemes(t))
	case schema.Enum:
		values := make([]jen.Code, len(t.Values))
		for i, v := range t.Values {
			values[i] = jen.Lit(v)
		}
		return jen.Qual(kvimplPkg, "Enum").Call(values...)
	case schema.Object:
		return jen.Qual(kvimplPkg, "Object").Call(jen.Id(schema.FieldsVar(t.GoName)), jen.Parens(jen.Op("*").Id(t.GoName)).Dot(schema.ReadMethod))
	case schema.List:
		return jen.Qual(kvimplPkg, "List").Call(valueType(t.Elem))
	}
	return jen.Qual(kvimplPkg, kindTypes[t.Kind]).Call()
}

// kindTypes are the functions of the kvimpl.Types of the kinds that take no
// parameter.
var kindTypes = map[schema.Kind]string{
	schema.String: "String", schema.Int: "Int", schema.Float: "Float", schema.Bool: "Bool",
	schema.Timestamp: "Timestamp", schema.Unixtime: "Unixtime", schema.JSON: "JSON",
}

// jsonMethods renders MarshalJSON and UnmarshalJSON of a record or object
// type, over its fields table. Only top-level fields are hashed.
func jsonMethods(f *jen.File, owner, the, a string, hashed bool) {
	fields := jen.Id(schema.FieldsVar(owner))
	f.Commentf("MarshalJSON writes %s as stored, with sensitive fields redacted: %s", the, a)
	f.Comment("printed or logged as JSON never shows a secret.")
	f.Func().Params(jen.Id("r").Id(owner)).Id(schema.MarshalJSONMethod).Params().Params(jen.Index().Byte(), jen.Error()).Block(
		jen.Return(fields.Clone().Dot("Marshal").Call(jen.Id("r"))),
	)
	f.Line()
	f.Commentf("UnmarshalJSON reads %s with plaintext sensitive fields, as an API request carries it.", the)
	if hashed {
		f.Comment("A hashed field takes its stored form, a sha256: digest (kv.Hash), not the plaintext.")
	}
	f.Func().Params(jen.Id("r").Op("*").Id(owner)).Id(schema.UnmarshalJSONMethod).Params(jen.Id("data").Index().Byte()).Error().Block(
		jen.Op("*").Id("r").Op("=").Id(owner).Values(),
		jen.Return(fields.Clone().Dot("Unmarshal").Call(jen.Id("data"), jen.Id("r").Dot(schema.ReadMethod))),
	)
	f.Line()
}

// codecType renders the kv.Codec of the record: the store's encryption,
// a kvimpl.Crypto, around record's Encode and Decode. Decode is generated,
// not kvimpl's, so that the record it reads into stays on its stack: it
// hands kvimpl the record's read method, a static switch.
func codecType(f *jen.File, s *schema.Schema) {
	rec := jen.Id(s.Record)
	f.Add(commentf("%s is the kv.Codec of %s records, with the store's encryption.", schema.CodecType, s.Record))
	f.Type().Id(schema.CodecType).Struct(jen.Qual(kvimplPkg, "Crypto"))
	f.Line()
	f.Func().Params(jen.Id("c").Op("*").Id(schema.CodecType)).Id("Encode").Params(jen.List(jen.Id("collection"), jen.Id("key")).String(), jen.Id("v").Add(rec.Clone())).Params(jen.Index().Byte(), jen.Error()).Block(
		jen.Return(jen.Id(schema.RecordVar).Dot("Encode").Call(jen.Id("c").Dot("Crypto"), jen.Id("collection"), jen.Id("key"), jen.Id("v"))),
	)
	f.Line()
	f.Func().Params(jen.Id("c").Op("*").Id(schema.CodecType)).Id("Decode").Params(jen.List(jen.Id("collection"), jen.Id("key")).String(), jen.Id("data").Index().Byte()).Params(rec.Clone(), jen.Error()).Block(
		jen.Var().Id("v").Add(rec.Clone()),
		jen.If(jen.Err().Op(":=").Id(schema.RecordVar).Dot("Decode").Call(jen.Id("c").Dot("Crypto"), jen.Id("collection"), jen.Id("key"), jen.Id("data"), jen.Id("v").Dot(schema.ReadMethod)), jen.Err().Op("!=").Nil()).Block(
			jen.Return(rec.Clone().Values(), jen.Err()),
		),
		jen.Return(jen.Id("v"), jen.Nil()),
	)
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
	case schema.Int:
		return jen.Lit(int(fl.Default.(int64))) // untyped: Default takes the type's int64
	}
	return jen.Lit(fl.Default)
}

// defaultTime is the default of a timestamp field, in UTC: the value that a
// read sets and whose JSON a write puts in place of an absent field.
func defaultTime(fl *schema.Field) time.Time {
	text, _ := fl.Default.(string)
	t, err := time.Parse(time.RFC3339, text)
	if err != nil {
		panic("render: default of " + fl.Name + " is not an RFC 3339 time") // the loader admits no other
	}
	return t.UTC()
}
