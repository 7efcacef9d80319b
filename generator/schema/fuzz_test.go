package schema_test

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kvgen/kvgen/generator/render"
	"github.com/kvgen/kvgen/generator/schema"
)

// FuzzLoad checks that Load never panics, that it returns either a schema or
// a sorted ErrorList with real positions, and that what it accepts keeps the
// promises the renderers rely on, and renders to a package that parses, with
// exactly the declarations of its schema and no comment that the go command
// could read as a directive.
func FuzzLoad(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("..", "testdata", "golden", "*", "schema", "*.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	seeds = append(seeds, filepath.Join("..", "..", "schema", "oauth_clients.yaml"))
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := schema.Load("fuzz.yaml", data)
		if err == nil {
			if s == nil {
				t.Fatal("Load returned neither a schema nor an error")
			}
			schema.CheckSchema(t, s)
			checkRendered(t, s)
			return
		}
		if s != nil {
			t.Fatal("Load returned both a schema and an error")
		}
		var list schema.ErrorList
		if !errors.As(err, &list) || len(list) == 0 {
			t.Fatalf("error is not a non-empty ErrorList: %T %v", err, err)
		}
		for _, e := range list {
			if e.Path != "fuzz.yaml" || e.Pos.Line < 1 || e.Pos.Col < 1 || e.Msg == "" {
				t.Errorf("bad error entry %#v", e)
			}
		}
		if !slices.IsSortedFunc(list, schema.CmpPos) {
			t.Errorf("errors not sorted:\n%v", err)
		}
		if _, again := schema.Load("fuzz.yaml", data); again == nil || again.Error() != err.Error() {
			t.Errorf("Load is not deterministic:\n%v\nthen:\n%v", err, again)
		}
	})
}

// fuzzSeeds hold descriptions and defaults for the fuzzer to work on:
// directives, comment bounds and code in descriptions, a default of every
// type that takes one.
var fuzzSeeds = []string{
	`version: 1
record: Rec
package: recs
table: recs
key: id
ttl: 1h
description: "Rec.\n//go:generate touch PWNED\n/* x */ func Evil() {} //\n*/ func Evil() {} /*"
fields:
  id: {type: string, required: true, description: "//line evil.go:1"}
  s: {type: string, default: "*/ //go:generate x", description: "//go:build ignore\n//export Evil"}
  i: {type: int, default: -1, indexed: true, description: "/*"}
  f: {type: float, default: 0.5, indexed: true}
  b: {type: bool, default: true, required: true}
  u: {type: url, default: "https://example.com/*/"}
  ts: {type: timestamp, default: 2025-01-02T15:04:05.999+01:00, indexed: true}
  ux: {type: unixtime, default: 1767225600}
  e: {type: enum, values: ["*/", "//go:generate x"], default: "*/", description: "\t//go:noinline"}
  h: {type: string, hashed: true, description: "+builds"}
  sec: {type: string, sensitive: true}
  o:
    type: object
    description: "//go:linkname x y"
    fields:
      at: {type: timestamp, default: "2000-01-01T00:00:00Z", description: "\n\n//go:generate y\n"}
      l: {type: list<object>, fields: {x: {type: list<enum>, values: [a], description: "/* */"}}}
`,
	`version: 1
record: CheckTable
package: main
table: get_row
key: id
fields:
  id: {type: string, required: true, description: "+build ignore"}
  verify_h: {type: string, go_name: VerifyH}
  h: {type: string, hashed: true}
  t: {type: object, go_name: Über, fields: {marshal_json: {type: int}}}
  d: {type: string, description: "a\u202eb\u2028c\ufeff"}
`,
}

