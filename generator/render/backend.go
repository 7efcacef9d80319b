package render

import (
	"github.com/dave/jennifer/jen"

	"github.com/kvgen/kvgen/generator/schema"
)

// backendFile renders the kv.Backend over the sqlc-generated queries: one
// query per method, so every method is one round trip.
func backendFile(s *schema.Schema, dbImport string) *jen.File {
	f := newFile(s.Package)
	f.ImportName(dbImport, "db")
	db := func(name string) *jen.Statement { return jen.Qual(dbImport, name) }
	ctx := jen.Id("ctx").Qual("context", "Context")
	recv := jen.Id("b").Op("*").Id("backend")
	raws := jen.Index().Qual(kvPkg, "Raw")
	q := func(method string, params jen.Code) *jen.Statement {
		return jen.Id("b").Dot("q").Dot(method).Call(jen.Id("ctx"), params)
	}
	ret := func(vals ...jen.Code) jen.Code { return jen.Return(vals...) }
	rowsToRaw := func(rows string) []jen.Code {
		return []jen.Code{
			jen.Id("out").Op(":=").Make(raws.Clone(), jen.Len(jen.Id(rows))),
			jen.For(jen.List(jen.Id("i"), jen.Id("row")).Op(":=").Range().Id(rows)).Block(
				jen.Id("out").Index(jen.Id("i")).Op("=").Qual(pgkvPkg, "Raw").Call(jen.Id("row").Dot("Key"), jen.Id("row").Dot("Value"), jen.Id("row").Dot("ExpiresAt"), jen.Id("row").Dot("Now")),
			),
			jen.Return(jen.Id("out"), jen.Nil()),
		}
	}
	errCheck := func(zero ...jen.Code) jen.Code {
		return jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(append(zero, jen.Err())...))
	}

	f.Comment("backend is the PostgreSQL kv.Backend of the sqlc queries in package db.")
	f.Type().Id("backend").Struct(jen.Id("q").Op("*").Add(db("Queries")))
	f.Var().Id("_").Qual(kvPkg, "Backend").Op("=").Parens(jen.Op("*").Id("backend")).Parens(jen.Nil())

	// Get and GetAndDelete: a query of one row, or none.
	oneRow := func(method string) {
		f.Func().Params(recv.Clone()).Id(method).Params(ctx.Clone(), jen.List(jen.Id("collection"), jen.Id("key")).String()).Params(jen.Qual(kvPkg, "Raw"), jen.Bool(), jen.Error()).Block(
			jen.List(jen.Id("row"), jen.Err()).Op(":=").Add(q(method, db(method+"Params").Values(jen.Dict{jen.Id("Collection"): jen.Id("collection"), jen.Id("Key"): jen.Id("key")}))),
			jen.If(jen.Qual("errors", "Is").Call(jen.Err(), jen.Qual("github.com/jackc/pgx/v5", "ErrNoRows"))).Block(ret(jen.Qual(kvPkg, "Raw").Values(), jen.False(), jen.Nil())),
			errCheck(jen.Qual(kvPkg, "Raw").Values(), jen.False()),
			ret(jen.Qual(pgkvPkg, "Raw").Call(jen.Id("key"), jen.Id("row").Dot("Value"), jen.Id("row").Dot("ExpiresAt"), jen.Id("row").Dot("Now")), jen.True(), jen.Nil()),
		)
	}
	oneRow("Get")
	f.Func().Params(recv.Clone()).Id("GetMany").Params(ctx.Clone(), jen.Id("collection").String(), jen.Id("keys").Index().String()).Params(raws.Clone(), jen.Error()).Block(
		append([]jen.Code{
			jen.List(jen.Id("rows"), jen.Err()).Op(":=").Add(q("GetMany", db("GetManyParams").Values(jen.Dict{jen.Id("Collection"): jen.Id("collection"), jen.Id("Keys"): jen.Id("keys")}))),
			errCheck(jen.Nil()),
		}, rowsToRaw("rows")...)...,
	)
	f.Func().Params(recv.Clone()).Id("Put").Params(ctx.Clone(), jen.List(jen.Id("collection"), jen.Id("key")).String(), jen.Id("value").Index().Byte(), jen.Id("ttl").Op("*").Float64()).Error().Block(
		ret(q("Put", db("PutParams").Values(jen.Dict{
			jen.Id("Collection"): jen.Id("collection"), jen.Id("Key"): jen.Id("key"),
			jen.Id("Value"): jen.Qual(pgkvPkg, "Text").Call(jen.Id("value")), jen.Id("Ttl"): jen.Id("ttl"),
		}))),
	)
	f.Func().Params(recv.Clone()).Id("PutMany").Params(ctx.Clone(), jen.Id("collection").String(), jen.Id("keys").Index().String(), jen.Id("values").Index().Index().Byte(), jen.Id("ttl").Op("*").Float64()).Error().Block(
		ret(q("PutMany", db("PutManyParams").Values(jen.Dict{
			jen.Id("Collection"): jen.Id("collection"), jen.Id("Keys"): jen.Id("keys"),
			jen.Id("Vals"): jen.Qual(pgkvPkg, "Texts").Call(jen.Id("values")), jen.Id("Ttl"): jen.Id("ttl"),
		}))),
	)
	f.Func().Params(recv.Clone()).Id("Delete").Params(ctx.Clone(), jen.List(jen.Id("collection"), jen.Id("key")).String()).Params(jen.Bool(), jen.Error()).Block(
		jen.List(jen.Id("n"), jen.Err()).Op(":=").Add(q("Delete", db("DeleteParams").Values(jen.Dict{jen.Id("Collection"): jen.Id("collection"), jen.Id("Key"): jen.Id("key")}))),
		ret(jen.Id("n").Op(">").Lit(0), jen.Err()),
	)
	f.Func().Params(recv.Clone()).Id("DeleteMany").Params(ctx.Clone(), jen.Id("collection").String(), jen.Id("keys").Index().String()).Params(jen.Int(), jen.Error()).Block(
		jen.List(jen.Id("n"), jen.Err()).Op(":=").Add(q("DeleteMany", db("DeleteManyParams").Values(jen.Dict{jen.Id("Collection"): jen.Id("collection"), jen.Id("Keys"): jen.Id("keys")}))),
		ret(jen.Int().Call(jen.Id("n")), jen.Err()),
	)
	pageParams := func(name string) jen.Code {
		return db(name).Values(jen.Dict{jen.Id("Collection"): jen.Id("collection"), jen.Id("After"): jen.Id("after"), jen.Id("Lim"): jen.Qual(pgkvPkg, "Limit").Call(jen.Id("limit"))})
	}
	pageArgs := []jen.Code{ctx.Clone(), jen.List(jen.Id("collection"), jen.Id("after")).String(), jen.Id("limit").Int()}
	f.Func().Params(recv.Clone()).Id("Keys").Params(pageArgs...).Params(jen.Index().String(), jen.Error()).Block(
		ret(q("Keys", pageParams("KeysParams"))),
	)
	f.Func().Params(recv.Clone()).Id("List").Params(pageArgs...).Params(raws.Clone(), jen.Error()).Block(
		append([]jen.Code{
			jen.List(jen.Id("rows"), jen.Err()).Op(":=").Add(q("List", pageParams("ListParams"))),
			errCheck(jen.Nil()),
		}, rowsToRaw("rows")...)...,
	)
	var finders []jen.Code
	for _, fl := range s.Indexed() {
		finders = append(finders, jen.Case(jen.Lit(fl.JSONName)).Block(
			jen.List(jen.Id("rows"), jen.Err()).Op(":=").Add(q(schema.FinderMethod(fl), db(schema.FinderMethod(fl)+"Params").Values(jen.Dict{jen.Id("Collection"): jen.Id("collection"), jen.Id("Value"): jen.Id("value")}))),
			errCheck(jen.Nil()),
			jen.Block(rowsToRaw("rows")...),
		))
	}
	finders = append(finders, jen.Default().Block(
		ret(jen.Nil(), jen.Qual("fmt", "Errorf").Call(jen.Lit(s.Package+": no index on field %q: mark it indexed in the schema"), jen.Id("field"))),
	))
	f.Func().Params(recv.Clone()).Id("Find").Params(ctx.Clone(), jen.List(jen.Id("collection"), jen.Id("field"), jen.Id("value")).String()).Params(raws.Clone(), jen.Error()).Block(
		jen.Switch(jen.Id("field")).Block(finders...),
	)
	f.Func().Params(recv.Clone()).Id("Collections").Params(ctx.Clone()).Params(jen.Index().String(), jen.Error()).Block(
		ret(jen.Id("b").Dot("q").Dot("Collections").Call(jen.Id("ctx"))),
	)
	f.Func().Params(recv.Clone()).Id("DeleteCollection").Params(ctx.Clone(), jen.Id("collection").String()).Params(jen.Int(), jen.Error()).Block(
		jen.List(jen.Id("n"), jen.Err()).Op(":=").Add(q("DeleteCollection", jen.Id("collection"))),
		ret(jen.Int().Call(jen.Id("n")), jen.Err()),
	)
	f.Func().Params(recv.Clone()).Id("Cull").Params(ctx.Clone()).Params(jen.Int(), jen.Error()).Block(
		jen.List(jen.Id("n"), jen.Err()).Op(":=").Id("b").Dot("q").Dot("Cull").Call(jen.Id("ctx")),
		ret(jen.Int().Call(jen.Id("n")), jen.Err()),
	)
	f.Func().Params(recv.Clone()).Id("Scan").Params(pageArgs...).Params(raws.Clone(), jen.Error()).Block(
		jen.List(jen.Id("rows"), jen.Err()).Op(":=").Add(q("Scan", pageParams("ScanParams"))),
		errCheck(jen.Nil()),
		jen.Id("out").Op(":=").Make(raws.Clone(), jen.Len(jen.Id("rows"))),
		jen.For(jen.List(jen.Id("i"), jen.Id("row")).Op(":=").Range().Id("rows")).Block(
			jen.Id("out").Index(jen.Id("i")).Op("=").Qual(kvPkg, "Raw").Values(jen.Dict{jen.Id("Key"): jen.Id("row").Dot("Key"), jen.Id("Value"): jen.Id("row").Dot("Value")}),
		),
		ret(jen.Id("out"), jen.Nil()),
	)
	f.Func().Params(recv.Clone()).Id("Swap").Params(ctx.Clone(), jen.Id("collection").String(), jen.Id("keys").Index().String(), jen.List(jen.Id("olds"), jen.Id("news")).Index().Index().Byte()).Params(jen.Int(), jen.Error()).Block(
		jen.List(jen.Id("n"), jen.Err()).Op(":=").Add(q("Swap", db("SwapParams").Values(jen.Dict{
			jen.Id("Collection"): jen.Id("collection"), jen.Id("Keys"): jen.Id("keys"),
			jen.Id("Olds"): jen.Qual(pgkvPkg, "Texts").Call(jen.Id("olds")), jen.Id("News"): jen.Qual(pgkvPkg, "Texts").Call(jen.Id("news")),
		}))),
		ret(jen.Int().Call(jen.Id("n")), jen.Err()),
	)
	conditionalWrites(f, db, oneRow)
	atomicBackend(f, db)
	return f
}

