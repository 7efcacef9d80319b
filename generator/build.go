package generator

import (
	"bytes"
	"context"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"

	"github.com/kvgen/kvgen/generator/schema"
)

// Build returns every file of the generated tree, sqlc's output included:
// Generate's files, what sqlc makes of them when run over a copy in a
// temporary directory, and the record of that run (see sqlcsum.go). The
// module is not touched, so a failing sqlc leaves it as it was. sqlc is
// started in opts.ModuleDir, where `go tool sqlc` resolves.
func Build(ctx context.Context, schemas []*schema.Schema, opts Options) (map[string][]byte, error) {
	b, err := buildFiles(ctx, schemas, opts, false)
	return b.files, err
}

// built is the generated tree and how sqlc's part of it came to be.
type built struct {
	files      map[string][]byte
	reusedSQLC bool // sqlc did not run: its outputs are the module's (see sqlcsum.go)
}

// buildFiles is Build, except that with reuse it takes sqlc's outputs from the
// module when its record of sqlc's last run shows that running sqlc would
// write them unchanged.
func buildFiles(ctx context.Context, schemas []*schema.Schema, opts Options, reuse bool) (built, error) {
	opts, err := opts.normalized()
	if err != nil {
		return built{}, err
	}
	generated, err := Generate(schemas, opts)
	if err != nil {
		return built{}, err
	}
	// As RunSQLC: without a readable go.mod, sqlc comes from PATH.
	mod, _ := FindModule(opts.ModuleDir)
	sqlc, pinned := sqlcIdentity(mod)
	read := sqlcInputs(generated)
	var wrote map[string][]byte
	reused := false
	if reuse && pinned {
		wrote, reused = reuseSQLCOutputs(opts, sqlc, read)
	}
	if !reused {
		if wrote, err = runSQLC(ctx, opts, generated); err != nil {
			return built{}, err
		}
	}
	files := outputs(maps.Clone(generated))
	maps.Copy(files, wrote)
	if err := files.add(sqlcSumPath(opts.SQLCConfig), sqlcSum(sqlc, read, wrote)); err != nil {
		return built{}, err
	}
	return built{files: files, reusedSQLC: reused}, nil
}

// runSQLC runs sqlc over the generated files, written to a temporary
// directory, and returns the files it wrote there.
func runSQLC(ctx context.Context, opts Options, generated map[string][]byte) (map[string][]byte, error) {
	tmp, err := os.MkdirTemp("", "kvgen-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	for p, content := range generated {
		if err := writeFile(filepath.Join(tmp, filepath.FromSlash(p)), content); err != nil {
			return nil, err
		}
	}
	if err := RunSQLC(ctx, opts.ModuleDir, filepath.Join(tmp, filepath.FromSlash(opts.SQLCConfig))); err != nil {
		// sqlc names files by their temporary path; name them as in the module.
		return nil, &pathError{msg: strings.ReplaceAll(err.Error(), tmp+string(filepath.Separator), ""), err: err}
	}
	tree, err := readTree(tmp)
	if err != nil {
		return nil, err
	}
	maps.DeleteFunc(tree, func(p string, content []byte) bool {
		g, ok := generated[p]
		return ok && bytes.Equal(content, g)
	})
	return tree, nil
}

// pathError is an error whose message was rewritten; errors.Is still sees the cause.
type pathError struct {
	msg string
	err error
}

func (e *pathError) Error() string { return e.msg }
func (e *pathError) Unwrap() error { return e.err }

// readTree reads every regular file under root: slash path relative to root → content.
func readTree(root string) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		content, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		out[filepath.ToSlash(rel)] = content
		return nil
	})
	return out, err
}
