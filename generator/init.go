package generator

import (
	"context"
	"errors"
	"fmt"
	"go/build"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kvgen/kvgen/generator/schema"
	"github.com/kvgen/kvgen/templates"
)

// SchemaDir is the directory of the schemas Init sets up, and
// ExampleSchemaPath where it puts the example schema. The //go:generate
// line names the directory, so a schema added there is generated too.
const (
	SchemaDir         = "schema"
	ExampleSchemaPath = SchemaDir + "/oauth_clients.yaml"
)

// generateFile holds the //go:generate line that Init adds. It lives at the
// module root, so the line runs there: schema paths and error positions read
// as from the root, and `go generate ./...` finds it. Its build constraint
// (the tag go generate sets) keeps it out of every build, so its package
// clause cannot clash with a main.go written after it.
const generateFile = "kvgen.go"

// Init scaffolds kvgen in the module at opts.ModuleDir: the example schema
// (RFC 7591 client registrations), kvgen.go with the //go:generate line, and
// everything generate produces from the schema. It writes nothing if any of
// those files exists, and nothing if generating fails.
func Init(ctx context.Context, opts Options) (*Result, error) {
	opts, err := opts.normalized()
	if err != nil {
		return nil, err
	}
	s, err := schema.Load(ExampleSchemaPath, templates.ExampleSchema)
	if err != nil {
		return nil, fmt.Errorf("kvgen: the embedded example schema is invalid: %w", err)
	}
	files, err := Build(ctx, []*schema.Schema{s}, opts)
	if err != nil {
		return nil, err
	}
	pkg, err := rootPackage(opts.ModuleDir, opts.ModulePath)
	if err != nil {
		return nil, err
	}
	files[ExampleSchemaPath] = templates.ExampleSchema
	files[generateFile] = generateSource(pkg, FixCommand([]string{SchemaDir}, opts))

	paths := slices.Sorted(maps.Keys(files))
	var existing []string
	for _, p := range paths {
		if _, err := os.Lstat(filepath.Join(opts.ModuleDir, filepath.FromSlash(p))); err == nil {
			existing = append(existing, p)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	if len(existing) > 0 {
		return nil, fmt.Errorf("kvgen: init would overwrite %s; remove %s or run `kvgen generate` instead",
			strings.Join(existing, ", "), plural(len(existing), "it", "them"))
	}
	res := &Result{}
	for _, p := range paths {
		if err := writeFile(filepath.Join(opts.ModuleDir, filepath.FromSlash(p)), files[p]); err != nil {
			return res, err
		}
		res.Written = append(res.Written, p)
	}
	return res, nil
}

// generateSource is kvgen.go. The directive is spelled in two parts so that
// the go command, which reads every line of this file that starts with it,
// does not take this source for one.
func generateSource(pkg, command string) []byte {
	return fmt.Appendf(nil, `// kvgen regenerates the typed stores of the schemas in %s/: run
// go generate ./... after editing one. go tool kvgen check %s fails in CI
// when the committed output no longer matches the schemas.

//go:build generate

package %s

%s %s
`, SchemaDir, SchemaDir, pkg, "//go:"+"generate", command)
}

// rootPackage returns the package name of the Go files at the module root
// (as the go command sees them, build constraints applied), or, when there
// are none, one derived from the module path.
func rootPackage(dir, modulePath string) (string, error) {
	pkg, err := build.ImportDir(dir, 0)
	var noGo *build.NoGoError
	switch {
	case errors.As(err, &noGo):
		return packageFromPath(modulePath), nil
	case pkg != nil && pkg.Name != "":
		return pkg.Name, nil
	case err != nil:
		return "", fmt.Errorf("kvgen: cannot tell the package of the Go files in %s: %w", dir, err)
	}
	return packageFromPath(modulePath), nil
}

// packageFromPath derives a package name from a module path as `go mod init`
// users expect: the last element, a major version suffix skipped, reduced to
// lower-case letters, digits and underscores.
func packageFromPath(modulePath string) string {
	elem := path.Base(modulePath)
	if len(elem) > 1 && elem[0] == 'v' && strings.Trim(elem[1:], "0123456789") == "" && path.Dir(modulePath) != "." {
		elem = path.Base(path.Dir(modulePath))
	}
	var b strings.Builder
	for _, r := range strings.ToLower(elem) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9' && b.Len() > 0, r == '_' && b.Len() > 0:
			b.WriteRune(r)
		}
	}
	name := b.String()
	if name == "" || token.IsKeyword(name) {
		return "kvgenroot"
	}
	return name
}
