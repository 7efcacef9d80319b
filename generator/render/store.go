package render

import (
	"go/token"

	"github.com/dave/jennifer/jen"

	"github.com/kvgen/kvgen/generator/schema"
)

const pgkvPkg = "github.com/kvgen/kvgen/kv/pgkv"

// storeFile renders the typed store over kv.ValueStore: construction,
// options, and the typed methods that take and return records.
func storeFile(s *schema.Schema, ddl, dbImport string) *jen.File {
	f := newFile(s.Package)
	f.ImportName(dbImport, "db")
	rec := jen.Id(s.Record)
	key := s.KeyField()

	f.Add(commentf("DDL creates the %s table and its indexes, for every record stored in it. It is idempotent.", s.Table))
	f.Const().Id(schema.DDLConst).Op("=").Lit(ddl)
	f.Add(commentf("DefaultCollection is the collection of %s records unless Options name another.", s.Record))
	f.Const().Id(schema.DefaultCollectionConst).Op("=").Lit(s.Collection)
	if s.TTL > 0 {
		f.Add(commentf("DefaultTTL is how long a put %s lives: the schema's ttl.", s.Record))
		f.Const().Id(schema.DefaultTTLConst).Op("=").Qual("time", "Duration").Call(jen.Lit(int64(s.TTL)))
	}

	f.Comment("Options configure a Store.")
	opts := []jen.Code{
		jen.Comment("Collection replaces DefaultCollection."),
		jen.Id("Collection").String(),
	}
	if s.Encryption != schema.EncryptNone {
		opts = append(opts,
			jen.Comment("Encrypter encrypts "+encryptedWhat(s)+"; a *kv.KeyRing, or a KMS of your own."),
			jen.Id("Encrypter").Qual(kvPkg, "Encrypter"),
			jen.Comment("AllowPlaintext stores without encryption when Encrypter is nil. Without it,"),
			jen.Comment("a nil Encrypter is an error: secrets are never stored in plaintext by accident."),
			jen.Id("AllowPlaintext").Bool(),
		)
		opts = append(opts, strictDoc(s)...)
		opts = append(opts, jen.Id("Strict").Bool())
	}
	f.Type().Id(schema.OptionsType).Struct(opts...)

	f.Add(commentf("Store keeps %s records in PostgreSQL (New) or in memory (NewMemory).", s.Record))
	f.Comment("Its methods are safe for concurrent use.")
	f.Type().Id(schema.StoreType).Struct(
		jen.Id("records").Op("*").Qual(kvPkg, "ValueStore").Types(rec.Clone()),
		jen.Id("untyped").Op("*").Qual(kvPkg, "ValueStore").Types(jen.Map(jen.String()).Any()),
		jen.Id("codec").Op("*").Id("codec"),
	)

	f.Comment("New returns a store over a pgxpool.Pool, a pgx.Conn or a pgx.Tx. The table must exist:")
	f.Comment("run CreateTable or apply DDL with your migrations. A PutMany of more than")
	f.Comment("kv.PutManyChunk records is one transaction of conn (a savepoint in a pgx.Tx) of")
	f.Comment("several statements, which bounds its memory; over a db.DBTX without Begin it is one statement.")
	f.Comment("Its statements need no named prepared statement (pgkv.Unprepared), so it works behind")
	f.Comment("PgBouncer's transaction pooling whatever the connection's pgx exec mode. Over a pool or")
	f.Comment("a connection, a statement the database aborts for serialization or a deadlock runs again")
	f.Comment("(pgkv.Wrap); over a pgx.Tx it cannot, and the error is kv.ErrSerialization. A write to a")
	f.Comment("server that takes none fails with kv.ErrReadOnly.")
	f.Func().Id(schema.NewFunc).Params(jen.Id("conn").Qual(dbImport, "DBTX"), jen.Id("opts").Id(schema.OptionsType)).Params(jen.Op("*").Id(schema.StoreType), jen.Error()).Block(
		jen.Id("b").Op(":=").Op("&").Id("backend").Values(jen.Dict{jen.Id("q"): jen.Qual(dbImport, "New").Call(jen.Qual(pgkvPkg, "Wrap").Call(jen.Id("conn")))}),
		jen.If(jen.List(jen.Id("c"), jen.Id("ok")).Op(":=").Id("conn").Assert(jen.Id("beginner")), jen.Id("ok")).Block(
			jen.Return(jen.Id(schema.NewWithBackendFunc).Call(jen.Op("&").Id("txBackend").Values(jen.Dict{jen.Id("backend"): jen.Id("b"), jen.Id("conn"): jen.Id("c")}), jen.Id("opts"))),
		),
		jen.Return(jen.Id(schema.NewWithBackendFunc).Call(jen.Id("b"), jen.Id("opts"))),
	)
	f.Comment("NewMemory returns a store that keeps records in this process only: they are lost on restart.")
	f.Func().Id(schema.NewMemoryFunc).Params(jen.Id("opts").Id(schema.OptionsType)).Params(jen.Op("*").Id(schema.StoreType), jen.Error()).Block(
		jen.Return(jen.Id(schema.NewWithBackendFunc).Call(jen.Qual(kvPkg, "NewMemory").Call(), jen.Id("opts"))),
	)

	var build []jen.Code
	encArg := jen.Nil()
	if s.Encryption != schema.EncryptNone {
		encArg = jen.Id("opts").Dot("Encrypter")
		build = append(build, jen.If(jen.Id("opts").Dot("Encrypter").Op("==").Nil().Op("&&").Op("!").Id("opts").Dot("AllowPlaintext")).Block(
			jen.Return(jen.Nil(), jen.Qual("errors", "New").Call(jen.Lit(s.Package+": Options.Encrypter is nil: give a key ring, or set AllowPlaintext to store "+encryptedWhat(s)+" unencrypted"))),
		), jen.If(jen.Id("opts").Dot("Encrypter").Op("==").Nil().Op("&&").Id("opts").Dot("Strict")).Block(
			jen.Return(jen.Nil(), jen.Qual("errors", "New").Call(jen.Lit(s.Package+": Options.Strict needs an Encrypter: it refuses plaintext"))),
		))
	}
	if s.Encryption == schema.EncryptFields {
		// The schema's go_only is checked at generate time, and every write
		// checks its collection (the codec); a default collection given at
		// run time fails here already.
		build = append(build, jen.If(jen.Err().Op(":=").Qual(kvimplPkg, "CheckGoOnlyCollection").Call(jen.Id("opts").Dot("Collection")), jen.Err().Op("!=").Nil()).Block(
			jen.Return(jen.Nil(), jen.Qual("fmt", "Errorf").Call(jen.Lit(s.Package+": %w"), jen.Err())),
		))
	}
	// The untyped view seals whole values, as py-key-value's
	// FernetEncryptionWrapper does, so that the other collections of the
	// table (tokens, transactions) are encrypted too. It opens whole values
	// and the schema's sensitive fields, the places where envelopes belong.
	untypedMode := "value"
	codecFields := jen.Dict{
		jen.Id("enc"):       encArg.Clone(),
		jen.Id("plaintext"): jen.New(jen.Qual(kvPkg, "PlaintextCounter")),
	}
	if s.Encryption == schema.EncryptNone {
		untypedMode = "none"
	} else {
		codecFields[jen.Id("strict")] = jen.Id("opts").Dot("Strict")
	}
	build = append(build,
		jen.Id("c").Op(":=").Op("&").Id("codec").Values(codecFields),
		jen.List(jen.Id("untyped"), jen.Err()).Op(":=").Qual(kvPkg, "NewMapCodec").Call(encArg.Clone(), jen.Lit(untypedMode), sensitiveNames(s)),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
		jen.Comment("one count of plaintext reads per store, whichever view read them"),
		jen.Id("untyped").Dot("Counter").Op("=").Id("c").Dot("plaintext"),
		jen.Id("collection").Op(":=").Qual("cmp", "Or").Call(jen.Id("opts").Dot("Collection"), jen.Id(schema.DefaultCollectionConst)),
		jen.Return(jen.Op("&").Id(schema.StoreType).Values(jen.Dict{
			jen.Id("records"): jen.Qual(kvPkg, "NewValueStore").Types(rec.Clone()).Call(jen.Id("b"), jen.Id("c"), jen.Id("collection")),
			jen.Id("untyped"): jen.Qual(kvPkg, "NewValueStore").Types(jen.Map(jen.String()).Any()).Call(jen.Id("b"), jen.Id("untyped"), jen.Id("collection")),
			jen.Id("codec"):   jen.Id("c"),
		}), jen.Nil()),
	)
	f.Comment("NewWithBackend returns a store over any kv.Backend.")
	f.Func().Id(schema.NewWithBackendFunc).Params(jen.Id("b").Qual(kvPkg, "Backend"), jen.Id("opts").Id(schema.OptionsType)).Params(jen.Op("*").Id(schema.StoreType), jen.Error()).Block(build...)

	f.Comment("CreateTable applies DDL. Replicas may run it at once: the ones that lose the race run it again.")
	f.Func().Id(schema.CreateTableFunc).Params(jen.Id("ctx").Qual("context", "Context"), jen.Id("conn").Qual(dbImport, "DBTX")).Error().Block(
		jen.Return(jen.Qual(pgkvPkg, "CreateTable").Call(jen.Id("ctx"), jen.Id("conn"), jen.Id(schema.DDLConst))),
	)

	f.Add(commentf("CheckTable reports, with an error that says what to do, when the %s table is", s.Table))
	f.Comment("missing or lacks a column the store uses, or when the server takes no writes")
	f.Comment("(errors.Is(err, kv.ErrReadOnly)): call it at start-up to fail there rather than at")
	f.Comment("the first request.")
	f.Func().Id(schema.CheckTableFunc).Params(jen.Id("ctx").Qual("context", "Context"), jen.Id("conn").Qual(dbImport, "DBTX")).Error().Block(
		jen.Return(jen.Qual(pgkvPkg, "CheckTable").Call(jen.Id("ctx"), jen.Id("conn"), jen.Lit(s.Package), jen.Lit(s.Table))),
	)

	ctx := jen.Id("ctx").Qual("context", "Context")
	recv := jen.Id("s").Op("*").Id(schema.StoreType)
	ttl := jen.Lit(0)
	if s.TTL > 0 {
		ttl = jen.Id(schema.DefaultTTLConst)
	}
	keyName := paramName(key.GoName, "key")

	f.Add(commentf("Get returns the %s of %s, and false when there is none (or it expired).", s.Record, key.JSONName))
	f.Func().Params(recv.Clone()).Id("Get").Params(ctx.Clone(), jen.Id(keyName).String()).Params(rec.Clone(), jen.Bool(), jen.Error()).Block(
		jen.Return(jen.Id("s").Dot("records").Dot("Get").Call(jen.Id("ctx"), jen.Lit(""), jen.Id(keyName))),
	)
	f.Add(commentf("GetMany returns one entry per %s, in order: one round trip up to kv.GetManyChunk keys, then one per chunk.", key.JSONName))
	f.Func().Params(recv.Clone()).Id("GetMany").Params(ctx.Clone(), jen.Id(keyName+"s").Index().String()).Params(jen.Index().Qual(kvPkg, "Entry").Types(rec.Clone()), jen.Error()).Block(
		jen.Return(jen.Id("s").Dot("records").Dot("GetMany").Call(jen.Id("ctx"), jen.Lit(""), jen.Id(keyName+"s"))),
	)
	f.Add(commentf("Put validates r and writes it under r.%s, replacing any earlier version.", key.GoName))
	f.Func().Params(recv.Clone()).Id("Put").Params(ctx.Clone(), jen.Id("r").Add(rec.Clone())).Error().Block(
		jen.Return(jen.Id("s").Dot("records").Dot("Put").Call(jen.Id("ctx"), jen.Lit(""), jen.Id("r").Dot(key.GoName), jen.Id("r"), ttl.Clone())),
	)
	f.Comment("PutMany validates every record, then writes all of them or none: in one statement,")
	f.Comment("or above kv.PutManyChunk records in one transaction of several (see New).")
	f.Func().Params(recv.Clone()).Id("PutMany").Params(ctx.Clone(), jen.Id("rs").Index().Add(rec.Clone())).Error().Block(
		jen.Id("keys").Op(":=").Make(jen.Index().String(), jen.Len(jen.Id("rs"))),
		jen.For(jen.Id("i").Op(":=").Range().Id("rs")).Block(jen.Id("keys").Index(jen.Id("i")).Op("=").Id("rs").Index(jen.Id("i")).Dot(key.GoName)),
		jen.Return(jen.Id("s").Dot("records").Dot("PutMany").Call(jen.Id("ctx"), jen.Lit(""), jen.Id("keys"), jen.Id("rs"), ttl.Clone())),
	)
	f.Add(commentf("Delete removes the %s of %s and reports whether it existed unexpired.", s.Record, key.JSONName))
	f.Func().Params(recv.Clone()).Id("Delete").Params(ctx.Clone(), jen.Id(keyName).String()).Params(jen.Bool(), jen.Error()).Block(
		jen.Return(jen.Id("s").Dot("records").Dot("Delete").Call(jen.Id("ctx"), jen.Lit(""), jen.Id(keyName))),
	)
	f.Comment("DeleteMany removes records in one round trip and counts the unexpired ones.")
	f.Func().Params(recv.Clone()).Id("DeleteMany").Params(ctx.Clone(), jen.Id(keyName+"s").Index().String()).Params(jen.Int(), jen.Error()).Block(
		jen.Return(jen.Id("s").Dot("records").Dot("DeleteMany").Call(jen.Id("ctx"), jen.Lit(""), jen.Id(keyName+"s"))),
	)
	conditionalMethods(f, s, ttl)
	f.Add(commentf("List returns up to limit records in %s order, after the cursor after (\"\" to start);", key.JSONName))
	f.Add(commentf("pass the last record's %s as after to read the next page.", key.GoName))
	f.Func().Params(recv.Clone()).Id("List").Params(ctx.Clone(), jen.Id("after").String(), jen.Id("limit").Int()).Params(jen.Index().Add(rec.Clone()), jen.Error()).Block(
		jen.List(jen.Id("items"), jen.Err()).Op(":=").Id("s").Dot("records").Dot("List").Call(jen.Id("ctx"), jen.Lit(""), jen.Id("after"), jen.Id("limit")),
		jen.Return(jen.Id("values").Call(jen.Id("items")), jen.Err()),
	)
	for _, fl := range s.Indexed() {
		param := paramName(fl.GoName, "value")
		f.Add(commentf("%s returns the records whose %s equals %s, in %s order.", schema.FinderMethod(fl), fl.JSONName, param, key.JSONName))
		f.Func().Params(recv.Clone()).Id(schema.FinderMethod(fl)).Params(ctx.Clone(), jen.Id(param).Add(elemType(fl.Type))).Params(jen.Index().Add(rec.Clone()), jen.Error()).Block(
			jen.List(jen.Id("items"), jen.Err()).Op(":=").Id("s").Dot("records").Dot("Find").Call(jen.Id("ctx"), jen.Lit(""), jen.Lit(fl.JSONName), indexText(fl.Type.Kind, jen.Id(param))).Add(indexNote(fl.Type.Kind)),
			jen.Return(jen.Id("values").Call(jen.Id("items")), jen.Err()),
		)
	}
	f.Comment("Cull deletes expired records of every collection of the table and counts them.")
	f.Func().Params(recv.Clone()).Id("Cull").Params(ctx.Clone()).Params(jen.Int(), jen.Error()).Block(
		jen.Return(jen.Id("s").Dot("records").Dot("Cull").Call(jen.Id("ctx"))),
	)
	if s.Encryption != schema.EncryptNone {
		sealedFields, sealedDoc := jen.Code(jen.Nil()), "sealed as a whole: no field on its own"
		if s.Encryption == schema.EncryptFields && len(s.SensitivePaths()) > 0 {
			sealedFields, sealedDoc = sensitiveNames(s), "the sensitive fields, each sealed on its own"
		} else if s.Encryption == schema.EncryptFields {
			sealedDoc = "no sensitive field to seal"
		}
		f.Comment("Reencrypt rewrites the store's records under the first key of its Encrypter (or")
		f.Comment("of opts.Encrypter), in batches; it resumes from the Cursor that Progress reports.")
		if s.Encryption == schema.EncryptFields {
			f.Comment("It also binds fields sealed before fields were bound to their records, which")
			f.Comment("Strict refuses.")
		}
		f.Func().Params(recv.Clone()).Id("Reencrypt").Params(ctx.Clone(), jen.Id("opts").Qual(kvPkg, "ReencryptOptions")).Params(jen.Qual(kvPkg, "ReencryptResult"), jen.Error()).Block(
			jen.If(jen.Id("opts").Dot("Encrypter").Op("==").Nil()).Block(jen.Id("opts").Dot("Encrypter").Op("=").Id("s").Dot("codec").Dot("enc")),
			jen.Id("opts").Dot("Fields").Op("=").Add(sealedFields).Comment(sealedDoc),
			jen.Return(jen.Id("s").Dot("records").Dot("Reencrypt").Call(jen.Id("ctx"), jen.Id("opts"))),
		)
	}
	f.Add(commentf("KV returns the store as a kv.Store of %s records, over any collection of the table.", s.Record))
	f.Func().Params(recv.Clone()).Id("KV").Params().Qual(kvPkg, "Store").Types(rec.Clone()).Block(jen.Return(jen.Id("s").Dot("records")))
	f.Comment("Untyped returns a kv.Store of JSON objects over any collection of the table:")
	f.Comment("the view of a Python py-key-value store. With an Encrypter it seals whole values")
	f.Comment("as FernetEncryptionWrapper does, and it reads every form the table holds.")
	f.Func().Params(recv.Clone()).Id("Untyped").Params().Qual(kvPkg, "Store").Types(jen.Map(jen.String()).Any()).Block(jen.Return(jen.Id("s").Dot("untyped")))
	f.Comment("PlaintextReads counts the records read without the encryption the schema asks")
	f.Comment("for: data written before encryption was turned on.")
	f.Func().Params(recv.Clone()).Id("PlaintextReads").Params().Int64().Block(jen.Return(jen.Id("s").Dot("codec").Dot("plaintext").Dot("Load").Call()))

	f.Func().Id("values").Params(jen.Id("items").Index().Qual(kvPkg, "Item").Types(rec.Clone())).Index().Add(rec.Clone()).Block(
		jen.Id("out").Op(":=").Make(jen.Index().Add(rec.Clone()), jen.Len(jen.Id("items"))),
		jen.For(jen.Id("i").Op(":=").Range().Id("items")).Block(jen.Id("out").Index(jen.Id("i")).Op("=").Id("items").Index(jen.Id("i")).Dot("Value")),
		jen.Return(jen.Id("out")),
	)
	f.Var().Id("_").Qual(kvPkg, "Store").Types(rec.Clone()).Op("=").Parens(jen.Op("*").Qual(kvPkg, "ValueStore").Types(rec.Clone())).Parens(jen.Nil())
	f.Var().Id("_").Qual(kvPkg, "Codec").Types(rec.Clone()).Op("=").Parens(jen.Op("*").Id("codec")).Parens(jen.Nil())
	return f
}

