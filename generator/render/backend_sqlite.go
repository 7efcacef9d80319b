package render

import (
	"github.com/dave/jennifer/jen"

	"github.com/kvgen/kvgen/generator/schema"
)

const (
	sqlitekvPkg = "github.com/kvgen/kvgen/kv/sqlitekv"
	sqlPkg      = "database/sql"
)

// sqliteFile renders sqlite.go of a record whose schema names engine
// sqlite: the SQLite DDL (ddl), NewSQLite and the kv.Backend over sqlc's
// database/sql queries in package sqlitedb. It reads, top to bottom, like
// its output: the declarations, the reads, the writes, the conditional
// writes, the transaction.
func sqliteFile(m *schema.Model, ddl []byte) *jen.File {
	r := sqliteRenderer{f: newFile(m.Package), s: m.Schema, m: m, db: m.SQLiteDBImport}
	r.f.ImportName(r.db, "sqlitedb")
	r.f.ImportName(sqlitekvPkg, "sqlitekv")
	r.declarations(string(ddl))
	r.reads()
	r.finders()
	r.writes()
	r.conditionalWrites()
	r.atomic()
	return r.f
}

// sqliteRenderer holds what every piece of sqlite.go needs.
type sqliteRenderer struct {
	f  *jen.File
	s  *schema.Schema
	m  *schema.Model
	db string // import path of package sqlitedb
}

// q names a declaration of package sqlitedb.
func (r sqliteRenderer) q(name string) *jen.Statement { return jen.Qual(r.db, name) }

// method starts a method of *sqliteBackend, after a blank line.
func (r sqliteRenderer) method(name string, params ...jen.Code) *jen.Statement {
	r.f.Line()
	return r.f.Func().Params(jen.Id("b").Op("*").Id("sqliteBackend")).Id(name).Params(params...)
}

// call is b.<conn>.<query>(ctx, args...): conn is r for reads, w for writes.
func call(conn, query string, args ...jen.Code) *jen.Statement {
	return jen.Id("b").Dot(conn).Dot(query).Call(append([]jen.Code{jen.Id("ctx")}, args...)...)
}

// params is a sqlitedb.<query>Params literal.
func (r sqliteRenderer) params(query string, fields jen.Dict) *jen.Statement {
	return r.q(query + "Params").Values(fields)
}

// keyDict is the fields of a query over one key.
func keyDict(extra jen.Dict) jen.Dict {
	extra[jen.Id("Collection")] = jen.Id("collection")
	extra[jen.Id("Key")] = jen.Id("key")
	return extra
}

func errReturn(zero ...jen.Code) jen.Code {
	return jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(append(zero, jen.Err())...))
}

