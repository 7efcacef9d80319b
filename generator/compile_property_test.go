package generator

import (
	"context"
	"fmt"
	"go/token"
	"maps"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/kvgen/kvgen/generator/schema"
)

// TestAcceptedSchemasCompile holds the loader to its promise that every
// schema it accepts generates a package that builds and vets. It loads a
// deterministic set of schemas: every type, alone, in lists and in an
// object, with every option alone and with every other, in every encryption
// mode, and names that come close to what the generated code declares. The
// loader must accept exactly those the schema language allows (the rules
// restated in fieldAllowed and in the cases). What it accepts is generated,
// sqlc included, into one temporary module, built and vetted at once: each
// type with no option, every option alone and the pairs of options that
// change the code (shapePairs), top-level and in an object.
func TestAcceptedSchemasCompile(t *testing.T) {
	var accepted []*schema.Schema
	load := func(c propCase) {
		t.Helper()
		s, err := schema.Load(c.file, []byte(c.yaml))
		switch {
		case c.refusal == "" && err != nil:
			t.Errorf("%s: the loader refused a valid schema: %v\n%s", c.file, err, c.yaml)
		case c.refusal != "" && err == nil:
			t.Errorf("%s: the loader accepted a schema that %s:\n%s", c.file, c.refusal, c.yaml)
		case err == nil && !c.verdictOnly:
			accepted = append(accepted, s)
		}
	}
	for _, c := range append(typeCases(), nameCases()...) {
		load(c)
	}
	for _, c := range declCases(declaredNames(t, baseline(t, accepted))) {
		load(c)
	}
	if t.Failed() {
		t.FailNow()
	}
	files, err := Build(context.Background(), accepted, Options{ModulePath: "example.com/golden/property", ModuleDir: repoDir(t)})
	if err != nil {
		t.Fatalf("generating the accepted schemas: %v", err)
	}
	compileCases(t, repoDir(t), map[string]map[string][]byte{"property": files})
}

// baseline is the accepted schema whose generated package has every kind
// of declaration: a ttl, encryption, hashed fields and an object.
func baseline(t *testing.T, accepted []*schema.Schema) *schema.Schema {
	t.Helper()
	for _, s := range accepted {
		if s.Path == "pvalue.yaml" {
			return s
		}
	}
	t.Fatal("pvalue.yaml was not accepted")
	return nil
}

// propCase is one schema file and, when the loader must refuse it, why.
type propCase struct {
	file, yaml string
	refusal    string // "" when the loader must accept the schema
	// verdictOnly is a schema of one field, loaded for the loader's verdict
	// on that field; the field is compiled in the schema of its type.
	verdictOnly bool
}

// propTypes are the types of the matrix: every type alone and in a list, and
// lists of lists. An object type has a string field and an object field.
var propTypes = []string{
	"string", "int", "float", "bool", "url", "timestamp", "unixtime", "enum", "json", "object",
	"list<string>", "list<int>", "list<float>", "list<bool>", "list<url>", "list<timestamp>",
	"list<unixtime>", "list<enum>", "list<json>", "list<object>", "list<list<enum>>", "list<list<object>>",
}

// propOptions are the field options of the matrix; type, values and fields
// come with the type.
var propOptions = []string{"required", "sensitive", "hashed", "indexed", "default", "description", "go_name", "json"}

var propModes = []schema.Encryption{schema.EncryptFields, schema.EncryptValue, schema.EncryptNone}

// hostileDescription is text a reviewer might not read closely: lines that
// would be directives, build constraints or the bounds of a block comment,
// and Go code between them.
const hostileDescription = `"Secret.\n//go:generate sh -c 'touch PWNED'\n*/ func init() { panic(1) } /*\n` +
	`/* block\n//line evil.go:1\n//go:build ignore\n// +build ignore\n//export Evil\n` +
	`//go:linkname evil runtime.evil\n//go:debug panicnil=1\n\t//go:noinline\n-- name: Evil :exec\n"`