// conditionalWrites renders the backend's conditional writes: one query
// each, whose WHERE clause makes the comparison and the write one step.
func conditionalWrites(f *jen.File, db func(string) *jen.Statement, oneRow func(string)) {
	ctx := jen.Id("ctx").Qual("context", "Context")
	recv := jen.Id("b").Op("*").Id("backend")
	where := jen.List(jen.Id("collection"), jen.Id("key")).String()
	newValue := []jen.Code{jen.Id("value").Index().Byte(), jen.Id("ttl").Op("*").Float64()}
	old := jen.Id("old").Qual(kvPkg, "Raw")
	// method renders a write whose query counts the rows it wrote.
	method := func(name string, params []jen.Code, fields jen.Dict) {
		fields[jen.Id("Collection")] = jen.Id("collection")
		fields[jen.Id("Key")] = jen.Id("key")
		f.Func().Params(recv.Clone()).Id(name).Params(append([]jen.Code{ctx.Clone(), where.Clone()}, params...)...).Params(jen.Bool(), jen.Error()).Block(
			jen.List(jen.Id("n"), jen.Err()).Op(":=").Id("b").Dot("q").Dot(name).Call(jen.Id("ctx"), db(name+"Params").Values(fields)),
			jen.Return(jen.Id("n").Op(">").Lit(0), jen.Err()),
		)
	}
	written := func() jen.Dict {
		return jen.Dict{jen.Id("Value"): jen.Qual(pgkvPkg, "Text").Call(jen.Id("value")), jen.Id("Ttl"): jen.Id("ttl")}
	}
	compared := func(d jen.Dict) jen.Dict {
		d[jen.Id("OldValue")] = jen.Qual(pgkvPkg, "Text").Call(jen.Id("old").Dot("Value"))
		d[jen.Id("OldExpiresAt")] = jen.Qual(pgkvPkg, "Expiry").Call(jen.Id("old").Dot("ExpiresAt"))
		return d
	}
	method("Insert", newValue, written())
	method("CompareAndSwap", append([]jen.Code{old.Clone()}, newValue...), compared(written()))
	method("Replace", newValue, written())
	method("CompareAndDelete", []jen.Code{old.Clone()}, compared(jen.Dict{}))
	oneRow("GetAndDelete")
}