// declarations renders SQLiteDDL, NewSQLite, CreateSQLiteTable,
// CheckSQLiteTable and the backend type.
func (r sqliteRenderer) declarations(ddl string) {
	f, s := r.f, r.s
	db := jen.Id("db").Op("*").Qual(sqlitekvPkg, "DB")
	f.Add(commentf("%s creates the %s table and its indexes in SQLite, for every record stored", schema.SQLiteDDLConst, s.Table))
	f.Comment("in it. It is idempotent.")
	f.Const().Id(schema.SQLiteDDLConst).Op("=").Add(rawString(ddl))
	f.Line()
	f.Add(commentf("%s returns a store over a SQLite database that sqlitekv.Open opened. The table", schema.NewSQLiteFunc))
	f.Add(commentf("must exist: run %s or apply %s. Reads run on the database's read-only", schema.CreateSQLiteTableFunc, schema.SQLiteDDLConst))
	f.Comment("connections; writes take turns on its one writing connection. A PutMany is one")
	f.Comment("statement, or above kv.PutManyChunk records one transaction of several.")
	f.Func().Id(schema.NewSQLiteFunc).Params(db.Clone(), jen.Id("opts").Id(schema.OptionsType)).Params(jen.Op("*").Id(schema.StoreType), jen.Error()).Block(
		jen.Return(jen.Id(schema.NewWithBackendFunc).Call(jen.Op("&").Id("sqliteBackend").Values(jen.Dict{
			jen.Id("db"): jen.Id("db"),
			jen.Id("r"):  r.q("New").Call(jen.Id("db").Dot("Reader").Call()),
			jen.Id("w"):  r.q("New").Call(jen.Id("db").Dot("Writer").Call()),
		}), jen.Id("opts"))),
	)
	f.Line()
	f.Add(commentf("%s applies %s. Processes may run it at once: they take turns.", schema.CreateSQLiteTableFunc, schema.SQLiteDDLConst))
	f.Func().Id(schema.CreateSQLiteTableFunc).Params(ctxParam, db.Clone()).Error().Block(
		jen.Return(jen.Id("db").Dot("CreateTable").Call(jen.Id("ctx"), jen.Id(schema.SQLiteDDLConst))),
	)
	f.Line()
	f.Add(commentf("%s reports, with an error that says what to do, when the %s table is", schema.CheckSQLiteTableFunc, s.Table))
	f.Comment("missing or lacks a column the store uses: call it at start-up to fail there.")
	f.Func().Id(schema.CheckSQLiteTableFunc).Params(ctxParam, db.Clone()).Error().Block(
		jen.Return(jen.Id("db").Dot("CheckTable").Call(jen.Id("ctx"), jen.Lit(s.Package), jen.Lit(s.Table))),
	)
	f.Line()
	f.Comment("sqliteBackend is the SQLite kv.Backend of the sqlc queries in package sqlitedb:")
	f.Comment("reads on r, the read-only connections, and writes on w, the writing one; in a")
	f.Comment("transaction (Atomic) both are the transaction's, and db is nil.")
	f.Type().Id("sqliteBackend").Struct(
		jen.Id("db").Op("*").Qual(sqlitekvPkg, "DB"),
		jen.List(jen.Id("r"), jen.Id("w")).Op("*").Add(r.q("Queries")),
	)
	f.Line()
	f.Var().Id("_").Qual(kvPkg, "AtomicBackend").Op("=").Parens(jen.Op("*").Id("sqliteBackend")).Parens(jen.Nil())
}

// rowsToRaw renders the loop that turns rows of Key, Value, ExpiresAt and
// Now into kv.Raw.
func rowsToRaw() []jen.Code {
	return []jen.Code{
		jen.Id("out").Op(":=").Make(jen.Index().Qual(kvPkg, "Raw"), jen.Len(jen.Id("rows"))),
		jen.For(jen.List(jen.Id("i"), jen.Id("row")).Op(":=").Range().Id("rows")).Block(
			jen.Id("out").Index(jen.Id("i")).Op("=").Qual(sqlitekvPkg, "Raw").Call(jen.Id("row").Dot("Key"), jen.Id("row").Dot("Value"), jen.Id("row").Dot("ExpiresAt"), jen.Id("row").Dot("Now")),
		),
		jen.Return(jen.Id("out"), jen.Nil()),
	}
}

// manyRaws renders a method body that runs a query of many rows and
// returns them as kv.Raw.
func manyRaws(query jen.Code) []jen.Code {
	return append([]jen.Code{
		jen.List(jen.Id("rows"), jen.Err()).Op(":=").Add(query),
		errReturn(jen.Nil()),
	}, rowsToRaw()...)
}