// typeCases returns, for each encryption mode, type and set of options, a
// schema of a key and a field of that type with those options (nested in an
// object where the options allow it), so that the loader's verdict is the
// field's. Per mode, one schema of all the fields allowed is compiled: a
// package per schema would make the build mostly sqlc's and kvgen's code of
// the key.
func typeCases() []propCase {
	var out []propCase
	for _, mode := range propModes {
		pkg := "p" + string(mode)
		var fields []string
		for ti, typ := range propTypes {
			var nested []string
			sets, compiled := optionSets()
			for i, opts := range sets {
				name := fmt.Sprintf("t%d_%s", ti, strings.Join(append([]string{"x"}, opts...), "_"))
				line := fieldLine(name, typ, opts)
				refusal := fieldAllowed(mode, typ, opts, true)
				out = append(out, propCase{
					file:        path.Join(pkg, name+".yaml"),
					yaml:        schemaYAML("Rec", pkg, mode, []string{line}),
					refusal:     refusal,
					verdictOnly: true,
				})
				if refusal == "" && compiled[i] {
					fields = append(fields, line)
				}
				refusal = fieldAllowed(mode, typ, opts, false)
				if refusal == "" && len(opts) < 2 {
					nested = append(nested, "      "+strings.TrimSpace(line))
				}
				if refusal != "" {
					out = append(out, propCase{
						file:        path.Join(pkg, "nested_"+name+".yaml"),
						yaml:        schemaYAML("Rec", pkg, mode, []string{"  nested:\n    type: object\n    fields:\n      " + strings.TrimSpace(line)}),
						refusal:     refusal,
						verdictOnly: true,
					})
				}
			}
			fields = append(fields, fmt.Sprintf("  nested_t%d:\n    type: object\n    description: %s\n    fields:\n%s", ti, hostileDescription, strings.Join(nested, "\n")))
		}
		out = append(out, propCase{file: pkg + ".yaml", yaml: schemaYAML("Rec", pkg, mode, fields)})
	}
	return out
}

// optionSets is no option, every option alone and every pair. The loader's
// verdict is checked on all of them; those compiled are no option, every
// option alone, and the pairs that change the shape of the generated code.
func optionSets() (sets [][]string, compiled []bool) {
	sets, compiled = [][]string{nil}, []bool{true}
	for i, a := range propOptions {
		sets, compiled = append(sets, []string{a}), append(compiled, true)
		for _, b := range propOptions[i+1:] {
			sets = append(sets, []string{a, b})
			compiled = append(compiled, shapePairs[a+" "+b])
		}
	}
	return sets, compiled
}

// shapePairs are the pairs of options whose code differs from that of each
// option alone: a required field is no pointer, and a default changes the
// check of a required field and what is written for an absent one.
var shapePairs = map[string]bool{
	"required sensitive": true, "required hashed": true, "required indexed": true,
	"required default": true, "indexed default": true,
}

// fieldLine writes field name of type typ with opts as one YAML line.
func fieldLine(name, typ string, opts []string) string {
	parts := []string{"type: " + quoteType(typ)}
	switch strings.TrimPrefix(strings.TrimPrefix(typ, "list<"), "list<") {
	case "enum", "enum>", "enum>>":
		parts = append(parts, `values: [a, "b c", "d */ e"]`)
	case "object", "object>", "object>>":
		parts = append(parts, "fields: {x: {type: string}, n: {type: object, fields: {y: {type: list<int>}}}}")
	}
	for _, o := range opts {
		switch o {
		case "default":
			parts = append(parts, "default: "+defaultOf(typ))
		case "description":
			parts = append(parts, "description: "+hostileDescription)
		case "go_name":
			parts = append(parts, "go_name: Go"+schema.GoName(name))
		case "json":
			parts = append(parts, `json: " `+name+` -- /* @value $1 ? sqlc.arg(v) */ "`)
		default:
			parts = append(parts, o+": true")
		}
	}
	return "  " + name + ": {" + strings.Join(parts, ", ") + "}"
}

func quoteType(typ string) string {
	if strings.Contains(typ, "<") {
		return `"` + typ + `"`
	}
	return typ
}

// defaultOf is a valid default of each type that takes one, and a value for
// the others (which refuse any).
func defaultOf(typ string) string {
	switch typ {
	case "string":
		return `"it's \"quoted\" \\ and */ //go:generate"`
	case "int":
		return "-9223372036854775808"
	case "float":
		return "1.5e300"
	case "bool":
		return "true"
	case "url":
		return `"https://example.com/a?b=\"c\"&d=` + "`e`" + `"`
	case "timestamp":
		return "2025-01-02T15:04:05.5+01:00"
	case "unixtime":
		return "1767225600"
	case "enum":
		return `"d */ e"`
	}
	return "[1]"
}

