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
		"record.go":  recordFile(m.Schema),
		"codec.go":   codecFile(m.Schema),
		"store.go":   storeFile(m, table.Create, table.Indexes),
		"backend.go": backend,
	}
	if m.Uses(schema.SQLite) {
		if files["sqlite.go"], err = sqliteFile(m, table.SQLite); err != nil {
			return nil, err
		}
	}
	codecType(files["codec.go"], m.Schema)
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

// codecType renders the kv.Codec of the record: the key field, defaults,
// validation, then the schema's encryption around the JSON codec.
func codecType(f *jen.File, s *schema.Schema) {
	rec := jen.Id(s.Record)
	key := s.KeyField()
	f.Add(commentf("codec is the kv.Codec of %s records, with the schema's encryption.", s.Record))
	fields := []jen.Code{
		jen.Id("enc").Qual(kvPkg, "Encrypter").Comment("nil: store plaintext"),
		jen.Id("plaintext").Op("*").Qual(kvPkg, "PlaintextCounter"),
	}
	if s.Encryption != schema.EncryptNone {
		fields = append(fields, jen.Id("strict").Bool().Comment("refuse what plaintext would count"))
	}
	f.Type().Id("codec").Struct(fields...)

	var enc []jen.Code
	if s.Encryption == schema.EncryptFields {
		// Whatever collection a caller names, KV() included.
		enc = append(enc, jen.If(jen.Err().Op(":=").Qual(kvPkg, "CheckGoOnlyCollection").Call(jen.Id("collection")), jen.Err().Op("!=").Nil()).Block(
			jen.Return(jen.Nil(), jen.Err()),
		))
	}
	enc = append(enc,
		jen.If(jen.Id("v").Dot(key.GoName).Op("==").Lit("")).Block(
			jen.Id("v").Dot(key.GoName).Op("=").Id("key"),
		).Else().If(jen.Id("v").Dot(key.GoName).Op("!=").Id("key")).Block(
			jen.Return(jen.Nil(), jen.Op("&").Qual(kvPkg, "ValidationError").Values(jen.Dict{
				jen.Id("Problems"): jen.Index().Qual(kvPkg, "FieldProblem").Values(jen.Values(jen.Dict{
					jen.Id("Path"): jen.Lit(key.JSONName), jen.Id("Message"): jen.Lit("differs from the key the record is stored under"),
				})),
			})),
		),
		jen.If(jen.Err().Op(":=").Id("v").Dot(schema.ValidateMethod).Call(), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
		jen.Id("secret").Op(":=").Qual(kvPkg, "PlainSecret"),
	)
	if s.Encryption == schema.EncryptFields {
		enc = append(enc, jen.If(jen.Id("c").Dot("enc").Op("!=").Nil()).Block(
			jen.Id("secret").Op("=").Id("c").Dot("sealer").Call(jen.Id("collection"), jen.Id("key"), jen.True()).Dot("Seal"),
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

	f.Func().Params(jen.Id("c").Op("*").Id("codec")).Id("Decode").Params(jen.List(jen.Id("collection"), jen.Id("key")).String(), jen.Id("data").Index().Byte()).Params(rec.Clone(), jen.Error()).Block(decodeBody(s)...)

	if s.Encryption != schema.EncryptNone {
		f.Comment("sealer seals and opens the sensitive fields of the value stored under key in")
		f.Comment("collection; expect says whether they should be envelopes there.")
		f.Func().Params(jen.Id("c").Op("*").Id("codec")).Id("sealer").Params(jen.List(jen.Id("collection"), jen.Id("key")).String(), jen.Id("expect").Bool()).Qual(kvPkg, "Sealer").Block(
			jen.Return(jen.Qual(kvPkg, "Sealer").Values(jen.Dict{
				jen.Id("Encrypter"):  jen.Id("c").Dot("enc"),
				jen.Id("Collection"): jen.Id("collection"),
				jen.Id("Key"):        jen.Id("key"),
				jen.Id("Expect"):     jen.Id("expect"),
				jen.Id("Plaintext"):  jen.Id("c").Dot("plaintext"),
				jen.Id("Strict"):     jen.Id("c").Dot("strict"),
			})),
		)
	}
}

// decodeBody renders the body of the codec's Decode. Reads accept every
// form the table can hold where the schema puts envelopes, whatever the
// mode: a whole value sealed (py-key-value's wrapper), sealed sensitive
// fields, or plaintext. Plaintext where the mode expects an envelope is
// counted once per value in value mode, per field in fields mode (or refused
// when strict). The decoder itself tells a whole-value envelope
// (kv.ErrSealedValue), so that a read of anything else costs no search for one.
func decodeBody(s *schema.Schema) []jen.Code {
	rec := jen.Id(s.Record)
	key := s.KeyField()
	body := []jen.Code{jen.Var().Id("v").Add(rec.Clone())}
	if s.Encryption == schema.EncryptNone {
		body = append(body, jen.Err().Op(":=").Id("v").Dot("decodeJSON").Call(jen.Id("data"), jen.Qual(kvPkg, "PlainSecretReader")))
	} else {
		opener := func(expect bool) jen.Code {
			return jen.Id("c").Dot("sealer").Call(jen.Id("collection"), jen.Id("key"), jen.Lit(expect)).Dot("Open")
		}
		notSealed := jen.Null()
		if s.Encryption == schema.EncryptValue {
			notSealed = jen.Else().If(jen.Err().Op("==").Nil().Op("&&").Id("c").Dot("enc").Op("!=").Nil()).Block(
				jen.Err().Op("=").Qual(kvPkg, "UnsealedValue").Call(jen.Id("c").Dot("plaintext"), jen.Id("c").Dot("strict"), jen.Id("collection"), jen.Id("key")),
			)
		}
		body = append(body,
			jen.Err().Op(":=").Id("v").Dot("decodeJSON").Call(jen.Id("data"), opener(s.Encryption == schema.EncryptFields), jen.True()),
			jen.If(jen.Qual("errors", "Is").Call(jen.Err(), jen.Qual(kvPkg, "ErrSealedValue"))).Block(
				jen.List(jen.Id("plain"), jen.Id("openErr")).Op(":=").Qual(kvPkg, "OpenValue").Call(jen.Id("c").Dot("enc"), jen.Id("collection"), jen.Id("key"), jen.Id("data")),
				jen.If(jen.Id("openErr").Op("!=").Nil()).Block(jen.Return(rec.Clone().Values(), jen.Id("openErr"))),
				jen.Id("v").Op("=").Add(rec.Clone()).Values(),
				jen.Comment("sealed as a whole: its fields are plain by design"),
				jen.Err().Op("=").Id("v").Dot("decodeJSON").Call(jen.Id("plain"), opener(false), jen.True()),
			).Add(notSealed),
		)
	}
	return append(body,
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