// reads renders the methods that only read, on b.r.
func (r sqliteRenderer) reads() {
	raw, raws := jen.Qual(kvPkg, "Raw"), jen.Index().Qual(kvPkg, "Raw")
	where := jen.List(jen.Id("collection"), jen.Id("key")).String()
	r.method("Get", ctxParam, where).Params(raw.Clone(), jen.Bool(), jen.Error()).Block(
		jen.List(jen.Id("row"), jen.Err()).Op(":=").Add(call("r", "Get", r.params("Get", keyDict(jen.Dict{})))),
		jen.If(jen.Qual("errors", "Is").Call(jen.Err(), jen.Qual(sqlPkg, "ErrNoRows"))).Block(jen.Return(raw.Clone().Values(), jen.False(), jen.Nil())),
		errReturn(raw.Clone().Values(), jen.False()),
		jen.Return(jen.Qual(sqlitekvPkg, "Raw").Call(jen.Id("key"), jen.Id("row").Dot("Value"), jen.Id("row").Dot("ExpiresAt"), jen.Id("row").Dot("Now")), jen.True(), jen.Nil()),
	)
	r.method("GetMany", ctxParam, jen.Id("collection").String(), jen.Id("keys").Index().String()).Params(raws.Clone(), jen.Error()).Block(
		manyRaws(call("r", "GetMany", r.params("GetMany", jen.Dict{
			jen.Id("Collection"): jen.Id("collection"),
			jen.Id("Keys"):       jen.Qual(sqlitekvPkg, "Array").Call(jen.Id("keys")),
		})))...,
	)
	page := func(query string) *jen.Statement {
		return call("r", query, r.params(query, jen.Dict{
			jen.Id("Collection"): jen.Id("collection"),
			jen.Id("After"):      jen.Id("after"),
			jen.Id("Lim"):        jen.Qual(sqlitekvPkg, "Limit").Call(jen.Id("limit")),
		}))
	}
	pageArgs := []jen.Code{ctxParam, jen.List(jen.Id("collection"), jen.Id("after")).String(), jen.Id("limit").Int()}
	r.method("Keys", pageArgs...).Params(jen.Index().String(), jen.Error()).Block(jen.Return(page("Keys")))
	r.method("List", pageArgs...).Params(raws.Clone(), jen.Error()).Block(manyRaws(page("List"))...)
	r.method("Collections", ctxParam).Params(jen.Index().String(), jen.Error()).Block(
		jen.Return(call("r", "Collections")),
	)
	r.method("Scan", pageArgs...).Params(raws.Clone(), jen.Error()).Block(
		jen.List(jen.Id("rows"), jen.Err()).Op(":=").Add(page("Scan")),
		errReturn(jen.Nil()),
		jen.Id("out").Op(":=").Make(raws.Clone(), jen.Len(jen.Id("rows"))),
		jen.For(jen.List(jen.Id("i"), jen.Id("row")).Op(":=").Range().Id("rows")).Block(
			jen.Id("out").Index(jen.Id("i")).Op("=").Add(raw.Clone()).Values(jen.Dict{
				jen.Id("Key"):   jen.Id("row").Dot("Key"),
				jen.Id("Value"): jen.Index().Byte().Call(jen.Id("row").Dot("Value")),
			}),
		),
		jen.Return(jen.Id("out"), jen.Nil()),
	)
}

// finders renders Find: one query per indexed field.
func (r sqliteRenderer) finders() {
	var cases []jen.Code
	for _, fl := range r.m.Finders {
		cases = append(cases, jen.Case(jen.Lit(fl.Field.JSONName)).Block(
			manyRaws(call("r", fl.Method, r.params(fl.Method, jen.Dict{
				jen.Id("Collection"):                        jen.Id("collection"),
				jen.Id(schema.SQLCName(schema.FinderParam)): jen.Id("value"),
			})))...,
		))
	}
	cases = append(cases, jen.Default().Block(
		jen.Return(jen.Nil(), jen.Qual("fmt", "Errorf").Call(jen.Lit(r.s.Package+": no index on field %q: mark it indexed in the schema"), jen.Id("field"))),
	))
	r.method("Find", ctxParam, jen.List(jen.Id("collection"), jen.Id("field"), jen.Id("value")).String()).Params(jen.Index().Qual(kvPkg, "Raw"), jen.Error()).Block(
		jen.Switch(jen.Id("field")).Block(cases...),
	)
}

