package generator

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"testing"
)

// maxFuncLines is the longest function kvgen may write: one a reviewer
// reads in one sitting.
const maxFuncLines = 60

// TestGeneratedFunctionsAreShort holds every function kvgen writes, in every
// golden case and in this repository's own output, to maxFuncLines. The one
// function that grows with a schema, a type's read method, is a switch of
// one single-statement case per field: it may pass the limit by two lines a
// field, and nothing else may.
func TestGeneratedFunctionsAreShort(t *testing.T) {
	var files []string
	for _, pattern := range []string{
		filepath.Join(goldenDir, "*", "generated", "*", "*.go"),
		filepath.Join("..", "generated", "*", "*.go"),
		filepath.Join("..", "internal", "goonly", "*", "*.go"),
		filepath.Join("..", "bench", "internal", "*store", "*.go"),
	} {
		matches, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, matches...)
	}
	if len(files) < 20 {
		t.Fatalf("found %d generated files: the globs no longer match the layout", len(files))
	}
	fset := token.NewFileSet()
	for _, path := range files {
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			lines := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
			if limit := funcLimit(fn); lines > limit {
				t.Errorf("%s: %s is %d lines, over %d", fset.Position(fn.Pos()), fn.Name.Name, lines, limit)
			}
		}
	}
}

// funcLimit is the length fn may have: maxFuncLines, or for a read method
// that is a switch of single-statement cases and a return, two lines a case
// and its frame.
func funcLimit(fn *ast.FuncDecl) int {
	if fn.Name.Name != "read" || len(fn.Body.List) != 2 {
		return maxFuncLines
	}
	sw, ok := fn.Body.List[0].(*ast.SwitchStmt)
	if !ok {
		return maxFuncLines
	}
	for _, s := range sw.Body.List {
		if c, ok := s.(*ast.CaseClause); !ok || len(c.Body) != 1 {
			return maxFuncLines
		}
	}
	return max(maxFuncLines, 2*len(sw.Body.List)+6)
}
