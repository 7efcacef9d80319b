package render

import (
	"maps"

	"github.com/dave/jennifer/jen"

	"github.com/kvgen/kvgen/generator/schema"
)

const sqlitekvPkg = "github.com/kvgen/kvgen/kv/sqlitekv"

// sqliteFile renders sqlite.go of a record whose schema names engine
// sqlite: the SQLite DDL (ddl), the functions over a sqlitekv.DB, and the
// kv.Backend over sqlc's database/sql queries in package sqlitedb, a method
// per query of the SQLite queries file, as backend.go has one per query of
// PostgreSQL's. kvimpl holds the transaction and the conversions.
func sqliteFile(m *schema.Model, ddl []byte) (*jen.File, error) {
	text, err := SQLiteQueries(m)
	if err != nil {
		return nil, err
	}
	f := newFile(m.Package)
	f.ImportName(m.SQLiteDBImport, "sqlitedb")
	f.ImportName(sqlitekvPkg, "sqlitekv")
	f.Add(sqliteDDLConst(m, ddl))
	f.Add(newSQLiteFunc())
	f.Add(createSQLiteTableFunc())
	f.Add(checkSQLiteTableFunc(m))
	f.Add(sqliteBackendType(m))
	f.Add(newSQLiteBackendFunc(m))
	if err := sqliteBackend(m).addMethods(f, m, text); err != nil {
		return nil, err
	}
	return f, nil
}

func sqliteDDLConst(m *schema.Model, ddl []byte) jen.Code {
	return jen.Comment(docLines(
		schema.SQLiteDDLConst+" creates the "+m.Table+" table and its indexes in SQLite, for every record",
		"stored in it. It is idempotent.",
	)).Line().
		Const().Id(schema.SQLiteDDLConst).Op("=").Add(rawString(string(ddl)))
}

// sqliteDB is the parameter of the functions over a SQLite database.
func sqliteDB() jen.Code { return jen.Id("db").Op("*").Qual(sqlitekvPkg, "DB") }

func newSQLiteFunc() jen.Code {
	return jen.Comment(docLines(
		schema.NewSQLiteFunc+" returns a store over a SQLite database that sqlitekv.Open opened. The",
		"table must exist: run "+schema.CreateSQLiteTableFunc+" or apply "+schema.SQLiteDDLConst+". Reads run on the",
		"database's read-only connections; writes take turns on its one writing connection.",
		"A PutMany is one statement, or above kv.PutManyChunk records one transaction of several.",
	)).Line().
		Func().Id(schema.NewSQLiteFunc).Params(sqliteDB(), jen.Id("opts").Id(schema.OptionsType)).Params(jen.Op("*").Id(schema.StoreType), jen.Error()).Block(
		jen.Return(jen.Id(schema.NewWithBackendFunc).Call(jen.Qual(kvimplPkg, "SQLiteBackend").Call(jen.Id("db"), jen.Id(schema.NewSQLiteBackendFunc)), jen.Id("opts"))),
	)
}

func createSQLiteTableFunc() jen.Code {
	return jen.Comment(docLines(
		schema.CreateSQLiteTableFunc+" applies "+schema.SQLiteDDLConst+". Processes may run it at once: they take turns.",
	)).Line().
		Func().Id(schema.CreateSQLiteTableFunc).Params(ctxParam, sqliteDB()).Error().Block(
		jen.Return(jen.Id("db").Dot("CreateTable").Call(jen.Id("ctx"), jen.Id(schema.SQLiteDDLConst))),
	)
}

func checkSQLiteTableFunc(m *schema.Model) jen.Code {
	return jen.Comment(docLines(
		schema.CheckSQLiteTableFunc+" reports, with an error that says what to do, when the "+m.Table+" table",
		"is missing or lacks a column the store uses: call it at start-up to fail there.",
	)).Line().
		Func().Id(schema.CheckSQLiteTableFunc).Params(ctxParam, sqliteDB()).Error().Block(
		jen.Return(jen.Id("db").Dot("CheckTable").Call(jen.Id("ctx"), jen.Lit(m.Package), jen.Lit(m.Table))),
	)
}