// atomicBackend renders txBackend, the backend that New uses when its
// connection can begin a transaction, so that a PutMany of more than
// kv.PutManyChunk keys is several bounded statements that commit together.
func atomicBackend(f *jen.File, db func(string) *jen.Statement) {
	const pgx = "github.com/jackc/pgx/v5"
	f.Comment("beginner is a db.DBTX that can begin a transaction: a pgxpool.Pool, a *pgx.Conn,")
	f.Comment("or a pgx.Tx, where it begins a savepoint.")
	f.Type().Id("beginner").Interface(
		db("DBTX"),
		jen.Id("Begin").Params(jen.Qual("context", "Context")).Params(jen.Qual(pgx, "Tx"), jen.Error()),
	)
	f.Comment("txBackend is the backend over a connection that can begin a transaction: a PutMany")
	f.Comment("of more than kv.PutManyChunk keys writes its chunks in one (kv.AtomicBackend).")
	f.Type().Id("txBackend").Struct(
		jen.Op("*").Id("backend"),
		jen.Id("conn").Id("beginner"),
	)
	f.Var().Id("_").Qual(kvPkg, "AtomicBackend").Op("=").Parens(jen.Op("*").Id("txBackend")).Parens(jen.Nil())
	f.Comment("Atomic calls fn with a backend over one transaction of b.conn: committed when fn")
	f.Comment("returns nil, rolled back otherwise, and run again when the database aborts it for serialization (pgkv.Atomic).")
	f.Func().Params(jen.Id("b").Op("*").Id("txBackend")).Id("Atomic").Params(
		jen.Id("ctx").Qual("context", "Context"), jen.Id("fn").Func().Params(jen.Qual(kvPkg, "Backend")).Error(),
	).Error().Block(
		jen.Return(jen.Qual(pgkvPkg, "Atomic").Call(jen.Id("ctx"), jen.Id("b").Dot("conn"), jen.Func().Params(jen.Id("tx").Qual(pgkvPkg, "DBTX")).Error().Block(
			jen.Return(jen.Id("fn").Call(jen.Op("&").Id("backend").Values(jen.Dict{jen.Id("q"): db("New").Call(jen.Id("tx"))}))),
		))),
	)
}
