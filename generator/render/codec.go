package render

import (
	"encoding/json"
	"time"

	"github.com/dave/jennifer/jen"

	"github.com/kvgen/kvgen/generator/schema"
)

// codecFile renders the reflection-free JSON codec of the record and its
// objects, and the kv.Codec that adds the schema's encryption.
func codecFile(s *schema.Schema) *jen.File {
	f := newFile(s.Package)
	f.Add(appendFunc(s.Record, s.Fields, true))
	f.Add(decodeFunc(s.Record, s.Fields, true, s.Encryption != schema.EncryptNone))
	for _, t := range objectTypes(s.Fields) {
		f.Add(appendFunc(t.GoName, t.Fields, false))
		f.Add(decodeFunc(t.GoName, t.Fields, false, false))
	}
	f.Comment("MarshalJSON writes the record as stored, with sensitive fields redacted: a record")
	f.Comment("printed or logged as JSON never shows a secret.")
	f.Func().Params(jen.Id("r").Id(s.Record)).Id(schema.MarshalJSONMethod).Params().Params(jen.Index().Byte(), jen.Error()).Block(
		jen.Return(jen.Id("r").Dot("appendJSON").Call(jen.Nil(), jen.Qual(kvPkg, "RedactSecret"))),
	)
	unmarshalArgs := []jen.Code{jen.Id("data"), jen.Qual(kvPkg, "PlainSecretReader")}
	if s.Encryption != schema.EncryptNone {
		unmarshalArgs = append(unmarshalArgs, jen.False())
	}
	f.Comment("UnmarshalJSON reads a record with plaintext sensitive fields, as an API request carries it.")
	f.Func().Params(jen.Id("r").Op("*").Id(s.Record)).Id(schema.UnmarshalJSONMethod).Params(jen.Id("data").Index().Byte()).Error().Block(
		jen.Op("*").Id("r").Op("=").Id(s.Record).Values(),
		jen.Return(jen.Id("r").Dot("decodeJSON").Call(unmarshalArgs...)),
	)
	for _, t := range objectTypes(s.Fields) {
		f.Func().Params(jen.Id("r").Id(t.GoName)).Id(schema.MarshalJSONMethod).Params().Params(jen.Index().Byte(), jen.Error()).Block(
			jen.Return(jen.Id("r").Dot("appendJSON").Call(jen.Nil())),
		)
		f.Func().Params(jen.Id("r").Op("*").Id(t.GoName)).Id(schema.UnmarshalJSONMethod).Params(jen.Id("data").Index().Byte()).Error().Block(
			jen.Op("*").Id("r").Op("=").Id(t.GoName).Values(),
			jen.Return(jen.Id("r").Dot("decodeJSON").Call(jen.Id("data"))),
		)
	}
	return f
}

// appendFunc renders appendJSON: every field in schema order, absent ones as
// null (as the Python writer does), then the members kept from the read.
func appendFunc(name string, fields []*schema.Field, record bool) jen.Code {
	var body []jen.Code
	if record {
		// One allocation for a usual record, instead of doubling from the
		// caller's buffer: objects and lists append into the same buffer.
		body = append(body, jen.Id("b").Op("=").Qual("slices", "Grow").Call(jen.Id("b"), jen.Lit(sizeHint(fields))))
	}
	if needsErr(fields) {
		body = append(body, jen.Var().Id("err").Error())
	}
	for i, fl := range fields {
		sep := ","
		if i == 0 {
			sep = "{"
		}
		body = append(body, jen.Id("b").Op("=").Append(jen.Id("b"), jen.Lit(sep+quoteJSON(fl.JSONName)+":").Op("...")))
		v := jen.Id("r").Dot(fl.GoName)
		var write []jen.Code
		switch {
		case fl.Sensitive:
			write = []jen.Code{
				jen.List(jen.Id("b"), jen.Err()).Op("=").Id("secret").Call(jen.Id("b"), jen.Lit(fl.JSONName), jen.String().Call(v.Clone())),
				jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Id("b"), jen.Qual(kvPkg, "FieldErr").Call(jen.Lit(fl.JSONName), jen.Err()))),
			}
		case fl.Hashed:
			write = []jen.Code{jen.Id("b").Op("=").Qual(kvPkg, "AppendString").Call(jen.Id("b"), v.Clone().Dot("Digest").Call())}
		default:
			val := v.Clone()
			if !fl.Required && pointerKind(fl.Type.Kind) {
				val = jen.Op("*").Add(v.Clone())
				if fl.Type.Kind == schema.Object {
					val = v.Clone()
				}
			}
			write = appendValue(fl.Type, val, jen.Lit(fl.JSONName), 0)
		}
		if fl.Required && fl.Default == nil && !fl.Sensitive && !fl.Hashed && (fl.Type.Kind != schema.List && fl.Type.Kind != schema.JSON) {
			body = append(body, write...)
			continue
		}
		// absent: the default, applied here rather than on the caller's
		// value, which a write must not change
		absent := "null"
		if fl.Default != nil {
			absent = defaultJSON(fl)
		}
		body = append(body, jen.If(isZero(fl, v.Clone())).Block(
			jen.Id("b").Op("=").Append(jen.Id("b"), jen.Lit(absent).Op("...")),
		).Else().Block(write...))
	}
	body = append(body,
		jen.Id("b").Op("=").Qual(kvPkg, "AppendMembers").Call(jen.Id("b"), jen.Id("r").Dot("extra")),
		jen.Return(jen.Append(jen.Id("b"), jen.LitRune('}')), jen.Nil()),
	)
	params := []jen.Code{jen.Id("b").Index().Byte()}
	if record {
		params = append(params, jen.Id("secret").Qual(kvPkg, "SecretWriter"))
	}
	return jen.Func().Params(jen.Id("r").Op("*").Id(name)).Id("appendJSON").Params(params...).Params(jen.Index().Byte(), jen.Error()).Block(body...)
}

