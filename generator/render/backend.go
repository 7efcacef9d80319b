package render

import (
	"cmp"
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/kvgen/kvgen/generator/schema"
)

// backendFile renders backend.go: the kv.Backend over the sqlc queries of
// package db, a method per query, each one round trip. The methods follow
// the queries file, and pass each query the parameters it spells there;
// kvimpl turns rows and counts into what kv.Backend returns.
func backendFile(m *schema.Model) (*jen.File, error) {
	text, err := Queries(m)
	if err != nil {
		return nil, err
	}
	f := newFile(m.Package)
	f.Add(backendType(m))
	f.Add(newBackendFunc(m))
	if err := pgBackend(m).addMethods(f, m, text); err != nil {
		return nil, err
	}
	return f, nil
}

func backendType(m *schema.Model) jen.Code {
	return commentf("%s is the kv.Backend of the sqlc queries of package db.", schema.BackendType).Line().
		Type().Id(schema.BackendType).Struct(jen.Id("q").Op("*").Qual(m.DBImport, "Queries")).Line().Line().
		Add(isBackend(schema.BackendType))
}

// isBackend asserts that the generated type typ is a kv.Backend, so that a
// method that drifts from the interface fails to compile at the type, not
// where a store is built over it. kvimpl makes either engine's backend a
// kv.AtomicBackend; the generated types are the plain ones.
func isBackend(typ string) jen.Code {
	return jen.Var().Id("_").Qual(kvPkg, "Backend").Op("=").Parens(jen.Op("*").Id(typ)).Parens(jen.Nil())
}

// newBackendFunc is what New gives kvimpl.Backend: the backend over a
// connection, or over one transaction of it.
func newBackendFunc(m *schema.Model) jen.Code {
	return commentf("%s returns the backend over conn, for kvimpl.Backend.", schema.NewBackendFunc).Line().
		Func().Id(schema.NewBackendFunc).Params(jen.Id("conn").Qual(kvimplPkg, "DBTX")).Qual(kvPkg, "Backend").Block(
		jen.Return(jen.Op("&").Id(schema.BackendType).Values(jen.Dict{jen.Id("q"): jen.Qual(m.DBImport, "New").Call(jen.Id("conn"))})),
	)
}

// sqlcBackend is the kv.Backend of one engine's sqlc queries, as the
// generated file spells it: backend.go's over package db, or sqlite.go's
// over package sqlitedb. Both have a method per query of their queries
// file, in its order, then Find over the finder queries.
type sqlcBackend struct {
	typ     string                           // the Go type
	db      string                           // import path of sqlc's package of the queries
	queries func(q sqlcQuery) *jen.Statement // the *Queries that runs q
	args    map[string]func() jen.Code       // queryArgs, or the engine's
	results map[string]string                // kvimpl's function of a query's result, where not the method's
	entries string                           // kvimpl's function of a finder's rows
}

// pgBackend is the backend of backend.go: every query on b.q.
func pgBackend(m *schema.Model) sqlcBackend {
	return sqlcBackend{
		typ:     schema.BackendType,
		db:      m.DBImport,
		queries: func(sqlcQuery) *jen.Statement { return jen.Id("b").Dot("q") },
		args:    queryArgs,
		entries: "Entries",
	}
}

// addMethods adds to f the methods of the queries of a queries file.
func (sb sqlcBackend) addMethods(f *jen.File, m *schema.Model, text []byte) error {
	finders := map[string]sqlcQuery{}
	for _, q := range readQueries(text) {
		if isFinder(m, q.Name) {
			finders[q.Name] = q
			continue
		}
		bm, ok := backendMethods[q.Name]
		if !ok {
			return fmt.Errorf("render: the query %s is no method of kv.Backend", q.Name)
		}
		method, err := sb.method(bm, q)
		if err != nil {
			return err
		}
		f.Add(method)
	}
	find, err := sb.find(m, finders)
	if err != nil {
		return err
	}
	f.Add(find)
	return nil
}

// isFinder reports whether query is the finder of an indexed field.
func isFinder(m *schema.Model, query string) bool {
	for _, f := range m.Finders {
		if f.Method == query {
			return true
		}
	}
	return false
}

// backendMethod is a method of kv.Backend, by the name of its query: its
// parameters after ctx, its results, and the kvimpl function that makes
// them of the query's ("" when they are the query's own).
type backendMethod struct {
	params  []jen.Code
	results []jen.Code
	result  string
}