// fieldAllowed restates the schema language's rules for one field: "" when
// a field of type typ with opts is valid in a record of encryption mode
// (top-level, or in an object), else the rule it breaks.
func fieldAllowed(mode schema.Encryption, typ string, opts []string, top bool) string {
	has := func(o string) bool { return slices.Contains(opts, o) }
	scalar := !strings.HasPrefix(typ, "list") && typ != "json" && typ != "object"
	switch {
	case !top && (has("hashed") || has("indexed")):
		return "puts a record-only option on an object's field"
	case has("sensitive") && has("json"):
		return "gives a sensitive field a JSON name with a '.' (its envelope is bound to its path)"
	case (has("sensitive") || has("hashed")) && typ != "string":
		return "makes a non-string field sensitive or hashed"
	case has("sensitive") && (has("hashed") || has("indexed")):
		return "makes a sensitive field hashed or indexed"
	case has("hashed") && has("indexed"):
		return "makes a hashed field indexed"
	case has("sensitive") && mode == schema.EncryptNone:
		return "has a sensitive field without encryption"
	case has("indexed") && (!scalar || mode == schema.EncryptValue):
		return "indexes a non-scalar field or a field of an encrypted value"
	case has("default") && (!scalar || has("sensitive") || has("hashed")):
		return "gives a default to a list, object, json, sensitive or hashed field"
	}
	return ""
}

// schemaYAML is a schema of record rec in package pkg, table t_<pkg>, with
// key id and fields (YAML lines below fields:).
func schemaYAML(rec, pkg string, mode schema.Encryption, fields []string) string {
	ttl := ""
	switch mode {
	case schema.EncryptValue:
		ttl = "ttl: 90s\n"
	case schema.EncryptFields:
		ttl = "go_only: true\n" // fields mode is refused without it
	}
	return "version: 1\nrecord: " + rec + "\npackage: " + pkg + "\ntable: t_" + pkg +
		"\ncollection: \"c/" + pkg + " ?*\"\nkey: id\nencryption: " + string(mode) + "\n" + ttl +
		"description: " + hostileDescription + "\nfields:\n  id: {type: string, required: true}\n" +
		strings.Join(fields, "\n") + "\n"
}

// nameCases are schemas whose names come close to the Go, SQL and package
// names of the generated code, and those the loader must refuse for them.
func nameCases() []propCase {
	var out []propCase
	// add adds a schema of record Rec with key field key and fields.
	add := func(refusal, pkg, table, key string, fields ...string) {
		y := schemaYAML("Rec", pkg, schema.EncryptNone, fields)
		y = strings.Replace(y, "table: t_"+pkg+"\n", "table: "+table+"\n", 1)
		y = strings.Replace(y, "\nkey: id\n", "\nkey: \""+key+"\"\n", 1)
		y = strings.Replace(y, "\n  id: {type: string, required: true}", "\n  "+key+": {type: string, required: true}", 1)
		out = append(out, propCase{file: "names/" + pkg + ".yaml", yaml: y, refusal: refusal})
	}
	// Package names that build, and those that do not or cannot be imported.
	for _, pkg := range []string{"kv", "time", "init", "string", "x_test"} {
		add("", pkg, "t_pkg_"+pkg, "id")
	}
	for _, pkg := range slices.Sorted(maps.Keys(map[string]bool{"main": true, "documentation": true, "vendor": true, "testdata": true, "internal": true})) {
		add("is in a package that does not build or cannot be imported", pkg, "t_pkg_"+pkg, "id")
	}
	// Tables whose sqlc model would be named like the db package's
	// declarations, and those the loader must refuse (a query's type).
	for i, table := range []string{"new", "get_rows", "find_by_x_rows"} {
		add("", fmt.Sprintf("ptable%d", i), table, "id", "  x: {type: string, indexed: true}")
	}
	for i, table := range []string{"get_row", "scan_row", "find_by_x_row", "put_params", "list_row_"} {
		add("names its table like a type of sqlc's queries", fmt.Sprintf("ptablex%d", i), table, "id", "  x: {type: string, indexed: true}")
	}
	// Keys and indexed fields named like the parameters, locals, packages
	// and builtins of the methods that take them as parameters.
	for _, key := range []string{"ctx", "err", "value", "item", "string"} {
		add("", "pkey_"+key, "t_key_"+key, key, "  other: {type: string}")
	}
	var indexed []string
	for i, n := range []string{"ctx", "s", "r", "rs", "i", "items", "keys", "err", "time", "strconv", "kv", "context",
		"errors", "cmp", "db", "values", "kvimpl", "version", "old", "e", "value", "key", "len", "make", "append", "nil", "true", "string", "error",
		"int64", "float64", "bool", "any", "new", "p", "prefix", "msg", "b", "data", "raw", "name", "secret"} {
		indexed = append(indexed, fmt.Sprintf("  %s: {type: %s, indexed: true}", n, []string{"string", "int", "float", "bool", "timestamp", "unixtime", "url"}[i%7]))
	}
	add("", "pindexed", "t_indexed", "id", indexed...)
	// Go names with underscores and digits reach sqlc as query names; ASCII only.
	add("", "pgonames", "t_go_names", "id",
		"  a: {type: string, indexed: true, go_name: A_b}", "  b: {type: int, indexed: true, go_name: B1_2}",
		"  c: {type: string, hashed: true, go_name: C_}", "  validate_x: {type: string, go_name: ValidateX}")
	add("has a Go name outside ASCII", "pgoascii", "t_go_ascii", "id", "  a: {type: string, indexed: true, go_name: Über}")
	return out
}