// sizeHint is the room appendJSON makes for a record: its member names and
// punctuation, 32 bytes for each value, and 256 for each sensitive field
// (an envelope of a short secret is about 200 bytes).
func sizeHint(fields []*schema.Field) int {
	n := 2 // braces
	for _, fl := range fields {
		n += len(quoteJSON(fl.JSONName)) + 2 + 32 // name, colon, comma, value
		if fl.Sensitive {
			n += 256
		}
	}
	return n
}

// needsErr reports whether appending fields can fail: floats (NaN), raw
// JSON, objects and secrets (encryption) can.
func needsErr(fields []*schema.Field) bool {
	for _, fl := range fields {
		if fl.Sensitive {
			return true
		}
		t := fl.Type
		for t.Kind == schema.List {
			t = t.Elem
		}
		switch t.Kind {
		case schema.Float, schema.JSON, schema.Object:
			return true
		}
	}
	return false
}

// appendValue renders the statements that append value v of type t to b.
// path names the field in errors.
func appendValue(t *schema.Type, v *jen.Statement, path jen.Code, depth int) []jen.Code {
	fail := func(errExpr jen.Code) jen.Code {
		return jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Id("b"), jen.Qual(kvPkg, "FieldErr").Call(path, errExpr)))
	}
	switch t.Kind {
	case schema.String, schema.URL, schema.Enum:
		return []jen.Code{jen.Id("b").Op("=").Qual(kvPkg, "AppendString").Call(jen.Id("b"), v)}
	case schema.Int:
		return []jen.Code{jen.Id("b").Op("=").Qual(kvPkg, "AppendInt").Call(jen.Id("b"), v)}
	case schema.Bool:
		return []jen.Code{jen.Id("b").Op("=").Qual(kvPkg, "AppendBool").Call(jen.Id("b"), v)}
	case schema.Float:
		return []jen.Code{
			jen.List(jen.Id("b"), jen.Err()).Op("=").Qual(kvPkg, "AppendFloat").Call(jen.Id("b"), v),
			fail(jen.Err()),
		}
	case schema.Timestamp:
		return []jen.Code{jen.Id("b").Op("=").Qual(kvPkg, "AppendTime").Call(jen.Id("b"), v)}
	case schema.Unixtime:
		return []jen.Code{jen.Id("b").Op("=").Qual(kvPkg, "AppendUnix").Call(jen.Id("b"), v)}
	case schema.JSON:
		return []jen.Code{
			jen.List(jen.Id("b"), jen.Err()).Op("=").Qual(kvPkg, "AppendRaw").Call(jen.Id("b"), v),
			fail(jen.Err()),
		}
	case schema.Object:
		return []jen.Code{
			jen.List(jen.Id("b"), jen.Err()).Op("=").Add(v).Dot("appendJSON").Call(jen.Id("b")),
			fail(jen.Err()),
		}
	case schema.List:
		i, e := jen.Id(loopVar("i", depth)), jen.Id(loopVar("e", depth))
		elem := e.Clone()
		if t.Elem.Kind == schema.Object {
			elem = jen.Parens(jen.Op("&").Add(v.Clone()).Index(i.Clone()))
		}
		inner := appendValue(t.Elem, elem, path, depth+1)
		loop := append([]jen.Code{
			jen.If(i.Clone().Op(">").Lit(0)).Block(jen.Id("b").Op("=").Append(jen.Id("b"), jen.LitRune(','))),
		}, inner...)
		rangeVars := jen.List(i.Clone(), e.Clone())
		if t.Elem.Kind == schema.Object {
			rangeVars = i.Clone()
		}
		return []jen.Code{
			jen.Id("b").Op("=").Append(jen.Id("b"), jen.LitRune('[')),
			jen.For(rangeVars.Op(":=").Range().Add(v)).Block(loop...),
			jen.Id("b").Op("=").Append(jen.Id("b"), jen.LitRune(']')),
		}
	}
	return nil
}