// writes renders the unconditional writes, on b.w.
func (r sqliteRenderer) writes() {
	where := jen.List(jen.Id("collection"), jen.Id("key")).String()
	newValue := []jen.Code{jen.Id("value").Index().Byte(), jen.Id("ttl").Op("*").Float64()}
	written := func() jen.Dict {
		return jen.Dict{jen.Id("Value"): jen.Qual(sqlitekvPkg, "Text").Call(jen.Id("value")), jen.Id("Ttl"): jen.Id("ttl")}
	}
	r.method("Put", append([]jen.Code{ctxParam, where.Clone()}, newValue...)...).Error().Block(
		jen.Return(call("w", "Put", r.params("Put", keyDict(written())))),
	)
	r.method("PutMany", ctxParam, jen.Id("collection").String(), jen.Id("keys").Index().String(), jen.Id("values").Index().Index().Byte(), jen.Id("ttl").Op("*").Float64()).Error().Block(
		jen.Return(call("w", "PutMany", r.params("PutMany", jen.Dict{
			jen.Id("Collection"): jen.Id("collection"),
			jen.Id("Pairs"):      jen.Qual(sqlitekvPkg, "Pairs").Call(jen.Id("keys"), jen.Id("values")),
			jen.Id("Ttl"):        jen.Id("ttl"),
		}))),
	)
	// The deletes return 1 for each row that was unexpired.
	counted := func(query jen.Code, result func(count jen.Code) jen.Code) []jen.Code {
		return []jen.Code{
			jen.List(jen.Id("alive"), jen.Err()).Op(":=").Add(query),
			jen.Return(result(jen.Qual(sqlitekvPkg, "Count").Call(jen.Id("alive"))), jen.Err()),
		}
	}
	r.method("Delete", ctxParam, where.Clone()).Params(jen.Bool(), jen.Error()).Block(
		counted(call("w", "Delete", r.params("Delete", keyDict(jen.Dict{}))), func(n jen.Code) jen.Code { return jen.Add(n).Op(">").Lit(0) })...,
	)
	asIs := func(n jen.Code) jen.Code { return n }
	r.method("DeleteMany", ctxParam, jen.Id("collection").String(), jen.Id("keys").Index().String()).Params(jen.Int(), jen.Error()).Block(
		counted(call("w", "DeleteMany", r.params("DeleteMany", jen.Dict{
			jen.Id("Collection"): jen.Id("collection"),
			jen.Id("Keys"):       jen.Qual(sqlitekvPkg, "Array").Call(jen.Id("keys")),
		})), asIs)...,
	)
	r.method("DeleteCollection", ctxParam, jen.Id("collection").String()).Params(jen.Int(), jen.Error()).Block(
		counted(call("w", "DeleteCollection", jen.Id("collection")), asIs)...,
	)
	r.method("Cull", ctxParam).Params(jen.Int(), jen.Error()).Block(
		jen.List(jen.Id("n"), jen.Err()).Op(":=").Add(call("w", "Cull")),
		jen.Return(jen.Int().Call(jen.Id("n")), jen.Err()),
	)
	r.swap()
}

// swap renders Swap: one statement per key, in one transaction.
func (r sqliteRenderer) swap() {
	r.method("Swap", ctxParam, jen.Id("collection").String(), jen.Id("keys").Index().String(), jen.List(jen.Id("olds"), jen.Id("news")).Index().Index().Byte()).Params(jen.Int(), jen.Error()).Block(
		jen.Id("n").Op(":=").Lit(0),
		jen.Err().Op(":=").Id("b").Dot("transaction").Call(jen.Id("ctx"), jen.Func().Params(jen.Id("q").Op("*").Add(r.q("Queries"))).Error().Block(
			jen.Id("n").Op("=").Lit(0),
			jen.For(jen.List(jen.Id("i"), jen.Id("key")).Op(":=").Range().Id("keys")).Block(
				jen.List(jen.Id("swapped"), jen.Err()).Op(":=").Id("q").Dot("Swap").Call(jen.Id("ctx"), r.params("Swap", keyDict(jen.Dict{
					jen.Id("Old"): jen.Qual(sqlitekvPkg, "Text").Call(jen.Id("olds").Index(jen.Id("i"))),
					jen.Id("New"): jen.Qual(sqlitekvPkg, "Text").Call(jen.Id("news").Index(jen.Id("i"))),
				}))),
				errReturn(),
				jen.Id("n").Op("+=").Int().Call(jen.Id("swapped")),
			),
			jen.Return(jen.Nil()),
		)),
		jen.Return(jen.Id("n"), jen.Err()),
	)
}

