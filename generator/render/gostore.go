package render

import (
	"bytes"
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/kvgen/kvgen/generator/schema"
)

// GoStore renders the jennifer-generated Go files of one record's package:
// file name within the package directory → content. ddl is the table's DDL
// (embedded so a server can create the table at start); dbImport is the
// import path of the sqlc-generated package of this record.
func GoStore(s *schema.Schema, ddl string, dbImport string) (map[string][]byte, error) {
	files := map[string]*jen.File{
		"record.go":  recordFile(s),
		"codec.go":   codecFile(s),
		"store.go":   storeFile(s, ddl, dbImport),
		"backend.go": backendFile(s, dbImport),
	}
	codecType(files["codec.go"], s)
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

// codecType renders the kv.Codec of the record: the key field, defaults,
// validation, then the schema's encryption around the JSON codec.
func codecType(f *jen.File, s *schema.Schema) {
	rec := jen.Id(s.Record)
	key := s.KeyField()
	f.Comment("codec is the kv.Codec of " + s.Record + " records, with the schema's encryption.")
	f.Type().Id("codec").Struct(
		jen.Id("enc").Qual(kvPkg, "Encrypter").Comment("nil: store plaintext"),
		jen.Id("plaintext").Op("*").Qual(kvPkg, "PlaintextCounter"),
	)

	secretWriter := jen.Qual(kvPkg, "PlainSecret")
	// Reads accept every form the table can hold whatever the mode: a whole
	// value sealed (py-key-value's wrapper), sealed fields, or plaintext.
	// Plaintext is counted once per value: per field in fields mode, per
	// value in value mode.
	secretReader := func(counter jen.Code) jen.Code {
		return jen.Qual(kvPkg, "OpenSecret").Call(jen.Id("c").Dot("enc"), counter)
	}

	enc := []jen.Code{
		jen.If(jen.Id("v").Dot(key.GoName).Op("==").Lit("")).Block(
			jen.Id("v").Dot(key.GoName).Op("=").Id("key"),
		).Else().If(jen.Id("v").Dot(key.GoName).Op("!=").Id("key")).Block(
			jen.Return(jen.Nil(), jen.Op("&").Qual(kvPkg, "ValidationError").Values(jen.Dict{
				jen.Id("Problems"): jen.Index().Qual(kvPkg, "FieldProblem").Values(jen.Values(jen.Dict{
					jen.Id("Path"): jen.Lit(key.JSONName), jen.Id("Message"): jen.Lit("differs from the key the record is stored under"),
				})),
			})),
		),
		jen.If(jen.Err().Op(":=").Id("v").Dot("Validate").Call(), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
		jen.Id("secret").Op(":=").Add(secretWriter),
	}
	if s.Encryption == schema.EncryptFields {
		enc = append(enc, jen.If(jen.Id("c").Dot("enc").Op("!=").Nil()).Block(
			jen.Id("secret").Op("=").Qual(kvPkg, "SealSecret").Call(jen.Id("c").Dot("enc")),
		))
	}
	enc = append(enc,
		jen.List(jen.Id("data"), jen.Err()).Op(":=").Id("v").Dot("appendJSON").Call(jen.Nil(), jen.Id("secret")),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Qual(kvPkg, "EncodeError").Call(jen.Err()))),
	)
	if s.Encryption == schema.EncryptValue {
		enc = append(enc, jen.If(jen.Id("c").Dot("enc").Op("!=").Nil()).Block(
			jen.Return(jen.Qual(kvPkg, "Seal").Call(jen.Id("c").Dot("enc"), jen.Id("data"))),
		))
	}
	enc = append(enc, jen.Return(jen.Id("data"), jen.Nil()))
	f.Func().Params(jen.Id("c").Op("*").Id("codec")).Id("Encode").Params(jen.List(jen.Id("collection"), jen.Id("key")).String(), jen.Id("v").Add(rec.Clone())).Params(jen.Index().Byte(), jen.Error()).Block(enc...)

	// The decoder itself tells a whole-value envelope (kv.ErrSealedValue), so
	// that a read of anything else costs no search for one.
	dec := []jen.Code{jen.Var().Id("v").Add(rec.Clone())}
	if s.Encryption == schema.EncryptNone {
		dec = append(dec, jen.Err().Op(":=").Id("v").Dot("decodeJSON").Call(jen.Id("data"), jen.Qual(kvPkg, "PlainSecretReader")))
	} else {
		counter, notSealed := jen.Code(jen.Id("c").Dot("plaintext")), jen.Null()
		if s.Encryption == schema.EncryptValue {
			counter = jen.Nil() // counted per value, in notSealed
			notSealed = jen.Else().If(jen.Err().Op("==").Nil().Op("&&").Id("c").Dot("enc").Op("!=").Nil()).Block(
				jen.Id("c").Dot("plaintext").Dot("Add").Call(),
			)
		}
		dec = append(dec,
			jen.Err().Op(":=").Id("v").Dot("decodeJSON").Call(jen.Id("data"), secretReader(counter), jen.True()),
			jen.If(jen.Qual("errors", "Is").Call(jen.Err(), jen.Qual(kvPkg, "ErrSealedValue"))).Block(
				jen.List(jen.Id("plain"), jen.Id("openErr")).Op(":=").Qual(kvPkg, "OpenValue").Call(jen.Id("c").Dot("enc"), jen.Id("collection"), jen.Id("key"), jen.Id("data")),
				jen.If(jen.Id("openErr").Op("!=").Nil()).Block(jen.Return(rec.Clone().Values(), jen.Id("openErr"))),
				jen.Id("v").Op("=").Add(rec.Clone()).Values(),
				jen.Comment("sealed as a whole: its fields are not plaintext"),
				jen.Err().Op("=").Id("v").Dot("decodeJSON").Call(jen.Id("plain"), secretReader(jen.Nil()), jen.True()),
			).Add(notSealed),
		)
	}
	dec = append(dec,
		jen.If(jen.Err().Op("!=").Nil()).Block(
			jen.Return(rec.Clone().Values(), jen.Qual(kvPkg, "DecodeError").Call(jen.Id("collection"), jen.Id("key"), jen.Err())),
		),
		jen.Comment("A row copied under another key is not the record of that key. A record"),
		jen.Comment("without its key takes the row's, as Encode gives it."),
		jen.Switch(jen.Id("v").Dot(key.GoName)).Block(
			jen.Case(jen.Id("key")),
			jen.Case(jen.Lit("")).Block(jen.Id("v").Dot(key.GoName).Op("=").Id("key")),
			jen.Default().Block(jen.Return(rec.Clone().Values(), jen.Qual(kvPkg, "KeyMismatch").Call(jen.Id("collection"), jen.Id("key"), jen.Lit(key.JSONName)))),
		),
		jen.Id("v").Dot("applyDefaults").Call(),
		jen.Return(jen.Id("v"), jen.Nil()),
	)
	f.Func().Params(jen.Id("c").Op("*").Id("codec")).Id("Decode").Params(jen.List(jen.Id("collection"), jen.Id("key")).String(), jen.Id("data").Index().Byte()).Params(rec.Clone(), jen.Error()).Block(dec...)
}