// decodeFunc renders decodeJSON: members by name, null as absent, unknown
// members kept in extra. With sealed, a stored value's top-level
// "__encrypted_data__" stops the decoder with kv.ErrSealedValue: the value
// is an envelope, to be opened and decoded again (see codecType).
func decodeFunc(name string, fields []*schema.Field, record, sealed bool) jen.Code {
	var cases []jen.Code
	for _, fl := range fields {
		v := jen.Id("r").Dot(fl.GoName)
		var stmts []jen.Code
		switch {
		case fl.Sensitive:
			stmts = []jen.Code{
				jen.List(jen.Id("s"), jen.Err()).Op(":=").Id("secret").Call(jen.Lit(fl.JSONName), jen.Id("raw")),
				jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Qual(kvPkg, "FieldErr").Call(jen.Lit(fl.JSONName), jen.Err()))),
				v.Clone().Op("=").Qual(kvPkg, "Secret").Call(jen.Id("s")),
			}
		case fl.Hashed:
			stmts = []jen.Code{
				jen.List(jen.Id("h"), jen.Err()).Op(":=").Qual(kvPkg, "DecodeHashed").Call(jen.Id("raw")),
				jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Qual(kvPkg, "FieldErr").Call(jen.Lit(fl.JSONName), jen.Err()))),
				v.Clone().Op("=").Id("h"),
			}
		default:
			name := fl.JSONName
			wrap := func(err jen.Code) jen.Code { return jen.Qual(kvPkg, "FieldErr").Call(jen.Lit(name), err) }
			stmts = decodeValue(fl.Type, jen.Id("raw"), 0, wrap, func(val jen.Code) []jen.Code {
				if !fl.Required && pointerKind(fl.Type.Kind) {
					return []jen.Code{v.Clone().Op("=").Op("&").Add(val)}
				}
				return []jen.Code{v.Clone().Op("=").Add(val)}
			})
		}
		cases = append(cases, jen.Case(jen.Lit(fl.JSONName)).Block(append([]jen.Code{
			jen.If(jen.Qual(kvPkg, "IsNull").Call(jen.Id("raw"))).Block(jen.Return(jen.Nil())),
		}, stmts...)...))
	}
	if sealed {
		cases = append(cases, jen.Case(jen.Lit("__encrypted_data__")).Block(
			jen.If(jen.Id("stored")).Block(jen.Return(jen.Qual(kvPkg, "ErrSealedValue"))),
			jen.Fallthrough(),
		))
	}
	cases = append(cases, jen.Default().Block(
		jen.Id("r").Dot("extra").Op("=").Append(jen.Id("r").Dot("extra"), jen.Qual(kvPkg, "Member").Values(jen.Dict{
			jen.Id("Name"): jen.String().Call(jen.Id("name")),
			jen.Id("Raw"):  jen.Append(jen.Qual("encoding/json", "RawMessage").Call(jen.Nil()), jen.Id("raw").Op("...")),
		})),
	))
	params := []jen.Code{jen.Id("data").Index().Byte()}
	if record {
		params = append(params, jen.Id("secret").Qual(kvPkg, "SecretReader"))
	}
	if sealed {
		params = append(params, jen.Id("stored").Bool())
	}
	// kv.Object lends each name as bytes; switch string(name) compares
	// without copying, so only unknown members cost a string.
	return jen.Func().Params(jen.Id("r").Op("*").Id(name)).Id("decodeJSON").Params(params...).Error().Block(
		jen.Return(jen.Qual(kvPkg, "Object").Call(jen.Id("data"), jen.Func().Params(jen.List(jen.Id("name"), jen.Id("raw")).Index().Byte()).Error().Block(
			jen.Switch(jen.String().Call(jen.Id("name"))).Block(cases...),
			jen.Return(jen.Nil()),
		))),
	)
}

