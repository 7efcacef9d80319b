package render

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"

	"github.com/kvgen/kvgen/generator/schema"
)

// TestReadCasesNameTheirFields: each case of a read method, the index of a
// field in the type's table, says which field it is, at the end of its
// line; a JSON name that could end that comment early (from a schema built
// by hand) is quoted, and declares nothing.
func TestReadCasesNameTheirFields(t *testing.T) {
	hostile := "x\n}\nfunc Evil() {"
	s := testRecord("p", "t")
	s.Encryption = schema.EncryptNone
	s.Fields = append(s.Fields,
		&schema.Field{Name: "redirect_uris", GoName: "RedirectURIs", JSONName: "redirect_uris", Type: &schema.Type{Kind: schema.List, Elem: &schema.Type{Kind: schema.String}}},
		&schema.Field{Name: "n", GoName: "N", JSONName: "n", Type: &schema.Type{Kind: schema.Int}, Required: true},
		&schema.Field{Name: "h", GoName: "H", JSONName: hostile, Type: &schema.Type{Kind: schema.String}},
	)
	files, err := GoStore(model(s), TableDDL{})
	if err != nil {
		t.Fatal(err)
	}
	src := string(files["codec.go"])
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "codec.go", src, parser.ParseComments)
	if err != nil {
		t.Fatalf("codec.go does not parse: %v\n%s", err, src)
	}
	lines := strings.Split(src, "\n")
	want := []string{"id", "redirect_uris", "n", strconv.Quote(hostile)}
	var got []string
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Name.Name == "Evil" {
			t.Errorf("the JSON name %q declared func Evil:\n%s", hostile, src)
		}
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "read" {
			continue
		}
		for _, stmt := range fn.Body.List[0].(*ast.SwitchStmt).Body.List {
			c := stmt.(*ast.CaseClause)
			index, _ := strconv.Atoi(c.List[0].(*ast.BasicLit).Value)
			line := lines[fset.Position(c.Colon).Line-1]
			_, name, _ := strings.Cut(line, ": // ")
			if index != len(got) {
				t.Errorf("case %d is case number %d", index, len(got))
			}
			got = append(got, name)
		}
	}
	if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
		t.Errorf("the cases of read say %q, want %q", got, want)
	}
}
