package render

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestVersionLink: every generated package refers to kvimpl's constant of
// the version it was generated for, which kvimpl declares; a package
// generated for a version kvimpl lacks fails to type-check with an error
// that names the constant.
func TestVersionLink(t *testing.T) {
	files, err := GoStore(model(testRecord("p", "t")), TableDDL{Create: []byte("-- DDL")})
	if err != nil {
		t.Fatal(err)
	}
	link := "\nconst _ = kvimpl." + runtimeVersion + "\n"
	if !strings.Contains(string(files["store.go"]), link) {
		t.Errorf("store.go lacks %q:\n%s", link, files["store.go"])
	}
	if err := checkAgainstKVImpl(t, "const _ = kvimpl."+runtimeVersion); err != nil {
		t.Errorf("kvimpl lacks the version generated code refers to: %v", err)
	}
	err = checkAgainstKVImpl(t, "const _ = kvimpl.Version0")
	if err == nil || !strings.Contains(err.Error(), "undefined: kvimpl.Version0") {
		t.Errorf("a package of another version: %v; want undefined: kvimpl.Version0", err)
	}
}

// checkAgainstKVImpl type-checks a file of decl against kvimpl as built.
func checkAgainstKVImpl(t *testing.T, decl string) error {
	t.Helper()
	out, err := exec.Command("go", "list", "-export", "-f", "{{.Export}}", kvimplPkg).Output()
	if err != nil {
		t.Fatalf("go list -export %s: %v", kvimplPkg, err)
	}
	export := strings.TrimSpace(string(out))
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", "package p\n\nimport \""+kvimplPkg+"\"\n\n"+decl+"\n", 0)
	if err != nil {
		t.Fatal(err)
	}
	lookup := func(path string) (io.ReadCloser, error) {
		if path != kvimplPkg {
			t.Fatalf("import of %s", path)
		}
		return os.Open(export)
	}
	_, err = (&types.Config{Importer: importer.ForCompiler(fset, "gc", lookup)}).Check("p", fset, []*ast.File{f}, nil)
	return err
}
