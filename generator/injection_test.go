package generator

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kvgen/kvgen/generator/schema"
)

// hostileDescriptions are descriptions that the loader accepts (they hold
// no refused character) and that would be Go code, directives or the bounds
// of a block comment if they were printed as they are.
var hostileDescriptions = []string{
	"Secret.\n//go:generate sh -c 'touch PWNED'",
	"Secret.\n//go:generate touch PWNED",
	"//go:generate touch PWNED",
	"/* x */ func Evil() {} //",
	"Doc.\n*/ func Evil() {} /*",
	"Doc.\n/*\nfunc Evil() {}\n*/",
	"//line evil.go:1\nDoc.",
	"Doc.\n//go:build ignore",
	"Doc.\n//export Evil\n//go:linkname evil runtime.evil",
	"Doc.\n   //go:generate sh -c 'touch PWNED'\n\t//go:generate sh -c 'touch PWNED'",
}

// TestDescriptionsStayComments generates a record and a field for each
// hostile description and holds the output to three promises: every comment
// of every generated Go file is a // comment whose text starts with a space
// (so none is a directive or a /* */ block), the package declares exactly
// what it declares without the descriptions, and `go generate ./...` in a
// module of the output runs nothing.
func TestDescriptionsStayComments(t *testing.T) {
	var hostile, plain []*schema.Schema
	for i, d := range hostileDescriptions {
		pkg := fmt.Sprintf("hostile%d", i)
		doc := strconv.Quote(d)
		hostile = append(hostile, load(t, pkg+".yaml", descriptionSchema(pkg, doc, doc)))
		plain = append(plain, load(t, pkg+".yaml", descriptionSchema(pkg, `""`, `""`)))
	}
	opts := Options{ModulePath: "example.com/golden/hostile", ModuleDir: repoDir(t)}
	files, err := Build(context.Background(), hostile, opts)
	if err != nil {
		t.Fatalf("generating the schemas with hostile descriptions: %v", err)
	}
	plainFiles, err := Generate(plain, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range slices.Sorted(maps.Keys(files)) {
		if strings.HasSuffix(p, ".go") {
			checkComments(t, p, files[p])
		}
	}
	for _, s := range hostile {
		got, want := packageDecls(t, files, s.Package), packageDecls(t, plainFiles, s.Package)
		if !slices.Equal(got, want) {
			t.Errorf("package %s declares\n%s\nwithout its descriptions it declares\n%s", s.Package, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}

	dir := t.TempDir()
	for p, content := range files {
		if err := writeFile(filepath.Join(dir, "hostile", filepath.FromSlash(p)), content); err != nil {
			t.Fatal(err)
		}
	}
	if err := writeTestModule(dir, "example.com/golden", repoDir(t), false); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "generate", "-x", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("go generate ./... in the generated code ran something: %v\n%s", err, out)
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "PWNED" {
			t.Errorf("go generate ./... in the generated code created %s", p)
		}
		return err
	})
}

// descriptionSchema is a record with a description, and a field of the
// record and of an object with the same description (YAML scalars).
func descriptionSchema(pkg, recordDoc, fieldDoc string) string {
	return "version: 1\nrecord: Rec\npackage: " + pkg + "\ntable: t_" + pkg + "\nkey: id\n" +
		"description: " + recordDoc + "\nfields:\n" +
		"  id: {type: string, required: true, description: " + fieldDoc + "}\n" +
		"  color: {type: enum, values: [red, green], description: " + fieldDoc + "}\n" +
		"  point: {type: object, description: " + fieldDoc + ", fields: {x: {type: int, description: " + fieldDoc + "}}}\n"
}

// checkComments fails unless every comment of the Go file src is a line
// comment whose text is empty or starts with a space or a tab (gofmt writes
// an indented line of a doc comment as //<tab>): the go command reads
// //go:generate, //go:build, //line, //export and //go:linkname only
// without them, and a /* */ comment could end early and let code in.
func checkComments(t *testing.T, name string, src []byte) {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.ParseComments)
	if err != nil {
		t.Errorf("%s does not parse: %v", name, err)
		return
	}
	for _, g := range f.Comments {
		for _, c := range g.List {
			if c.Text != "//" && !strings.HasPrefix(c.Text, "// ") && !strings.HasPrefix(c.Text, "//\t") {
				t.Errorf("%s has the comment %q; every comment must start with \"// \" or \"//\\t\"", name, c.Text)
			}
		}
	}
}

// packageDecls lists the top-level declarations of the generated package
// pkg: "name" for package-level ones, "Type.Method" for methods.
func packageDecls(t *testing.T, files map[string][]byte, pkg string) []string {
	t.Helper()
	var out []string
	fset := token.NewFileSet()
	for p, src := range files {
		if path.Dir(p) != path.Join(DefaultOutDir, pkg) {
			continue
		}
		f, err := parser.ParseFile(fset, p, src, 0)
		if err != nil {
			t.Errorf("%s does not parse: %v", p, err)
			continue
		}
		for _, decl := range f.Decls {
			switch decl := decl.(type) {
			case *ast.FuncDecl:
				name := decl.Name.Name
				if decl.Recv != nil {
					name = receiverType(decl) + "." + name
				}
				out = append(out, name)
			case *ast.GenDecl:
				for _, spec := range decl.Specs {
					switch spec := spec.(type) {
					case *ast.TypeSpec:
						out = append(out, spec.Name.Name)
					case *ast.ValueSpec:
						for _, n := range spec.Names {
							out = append(out, n.Name)
						}
					}
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

func receiverType(f *ast.FuncDecl) string {
	typ := f.Recv.List[0].Type
	if star, ok := typ.(*ast.StarExpr); ok {
		typ = star.X
	}
	if id, ok := typ.(*ast.Ident); ok {
		return id.Name
	}
	return fmt.Sprintf("%T", typ)
}

// repoDir is the root directory of this repository, whose go.mod and
// packages the temporary modules of the tests use.
func repoDir(t *testing.T) string {
	t.Helper()
	m, err := FindModule(".")
	if err != nil {
		t.Fatal(err)
	}
	return m.Dir
}