// checkRendered renders the Go files and the queries of s and checks them.
func checkRendered(t *testing.T, s *schema.Schema) {
	t.Helper()
	m, err := schema.NewModel(s, schema.Target{
		Source:         "fuzz.yaml",
		Regenerate:     "kvgen generate fuzz.yaml",
		DBImport:       "example.com/m/generated/" + s.Package + "/db",
		SQLiteDBImport: "example.com/m/generated/" + s.Package + "/sqlitedb",
	})
	if err != nil {
		t.Fatal(err)
	}
	files, err := render.GoStore(m, render.TableDDL{Create: []byte("-- the DDL")})
	if err != nil {
		t.Fatalf("rendering an accepted schema: %v", err)
	}
	fset := token.NewFileSet()
	var got []string
	for _, name := range slices.Sorted(maps.Keys(files)) {
		f, err := parser.ParseFile(fset, name, files[name], parser.ParseComments)
		if err != nil {
			t.Fatalf("%s does not parse: %v\n%s", name, err, files[name])
		}
		checkComments(t, name, f)
		got = append(got, declsOf(t, f)...)
	}
	slices.Sort(got)
	for i, d := range got {
		if i > 0 && got[i-1] == d {
			t.Errorf("the generated package declares %s twice", d)
		}
		if typ, field, ok := strings.Cut(d, ".field "); ok && slices.Contains(got, typ+"."+field) {
			t.Errorf("the generated type %s has a field and a method %s", typ, field)
		}
	}
	if want := wantDecls(s); !slices.Equal(got, want) {
		t.Errorf("the generated package declares\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	queries, err := render.Queries(m)
	if err != nil {
		t.Fatalf("rendering the queries of an accepted schema: %v", err)
	}
	var names []string
	for _, m := range sqlcName.FindAllStringSubmatch(string(queries), -1) {
		names = append(names, m[1])
	}
	want := []string{"Get", "GetMany", "Put", "PutMany", "Delete", "DeleteMany", "Insert", "CompareAndSwap", "Replace",
		"CompareAndDelete", "GetAndDelete", "Keys", "List", "Collections", "DeleteCollection", "Cull", "Scan", "Swap"}
	for _, fl := range s.Indexed() {
		want = append(want, "FindBy"+fl.GoName)
	}
	if !slices.Equal(names, want) {
		t.Errorf("the queries are %q, want %q:\n%s", names, want, queries)
	}
}

// sqlcName is a query's name line, as sqlc reads it.
var sqlcName = regexp.MustCompile(`(?m)^-- name: (\S+)`)

// checkComments fails unless every comment is a line comment whose text is
// empty or starts with a space or a tab (gofmt's indented doc comment
// lines): a directive (//go:generate, //go:build, //line, //export,
// //go:linkname) starts with neither, and a /* */ comment could end early.
func checkComments(t *testing.T, name string, f *ast.File) {
	t.Helper()
	for _, g := range f.Comments {
		for _, c := range g.List {
			if c.Text != "//" && !strings.HasPrefix(c.Text, "// ") && !strings.HasPrefix(c.Text, "//\t") {
				t.Errorf("%s has the comment %q", name, c.Text)
			}
		}
	}
}

// declsOf lists the top-level declarations of f: "name" at package level,
// "Type.Method" for methods, and "Type.Field" for the fields of struct types
// (none of which may be named like a method of its type).
func declsOf(t *testing.T, f *ast.File) []string {
	t.Helper()
	var out []string
	for _, decl := range f.Decls {
		switch decl := decl.(type) {
		case *ast.FuncDecl:
			name := decl.Name.Name
			if decl.Recv != nil {
				typ := decl.Recv.List[0].Type
				if star, ok := typ.(*ast.StarExpr); ok {
					typ = star.X
				}
				name = typ.(*ast.Ident).Name + "." + name
			}
			out = append(out, name)
		case *ast.GenDecl:
			for _, spec := range decl.Specs {
				switch spec := spec.(type) {
				case *ast.TypeSpec:
					out = append(out, spec.Name.Name)
					if st, ok := spec.Type.(*ast.StructType); ok {
						for _, field := range st.Fields.List {
							for _, n := range field.Names {
								out = append(out, spec.Name.Name+".field "+n.Name)
							}
						}
					}
				case *ast.ValueSpec:
					for _, n := range spec.Names {
						if n.Name != "_" {
							out = append(out, n.Name)
						}
					}
				}
			}
		}
	}
	return out
}

// wantDecls is what the package generated from s declares, stated from the
// schema language: the fixed API, the record and its object types, their
// fields, and the methods that fields give.
func wantDecls(s *schema.Schema) []string {
	var out []string
	for _, d := range schema.PackageDecls() { // what the loader keeps schemas clear of
		switch {
		case d == schema.DefaultTTLConst && s.TTL == 0:
		case slices.Contains(schema.SQLiteDecls(), d) && !s.Uses(schema.SQLite):
		default:
			out = append(out, d)
		}
	}
	out = append(out,
		schema.CodecType, schema.BackendType, schema.NewBackendFunc, schema.IndexesVar, schema.RecordVar,
		schema.CodecType+".Encode", schema.CodecType+".Decode",
		"Store.field records", "Store.field untyped", "Store.field codec",
		"Options.field Collection",
	)
	for _, m := range []string{"Get", "GetMany", "Put", "PutMany", "Delete", "DeleteMany", "GetVersion", "CompareAndSwap",
		"Replace", "CompareAndDelete", "GetAndDelete", "List", "Cull", "KV", "Untyped", "PlaintextReads"} {
		out = append(out, "Store."+m)
	}
	backendMethods := []string{"Get", "GetMany", "Put", "PutMany", "Delete", "DeleteMany", "Insert", "CompareAndSwap",
		"Replace", "CompareAndDelete", "GetAndDelete", "Keys", "List", "Find", "Collections", "DeleteCollection", "Cull", "Scan", "Swap"}
	for _, m := range backendMethods {
		out = append(out, schema.BackendType+"."+m)
	}
	out = append(out, schema.BackendType+".field q")
	if s.Uses(schema.SQLite) {
		out = append(out, schema.SQLiteBackendType, schema.NewSQLiteBackendFunc,
			schema.SQLiteBackendType+".field r", schema.SQLiteBackendType+".field w")
		for _, m := range backendMethods {
			out = append(out, schema.SQLiteBackendType+"."+m)
		}
	}
	if s.Encryption != schema.EncryptNone {
		out = append(out, "Store.Reencrypt", "Options.field Encrypter", "Options.field AllowPlaintext",
			"Options.field Strict")
	}
	for _, f := range s.Indexed() {
		out = append(out, "Store.FindBy"+f.GoName)
	}
	typeDecls := func(name string, fields []*schema.Field, record bool) {
		out = append(out, name, schema.FieldsVar(name), name+"."+schema.ReadMethod, name+"."+schema.MarshalJSONMethod,
			name+"."+schema.UnmarshalJSONMethod, name+"."+schema.FormatMethod, name+".field "+schema.UnknownField)
		if record {
			out = append(out, name+"."+schema.ValidateMethod)
		}
		for _, f := range fields {
			out = append(out, name+".field "+f.GoName)
			if record && f.Hashed {
				out = append(out, name+"."+schema.VerifyMethod(f))
			}
		}
	}
	typeDecls(s.Record, s.Fields, true)
	var walk func(fields []*schema.Field)
	walk = func(fields []*schema.Field) {
		for _, f := range fields {
			t := f.Type
			for t.Kind == schema.List {
				t = t.Elem
			}
			if t.Kind == schema.Object {
				typeDecls(t.GoName, t.Fields, false)
				walk(t.Fields)
			}
		}
	}
	walk(s.Fields)
	slices.Sort(out)
	return out
}