// The parameters and results of kv.Backend's methods. Only read: a
// jen.Statement's methods append to it.
var (
	keyParams  = []jen.Code{jen.List(jen.Id("collection"), jen.Id("key")).String()}
	keysParams = []jen.Code{jen.Id("collection").String(), jen.Id("keys").Index().String()}
	pageParams = []jen.Code{jen.List(jen.Id("collection"), jen.Id("after")).String(), jen.Id("limit").Int()}
	newValue   = []jen.Code{jen.Id("value").Index().Byte(), jen.Id("ttl").Op("*").Float64()}
	oldRaw     = jen.Id("old").Qual(kvPkg, "Raw")

	rawFound = []jen.Code{jen.Qual(kvPkg, "Raw"), jen.Bool(), jen.Error()}
	raws     = []jen.Code{jen.Index().Qual(kvPkg, "Raw"), jen.Error()}
	texts    = []jen.Code{jen.Index().String(), jen.Error()}
	errOnly  = []jen.Code{jen.Error()}
)

// backendMethods are the methods of kv.Backend but Find, by query.
var backendMethods = map[string]backendMethod{
	"Get":     {params: keyParams, results: rawFound, result: "Found"},
	"GetMany": {params: keysParams, results: raws, result: "Entries"},
	"Put":     {params: append(keyParams, newValue...), results: errOnly},
	"PutMany": {
		params:  []jen.Code{jen.Id("collection").String(), jen.Id("keys").Index().String(), jen.Id("values").Index().Index().Byte(), jen.Id("ttl").Op("*").Float64()},
		results: errOnly,
	},
	"Delete":           {params: keyParams, results: boolErr, result: "Wrote"},
	"DeleteMany":       {params: keysParams, results: intErr, result: "Count"},
	"Insert":           {params: append(keyParams, newValue...), results: boolErr, result: "Wrote"},
	"CompareAndSwap":   {params: append(append(keyParams, oldRaw), newValue...), results: boolErr, result: "Wrote"},
	"Replace":          {params: append(keyParams, newValue...), results: boolErr, result: "Wrote"},
	"CompareAndDelete": {params: append(keyParams, oldRaw), results: boolErr, result: "Wrote"},
	"GetAndDelete":     {params: keyParams, results: rawFound, result: "Found"},
	"Keys":             {params: pageParams, results: texts},
	"List":             {params: pageParams, results: raws, result: "Entries"},
	"Collections":      {results: texts},
	"DeleteCollection": {params: []jen.Code{jen.Id("collection").String()}, results: intErr, result: "Count"},
	"Cull":             {results: intErr, result: "Count"},
	"Scan":             {params: pageParams, results: raws, result: "Stored"},
	"Swap": {
		params:  []jen.Code{jen.Id("collection").String(), jen.Id("keys").Index().String(), jen.List(jen.Id("olds"), jen.Id("news")).Index().Index().Byte()},
		results: intErr, result: "Count",
	},
}

// queryArgs are the Go expressions that pass kv.Backend's arguments as the
// queries' parameters, by the parameters' SQL names.
var queryArgs = map[string]func() jen.Code{
	"collection":     func() jen.Code { return jen.Id("collection") },
	"key":            func() jen.Code { return jen.Id("key") },
	"keys":           func() jen.Code { return jen.Id("keys") },
	"after":          func() jen.Code { return jen.Id("after") },
	"ttl":            func() jen.Code { return jen.Id("ttl") },
	"value":          func() jen.Code { return jen.Qual(kvimplPkg, "Text").Call(jen.Id("value")) },
	"vals":           func() jen.Code { return jen.Qual(kvimplPkg, "Texts").Call(jen.Id("values")) },
	"olds":           func() jen.Code { return jen.Qual(kvimplPkg, "Texts").Call(jen.Id("olds")) },
	"news":           func() jen.Code { return jen.Qual(kvimplPkg, "Texts").Call(jen.Id("news")) },
	"lim":            func() jen.Code { return jen.Qual(kvimplPkg, "Limit").Call(jen.Id("limit")) },
	"old_value":      func() jen.Code { return jen.Qual(kvimplPkg, "Text").Call(jen.Id("old").Dot("Value")) },
	"old_expires_at": func() jen.Code { return jen.Qual(kvimplPkg, "Expiry").Call(jen.Id("old").Dot("ExpiresAt")) },
}