// declCases are, for every exported name that a generated package declares
// (as parsed from generated code), schemas that would declare it again: as
// the record, as an object type (record name + field name), or as a field
// of the record or of an object beside a method of that name. The loader
// must refuse each. A method of the record that objects lack must be
// accepted as the name of an object's field.
func declCases(d goDecls) []propCase {
	var out []propCase
	add := func(refusal, rec string, fields ...string) {
		pkg := fmt.Sprintf("pdecl%d", len(out))
		out = append(out, propCase{file: pkg + ".yaml", yaml: schemaYAML(rec, pkg, schema.EncryptFields, fields), refusal: refusal})
	}
	object := func(goName string) string {
		return fmt.Sprintf("  o: {type: object, go_name: %s, fields: {x: {type: string}}}", goName)
	}
	for _, name := range slices.Sorted(maps.Keys(d.pkg)) {
		if !token.IsExported(name) || strings.HasPrefix(name, "Rec") {
			continue // the record and its object types
		}
		add("names its record like the declaration "+name, name)
		// The first split into two exported names: CheckTable is Check + Table.
		for i := 1; i < len(name); i++ {
			if token.IsExported(name[i:]) {
				add("makes its object type "+name+" from its record and field", name[:i], object(name[i:]))
				break
			}
		}
	}
	// A hashed field h gives the record the method VerifyH.
	hashed := "  h: {type: string, hashed: true}"
	methods := func(typ string) []string {
		var names []string
		for name := range d.methods[typ] {
			if strings.HasPrefix(name, "Verify") {
				name = "VerifyH"
			}
			if token.IsExported(name) && !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
		slices.Sort(names)
		return names
	}
	for _, name := range methods("Rec") {
		add("gives the record a field named like its method "+name, "Rec", hashed, "  x: {type: string, go_name: "+name+"}")
		nested := fmt.Sprintf("  nested: {type: object, fields: {x: {type: string, go_name: %s}}}", name)
		if slices.Contains(methods("RecNestedT0"), name) { // the object of the first type
			add("gives an object a field named like its method "+name, "Rec", hashed, nested)
		} else {
			add("", "Rec", hashed, nested)
		}
	}
	return out
}

// goDecls are the declarations of one generated package: package-level
// names, and the methods of each type.
type goDecls struct {
	pkg     map[string]bool
	methods map[string]map[string]bool
}

// declaredNames parses the package generated from s.
func declaredNames(t *testing.T, s *schema.Schema) goDecls {
	t.Helper()
	files, err := Generate([]*schema.Schema{s}, Options{ModulePath: "example.com/m"})
	if err != nil {
		t.Fatal(err)
	}
	d := goDecls{pkg: map[string]bool{}, methods: map[string]map[string]bool{}}
	for _, decl := range packageDecls(t, files, s.Package) {
		typ, method, ok := strings.Cut(decl, ".")
		if !ok {
			d.pkg[decl] = true
			continue
		}
		if d.methods[typ] == nil {
			d.methods[typ] = map[string]bool{}
		}
		d.methods[typ][method] = true
	}
	return d
}