// sensitiveNames renders the paths of the schema's sensitive fields: the
// only places, besides a whole value, where an envelope belongs.
func sensitiveNames(s *schema.Schema) jen.Code {
	var names []jen.Code
	for _, path := range s.SensitivePaths() {
		names = append(names, jen.Lit(path))
	}
	if names == nil {
		return jen.Nil()
	}
	return jen.Index().String().Values(names...)
}

// strictDoc is the doc comment of Options.Strict.
func strictDoc(s *schema.Schema) []jen.Code {
	lines := []string{
		"Strict makes the typed view refuse, as kv.ErrDecrypt naming collection and key,",
		"a record stored in plaintext (written before encryption was turned on), which it",
		"otherwise reads and counts in PlaintextReads. Set it once no read counts any more.",
	}
	if s.Encryption == schema.EncryptFields {
		lines = []string{
			"Strict makes the typed view refuse, as kv.ErrDecrypt naming collection, key and",
			"field, a sensitive field stored in plaintext (written before encryption was turned",
			"on) or sealed before fields were bound to their records (Reencrypt binds those),",
			"which it otherwise reads and counts in PlaintextReads. Set it once no read counts",
			"any more. A record sealed as a whole, py-key-value's format, has no binding and",
			"is read either way.",
		}
	}
	out := make([]jen.Code, len(lines))
	for i, l := range lines {
		out[i] = jen.Comment(l)
	}
	return out
}