// decodeValue renders the statements that decode raw as type t and hand the
// result to assign; wrap turns an error into the one to return.
func decodeValue(t *schema.Type, raw *jen.Statement, depth int, wrap func(err jen.Code) jen.Code, assign func(val jen.Code) []jen.Code) []jen.Code {
	fail := func() jen.Code {
		return jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(wrap(jen.Err())))
	}
	val := jen.Id(loopVar("v", depth))
	simple := func(fn string) []jen.Code {
		return append([]jen.Code{
			jen.List(val.Clone(), jen.Err()).Op(":=").Qual(kvPkg, fn).Call(raw),
			fail(),
		}, assign(val.Clone())...)
	}
	switch t.Kind {
	case schema.String, schema.URL, schema.Enum:
		return simple("DecodeString")
	case schema.Int:
		return simple("DecodeInt")
	case schema.Float:
		return simple("DecodeFloat")
	case schema.Bool:
		return simple("DecodeBool")
	case schema.Timestamp:
		return simple("DecodeTime")
	case schema.Unixtime:
		return simple("DecodeUnix")
	case schema.JSON:
		return assign(jen.Qual(kvPkg, "DecodeRaw").Call(raw))
	case schema.Object:
		return append([]jen.Code{
			jen.Var().Add(val.Clone()).Id(t.GoName),
			jen.If(jen.Err().Op(":=").Add(val.Clone()).Dot("decodeJSON").Call(raw), jen.Err().Op("!=").Nil()).Block(
				jen.Return(wrap(jen.Err())),
			),
		}, assign(val.Clone())...)
	case schema.List:
		switch t.Elem.Kind {
		case schema.String, schema.URL, schema.Enum:
			// the commonest list, decoded by the runtime into a slice of the right size
			return append([]jen.Code{
				jen.List(val.Clone(), jen.Err()).Op(":=").Qual(kvPkg, "DecodeStrings").Call(raw),
				fail(),
			}, assign(val.Clone())...)
		}
		i := jen.Id(loopVar("i", depth))
		elemRaw := jen.Id(loopVar("raw", depth+1))
		indexErr := func(err jen.Code) jen.Code { return jen.Qual(kvPkg, "IndexErr").Call(i.Clone(), err) }
		inner := decodeValue(t.Elem, elemRaw.Clone(), depth+1, indexErr, func(ev jen.Code) []jen.Code {
			return []jen.Code{val.Clone().Op("=").Append(val.Clone(), ev)}
		})
		elem := append([]jen.Code{
			jen.If(jen.Qual(kvPkg, "IsNull").Call(elemRaw.Clone())).Block(
				jen.Var().Id("zero").Add(elemType(t.Elem)),
				val.Clone().Op("=").Append(val.Clone(), jen.Id("zero")),
				jen.Return(jen.Nil()),
			),
		}, inner...)
		elem = append(elem, jen.Return(jen.Nil()))
		return append([]jen.Code{
			jen.Var().Add(val.Clone()).Add(elemType(t)),
			jen.Err().Op(":=").Qual(kvPkg, "Elements").Call(raw, jen.Func().Params(i.Clone().Int(), elemRaw.Clone().Index().Byte()).Error().Block(elem...)),
			fail(),
		}, assign(val.Clone())...)
	}
	return nil
}

// defaultJSON is the JSON of a field's default.
func defaultJSON(fl *schema.Field) string {
	v := fl.Default
	if fl.Type.Kind == schema.Timestamp {
		v = defaultTime(fl).Format(time.RFC3339Nano) // as kv.AppendTime writes it
	}
	data, err := json.Marshal(v)
	if err != nil {
		panic("render: default of " + fl.Name + " is not JSON") // the loader admits only strings, numbers and booleans
	}
	return string(data)
}

// quoteJSON is name as a JSON string; the loader admits no quote, backslash
// or control character in JSON names.
func quoteJSON(name string) string { return `"` + name + `"` }