// method renders the method of query q.
func (sb sqlcBackend) method(bm backendMethod, q sqlcQuery) (jen.Code, error) {
	call, err := sb.call(q, sb.args)
	if err != nil {
		return nil, err
	}
	var body []jen.Code
	switch result := cmp.Or(sb.results[q.Name], bm.result); result {
	case "":
		body = []jen.Code{jen.Return(call)}
	case "Found", "SQLiteFound", "SQLiteTaken": // the row has no key: the method's
		body = []jen.Code{
			jen.List(jen.Id("row"), jen.Err()).Op(":=").Add(call),
			jen.Return(jen.Qual(kvimplPkg, result).Call(jen.Id("key"), jen.Id("row"), jen.Err())),
		}
	case "SQLiteSwap": // a statement per key, which kvimpl runs for each
		perKey := jen.Func().Params(jen.List(jen.Id("key"), jen.Id("old"), jen.Id("value")).String()).
			Params(jen.Int64(), jen.Error()).Block(jen.Return(call))
		body = []jen.Code{jen.Return(jen.Qual(kvimplPkg, result).Call(jen.Id("keys"), jen.Id("olds"), jen.Id("news"), perKey))}
	default:
		body = []jen.Code{jen.Return(jen.Qual(kvimplPkg, result).Call(call))}
	}
	params := append([]jen.Code{ctxParam}, bm.params...)
	return sb.receiver().Id(q.Name).Params(params...).Params(bm.results...).Block(body...), nil
}

// receiver starts a method of the backend.
func (sb sqlcBackend) receiver() *jen.Statement {
	return jen.Func().Params(jen.Id("b").Op("*").Id(sb.typ))
}

// call calls query q with its parameters, as sqlc's method takes them:
// none, the one, or more in the query's Params type.
func (sb sqlcBackend) call(q sqlcQuery, args map[string]func() jen.Code) (*jen.Statement, error) {
	values := make([]jen.Code, len(q.Params))
	for i, p := range q.Params {
		arg, ok := args[p]
		if !ok {
			return nil, fmt.Errorf("render: the parameter %s of query %s has no argument of kv.Backend's %s", p, q.Name, q.Name)
		}
		values[i] = arg()
	}
	call := sb.queries(q).Dot(q.Name)
	switch len(values) {
	case 0:
		return call.Call(jen.Id("ctx")), nil
	case 1:
		return call.Call(jen.Id("ctx"), values[0]), nil
	}
	return call.Call(jen.Id("ctx"), jen.Qual(sb.db, schema.SQLCParams(q.Name)).Add(fieldValues(q.Params, values))), nil
}

// fieldValues is the composite literal of sqlc's parameter type: its fields
// in the query's order, on one line, or, past three, one per line.
func fieldValues(params []string, values []jen.Code) jen.Code {
	fields := make([]keyed, len(params))
	for i, p := range params {
		fields[i] = keyed{schema.SQLCName(p), values[i]}
	}
	if len(fields) > 3 {
		return literal(fields...)
	}
	items := make([]jen.Code, len(fields))
	for i, f := range fields {
		items[i] = jen.Id(f.name).Op(":").Add(f.value)
	}
	return jen.Values(items...)
}

// find renders Find: the finder query of the field, by its JSON name, or
// an error for a field without one.
func (sb sqlcBackend) find(m *schema.Model, finders map[string]sqlcQuery) (jen.Code, error) {
	args := map[string]func() jen.Code{
		"collection":       func() jen.Code { return jen.Id("collection") },
		schema.FinderParam: func() jen.Code { return jen.Id("value") },
	}
	noIndex := jen.Return(jen.Nil(), jen.Qual(kvimplPkg, "NoIndex").Call(jen.Lit(m.Package), jen.Id("field")))
	body := []jen.Code{noIndex}
	if len(m.Finders) > 0 {
		var cases []jen.Code
		for _, f := range m.Finders {
			q, ok := finders[f.Method]
			if !ok {
				return nil, fmt.Errorf("render: the queries of record %s lack %s", m.Record, f.Method)
			}
			call, err := sb.call(q, args)
			if err != nil {
				return nil, err
			}
			cases = append(cases, jen.Case(jen.Lit(f.Field.JSONName)).Block(jen.Return(jen.Qual(kvimplPkg, sb.entries).Call(call))))
		}
		body = []jen.Code{jen.Switch(jen.Id("field")).Block(cases...), noIndex}
	}
	return sb.receiver().Id("Find").
		Params(ctxParam, jen.List(jen.Id("collection"), jen.Id("field"), jen.Id("value")).String()).Params(raws...).Block(body...), nil
}
