package generator

import (
	"bytes"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path"
)

// The go command's generate lists the packages first and then reads every
// Go file of each; a file that kvgen deletes in between fails the run
// ("open …/backend.go: no such file or directory"). So under go generate a
// stale Go file is not deleted but emptied into a stub that no build sees
// (//go:build ignore): a package of stubs only is no longer listed by
// ./..., and go generate reads no stub, so the next run of kvgen deletes
// them safely. Until then kvgen check reports them as stale.

// stubTag is the build constraint of a stub; the next line starts the body.
// Spelled in two parts so that no tool takes this source line for a directive.
const stubTag = "//go:" + "build ignore\n"

// stubSource is the stub of a stale Go file of package pkg.
func stubSource(pkg string) []byte {
	return fmt.Appendf(nil, "%s\n\n%s\n// kvgen generated this file earlier, and the schemas no longer produce it.\n"+
		"// It was emptied rather than deleted while go generate ran; the next run of\n// kvgen generate deletes it.\n\npackage %s\n",
		headerGo, stubTag, pkg)
}

// isStub tells a stub from every other file.
func isStub(content []byte) bool {
	return bytes.HasPrefix(content, []byte(headerGo+"\n\n"+stubTag))
}

// staleStub returns the stub that replaces the stale file p (at full), or
// nil when p is to be deleted: stubbing is off, p is no Go file, or p is a
// stub already.
func staleStub(opts Options, p, full string) ([]byte, error) {
	if !opts.StubStaleGo || path.Ext(p) != ".go" {
		return nil, nil
	}
	content, err := os.ReadFile(full)
	if err != nil || isStub(content) {
		return nil, err
	}
	pkg := "stale"
	if f, err := parser.ParseFile(token.NewFileSet(), full, content, parser.PackageClauseOnly); err == nil {
		pkg = f.Name.Name
	}
	return stubSource(pkg), nil
}