// conditionalMethods renders the typed conditional writes over kv.ValueStore's,
// and GetVersion, whose kv.Version they compare.
func conditionalMethods(f *jen.File, s *schema.Schema, ttl *jen.Statement) {
	rec := jen.Id(s.Record)
	key := s.KeyField()
	keyName := paramName(key.GoName, "key")
	ctx := jen.Id("ctx").Qual("context", "Context")
	recv := jen.Id("s").Op("*").Id("Store")
	version := jen.Qual(kvPkg, "Version")
	records := func(method string, args ...jen.Code) *jen.Statement {
		return jen.Id("s").Dot("records").Dot(method).Call(append([]jen.Code{jen.Id("ctx"), jen.Lit("")}, args...)...)
	}

	f.Comment("GetVersion is Get with the record's kv.Version, for CompareAndSwap and CompareAndDelete.")
	f.Func().Params(recv.Clone()).Id("GetVersion").Params(ctx.Clone(), jen.Id(keyName).String()).Params(rec.Clone(), version.Clone(), jen.Bool(), jen.Error()).Block(
		jen.List(jen.Id("e"), jen.Id("version"), jen.Err()).Op(":=").Add(records("GetVersion", jen.Id(keyName))),
		jen.Return(jen.Id("e").Dot("Value"), jen.Id("version"), jen.Id("e").Dot("Found"), jen.Err()),
	)
	f.Add(commentf("CompareAndSwap validates r and writes it under r.%s only if the record there is", key.GoName))
	f.Comment("still at version old, as GetVersion read it, or, with the zero kv.Version, only if")
	f.Comment("there is none. False means another writer changed, deleted or created it since:")
	f.Comment("read it again and retry, or give up. A deleted record is never brought back.")
	f.Func().Params(recv.Clone()).Id("CompareAndSwap").Params(ctx.Clone(), jen.Id("r").Add(rec.Clone()), jen.Id("old").Add(version.Clone())).Params(jen.Bool(), jen.Error()).Block(
		jen.Return(records("CompareAndSwap", jen.Id("r").Dot(key.GoName), jen.Id("old"), jen.Id("r"), ttl.Clone())),
	)
	f.Add(commentf("Replace validates r and writes it only over an existing record of r.%s, and", key.GoName))
	f.Comment("reports whether it did: it never brings back a deleted record.")
	f.Func().Params(recv.Clone()).Id("Replace").Params(ctx.Clone(), jen.Id("r").Add(rec.Clone())).Params(jen.Bool(), jen.Error()).Block(
		jen.Return(records("Replace", jen.Id("r").Dot(key.GoName), jen.Id("r"), ttl.Clone())),
	)
	f.Add(commentf("CompareAndDelete removes the %s of %s only if it is still at version old.", s.Record, key.JSONName))
	f.Func().Params(recv.Clone()).Id("CompareAndDelete").Params(ctx.Clone(), jen.Id(keyName).String(), jen.Id("old").Add(version.Clone())).Params(jen.Bool(), jen.Error()).Block(
		jen.Return(records("CompareAndDelete", jen.Id(keyName), jen.Id("old"))),
	)
	f.Add(commentf("GetAndDelete removes the %s of %s and returns it, in one step; false when", s.Record, key.JSONName))
	f.Comment("there was none.")
	f.Func().Params(recv.Clone()).Id("GetAndDelete").Params(ctx.Clone(), jen.Id(keyName).String()).Params(rec.Clone(), jen.Bool(), jen.Error()).Block(
		jen.Return(records("GetAndDelete", jen.Id(keyName))),
	)
}

