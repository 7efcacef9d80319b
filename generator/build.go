package generator

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/kvgen/kvgen/generator/schema"
)

// Build returns every file of the generated tree, sqlc's output included:
// Generate's files, and what sqlc makes of them when run over a copy in a
// temporary directory. The module is not touched, so a failing sqlc leaves it
// as it was. sqlc is started in opts.ModuleDir, where `go tool sqlc` resolves.
func Build(ctx context.Context, schemas []*schema.Schema, opts Options) (map[string][]byte, error) {
	opts, err := opts.normalized()
	if err != nil {
		return nil, err
	}
	files, err := Generate(schemas, opts)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "kvgen-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	for p, content := range files {
		if err := writeFile(filepath.Join(tmp, filepath.FromSlash(p)), content); err != nil {
			return nil, err
		}
	}
	if err := RunSQLC(ctx, opts.ModuleDir, filepath.Join(tmp, filepath.FromSlash(opts.SQLCConfig))); err != nil {
		// sqlc names files by their temporary path; name them as in the module.
		return nil, &pathError{msg: strings.ReplaceAll(err.Error(), tmp+string(filepath.Separator), ""), err: err}
	}
	return readTree(tmp)
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
