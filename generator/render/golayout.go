package render

import (
	"bytes"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"strings"
)

// layout lays out a Go file that jennifer rendered (and gofmt formatted) as
// its author would, where jennifer does not: the imports in two groups, the
// standard library's then the others, as goimports groups them, and a blank
// line between top-level declarations. local is the one import of the
// file's own module, which may have no dot in its first element.
func layout(src []byte, local string) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	lines := bytes.SplitAfter(src, []byte("\n"))
	blankBefore := map[int]bool{} // 0-based indexes of lines
	prevEnd := 0                  // 1-based line of the end of the previous declaration
	for _, d := range f.Decls {
		start := fset.Position(declStart(d)).Line
		if prevEnd > 0 && start == prevEnd+1 {
			blankBefore[start-1] = true
		}
		prevEnd = fset.Position(d.End()).Line
	}
	var out bytes.Buffer
	for i := 0; i < len(lines); i++ {
		if blankBefore[i] {
			out.WriteByte('\n')
		}
		if imp := importBlock(fset, f, i); imp != nil {
			out.Write(groupImports(lines[imp.from:imp.to], local))
			i = imp.to - 1
			continue
		}
		out.Write(lines[i])
	}
	return format.Source(out.Bytes())
}

// declStart is where declaration d starts: at its doc comment, if any.
func declStart(d ast.Decl) token.Pos {
	switch d := d.(type) {
	case *ast.FuncDecl:
		if d.Doc != nil {
			return d.Doc.Pos()
		}
	case *ast.GenDecl:
		if d.Doc != nil {
			return d.Doc.Pos()
		}
	}
	return d.Pos()
}

// lineRange is lines [from, to), 0-based.
type lineRange struct{ from, to int }

// importBlock returns the lines of the specs of the parenthesized import
// declaration whose first spec is on line i (0-based), or nil.
func importBlock(fset *token.FileSet, f *ast.File, i int) *lineRange {
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.IMPORT || !g.Lparen.IsValid() || len(g.Specs) == 0 {
			continue
		}
		from := fset.Position(g.Specs[0].Pos()).Line - 1
		if from == i {
			return &lineRange{from: from, to: fset.Position(g.Rparen).Line - 1}
		}
	}
	return nil
}

// groupImports splits import lines, one spec each and sorted, into the
// standard library's and the others, separated by a blank line.
func groupImports(lines [][]byte, local string) []byte {
	var std, other [][]byte
	for _, l := range lines {
		if isStd(importPath(l), local) {
			std = append(std, l)
		} else {
			other = append(other, l)
		}
	}
	if len(std) == 0 || len(other) == 0 {
		return bytes.Join(lines, nil)
	}
	return bytes.Join(slices.Concat(std, [][]byte{[]byte("\n")}, other), nil)
}

// importPath is the path of an import spec's line: `name "path"` or `"path"`.
func importPath(line []byte) string {
	fields := strings.Fields(string(line))
	p, err := strconv.Unquote(fields[len(fields)-1])
	if err != nil {
		return ""
	}
	return p
}

// isStd reports whether path is of the standard library: its first
// element has no dot, and it is not the file's own module.
func isStd(path, local string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".") && path != local
}