func encryptedWhat(s *schema.Schema) string {
	if s.Encryption == schema.EncryptValue {
		return "whole records"
	}
	return "sensitive fields"
}

// indexText renders v as the text PostgreSQL's ->> gives for the JSON the codec writes.
func indexText(k schema.Kind, v *jen.Statement) jen.Code {
	switch k {
	case schema.Int:
		return jen.Qual("strconv", "FormatInt").Call(v, jen.Lit(10))
	case schema.Bool:
		return jen.Qual("strconv", "FormatBool").Call(v)
	case schema.Float:
		// kv.AppendFloat writes 1e+21 and 1e-7 with an exponent, which
		// PostgreSQL's numeric expands: strconv's 'f' format writes them so.
		// Adding 0 turns -0 into 0, as numeric does (see indexNote).
		return jen.Qual("strconv", "FormatFloat").Call(v.Op("+").Lit(0), jen.LitRune('f'), jen.Lit(-1), jen.Lit(64))
	case schema.Timestamp:
		return v.Dot("Format").Call(jen.Qual("time", "RFC3339Nano"))
	case schema.Unixtime:
		return jen.Qual("strconv", "FormatInt").Call(v.Dot("Unix").Call(), jen.Lit(10))
	}
	return v
}

// indexNote is the comment at the end of a finder's search, where the text
// of indexText needs one.
func indexNote(k schema.Kind) jen.Code {
	if k == schema.Float {
		return jen.Comment("+0: PostgreSQL has no -0")
	}
	return jen.Null()
}

// paramName is the Go parameter name for a field, or fallback where that
// name would be a keyword or shadow a name the method body uses.
func paramName(goName, fallback string) string {
	name := lowerFirst(goName)
	switch name {
	case "ctx", "s", "r", "rs", "i", "items", "keys", "err", "time", "strconv", "kv", "context", "errors", "cmp", "db", "values",
		"e", "version", "old":
		return fallback
	}
	if token.IsKeyword(name) {
		return fallback
	}
	return name
}

func lowerFirst(s string) string {
	// ClientID → clientID, URL → url
	i := 0
	for i < len(s) && s[i] >= 'A' && s[i] <= 'Z' {
		i++
	}
	switch {
	case i == 0:
		return s
	case i == 1 || i == len(s):
		return toLower(s[:i]) + s[i:]
	default:
		return toLower(s[:i-1]) + s[i-1:]
	}
}

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