// conditionalWrites renders the conditional writes: one statement each,
// whose WHERE clause makes the comparison and the write one step.
func (r sqliteRenderer) conditionalWrites() {
	where := jen.List(jen.Id("collection"), jen.Id("key")).String()
	newValue := []jen.Code{jen.Id("value").Index().Byte(), jen.Id("ttl").Op("*").Float64()}
	old := jen.Id("old").Qual(kvPkg, "Raw")
	written := func() jen.Dict {
		return jen.Dict{jen.Id("Value"): jen.Qual(sqlitekvPkg, "Text").Call(jen.Id("value")), jen.Id("Ttl"): jen.Id("ttl")}
	}
	compared := func(d jen.Dict) jen.Dict {
		d[jen.Id("OldValue")] = jen.Qual(sqlitekvPkg, "Text").Call(jen.Id("old").Dot("Value"))
		d[jen.Id("OldExpiresAt")] = jen.Qual(sqlitekvPkg, "Expiry").Call(jen.Id("old").Dot("ExpiresAt"))
		return d
	}
	wrote := func(name string, params []jen.Code, fields jen.Dict) {
		r.method(name, append([]jen.Code{ctxParam, where.Clone()}, params...)...).Params(jen.Bool(), jen.Error()).Block(
			jen.List(jen.Id("n"), jen.Err()).Op(":=").Add(call("w", name, r.params(name, keyDict(fields)))),
			jen.Return(jen.Id("n").Op(">").Lit(0), jen.Err()),
		)
	}
	wrote("Insert", newValue, written())
	wrote("CompareAndSwap", append([]jen.Code{old.Clone()}, newValue...), compared(written()))
	wrote("Replace", newValue, written())
	wrote("CompareAndDelete", []jen.Code{old.Clone()}, compared(jen.Dict{}))
	raw := jen.Qual(kvPkg, "Raw")
	r.method("GetAndDelete", ctxParam, where.Clone()).Params(raw.Clone(), jen.Bool(), jen.Error()).Block(
		jen.List(jen.Id("row"), jen.Err()).Op(":=").Add(call("w", "GetAndDelete", r.params("GetAndDelete", keyDict(jen.Dict{})))),
		jen.If(jen.Qual("errors", "Is").Call(jen.Err(), jen.Qual(sqlPkg, "ErrNoRows"))).Block(jen.Return(raw.Clone().Values(), jen.False(), jen.Nil())),
		errReturn(raw.Clone().Values(), jen.False()),
		jen.Comment("sqlc's SQLite engine names RETURNING columns by position: Column3 is the database's now."),
		jen.Id("now").Op(":=").Id("row").Dot(getAndDeleteNow),
		jen.Comment("An expired row is deleted all the same, and reads as none."),
		jen.If(jen.Op("!").Qual(sqlitekvPkg, "Unexpired").Call(jen.Id("row").Dot("ExpiresAt"), jen.Id("now"))).Block(jen.Return(raw.Clone().Values(), jen.False(), jen.Nil())),
		jen.Return(jen.Qual(sqlitekvPkg, "Raw").Call(jen.Id("key"), jen.Id("row").Dot("Value"), jen.Id("row").Dot("ExpiresAt"), jen.Id("now")), jen.True(), jen.Nil()),
	)
}

// getAndDeleteNow is the field of sqlc's GetAndDeleteRow that holds the
// database's now: its SQLite engine ignores the aliases of a RETURNING
// clause and names the third column Column3.
const getAndDeleteNow = "Column3"

// atomic renders Atomic, which makes the backend a kv.AtomicBackend, and
// transaction, which Atomic and Swap run in.
func (r sqliteRenderer) atomic() {
	queries := jen.Op("*").Add(r.q("Queries"))
	r.f.Line()
	r.f.Comment("Atomic calls fn with a backend over one transaction (see transaction): committed")
	r.f.Comment("when fn returns nil, rolled back otherwise.")
	r.f.Func().Params(jen.Id("b").Op("*").Id("sqliteBackend")).Id("Atomic").Params(ctxParam, jen.Id("fn").Func().Params(jen.Qual(kvPkg, "Backend")).Error()).Error().Block(
		jen.Return(jen.Id("b").Dot("transaction").Call(jen.Id("ctx"), jen.Func().Params(jen.Id("q").Add(queries.Clone())).Error().Block(
			jen.Return(jen.Id("fn").Call(jen.Op("&").Id("sqliteBackend").Values(jen.Dict{jen.Id("r"): jen.Id("q"), jen.Id("w"): jen.Id("q")}))),
		))),
	)
	r.f.Line()
	r.f.Comment("transaction calls fn with the queries of one BEGIN IMMEDIATE transaction of the")
	r.f.Comment("writing connection (sqlitekv.DB.Atomic), or, in a transaction already, of that one.")
	r.f.Func().Params(jen.Id("b").Op("*").Id("sqliteBackend")).Id("transaction").Params(ctxParam, jen.Id("fn").Func().Params(queries.Clone()).Error()).Error().Block(
		jen.If(jen.Id("b").Dot("db").Op("==").Nil()).Block(jen.Return(jen.Id("fn").Call(jen.Id("b").Dot("w")))),
		jen.Return(jen.Id("b").Dot("db").Dot("Atomic").Call(jen.Id("ctx"), jen.Func().Params(jen.Id("tx").Qual(sqlitekvPkg, "DBTX")).Error().Block(
			jen.Return(jen.Id("fn").Call(r.q("New").Call(jen.Id("tx")))),
		))),
	)
}