func sqliteBackendType(m *schema.Model) jen.Code {
	return jen.Comment(docLines(
		schema.SQLiteBackendType+" is the kv.Backend of the sqlc queries of package sqlitedb: reads on r,",
		"writes on w. kvimpl.SQLiteBackend runs it, and its transactions.",
	)).Line().
		Type().Id(schema.SQLiteBackendType).Struct(jen.List(jen.Id("r"), jen.Id("w")).Op("*").Qual(m.SQLiteDBImport, "Queries")).Line().Line().
		Add(isBackend(schema.SQLiteBackendType))
}

// newSQLiteBackendFunc is what NewSQLite gives kvimpl.SQLiteBackend: the
// backend over a database's connections, or over one transaction.
func newSQLiteBackendFunc(m *schema.Model) jen.Code {
	queries := func(conn string) jen.Code {
		return jen.Id(conn).Op(":").Qual(m.SQLiteDBImport, "New").Call(jen.Id(conn))
	}
	return commentf("%s returns the backend reading on r and writing on w, for kvimpl.SQLiteBackend.", schema.NewSQLiteBackendFunc).Line().
		Func().Id(schema.NewSQLiteBackendFunc).Params(jen.List(jen.Id("r"), jen.Id("w")).Qual(kvimplPkg, "SQLiteDBTX")).Qual(kvPkg, "Backend").Block(
		jen.Return(jen.Op("&").Id(schema.SQLiteBackendType).Values(queries("r"), queries("w"))),
	)
}

// sqliteBackend is the backend of sqlite.go: reads on b.r, the read-only
// connections, and writes on b.w, the writing one.
func sqliteBackend(m *schema.Model) sqlcBackend {
	return sqlcBackend{
		typ: schema.SQLiteBackendType,
		db:  m.SQLiteDBImport,
		queries: func(q sqlcQuery) *jen.Statement {
			if q.Reads {
				return jen.Id("b").Dot("r")
			}
			return jen.Id("b").Dot("w")
		},
		args:    sqliteArgs,
		results: sqliteResults,
		entries: "SQLiteEntries",
	}
}

// sqliteResults are the kvimpl functions of the results of the SQLite
// queries whose rows differ from PostgreSQL's: database/sql types, deletes
// that return a row per key, and Swap, a statement per key.
var sqliteResults = map[string]string{
	"Get":              "SQLiteFound",
	"GetMany":          "SQLiteEntries",
	"List":             "SQLiteEntries",
	"Scan":             "SQLiteStored",
	"GetAndDelete":     "SQLiteTaken",
	"Delete":           "SQLiteDeleted",
	"DeleteMany":       "SQLiteCount",
	"DeleteCollection": "SQLiteCount",
	"Swap":             "SQLiteSwap",
}

// sqliteArgs are queryArgs for the SQLite queries: many keys are one JSON
// array, PutMany's keys and values one JSON array of pairs, an instant REAL
// seconds, a LIMIT an int64; old and new are what kvimpl.SQLiteSwap passes
// Swap's function per key.
var sqliteArgs = func() map[string]func() jen.Code {
	args := maps.Clone(queryArgs)
	maps.Copy(args, map[string]func() jen.Code{
		"keys":           func() jen.Code { return jen.Qual(kvimplPkg, "SQLiteArray").Call(jen.Id("keys")) },
		"pairs":          func() jen.Code { return jen.Qual(kvimplPkg, "SQLitePairs").Call(jen.Id("keys"), jen.Id("values")) },
		"lim":            func() jen.Code { return jen.Qual(kvimplPkg, "SQLiteLimit").Call(jen.Id("limit")) },
		"old_expires_at": func() jen.Code { return jen.Qual(kvimplPkg, "SQLiteExpiry").Call(jen.Id("old").Dot("ExpiresAt")) },
		"old":            func() jen.Code { return jen.Id("old") },
		"new":            func() jen.Code { return jen.Id("value") },
	})
	return args
}()
