package generator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kvgen/kvgen/generator/schema"
)

// DriftKind says how a generated file differs from what the schemas produce.
type DriftKind string

const (
	Changed DriftKind = "changed" // content differs
	Missing DriftKind = "missing" // produced, not in the module
	Stale   DriftKind = "stale"   // generated earlier, no longer produced
)

// FileDrift is one file out of date. Have is the module's content (nil when
// missing), Want what the schemas produce (nil when stale).
type FileDrift struct {
	Path       string // slash, relative to the module root
	Kind       DriftKind
	Have, Want []byte
}

// Drift is every difference between a module and what its schemas produce.
type Drift struct {
	Files []FileDrift // sorted by path
	Fix   string      // the command that brings the module up to date
}

// Check compares the module at opts.ModuleDir with what schemas produce,
// sqlc's output and the record of its run included (see Build), without
// changing the module; it always runs sqlc. It
// returns nil when everything is up to date. Unlike `sqlc diff`, it also
// sees missing and stale files.
func Check(ctx context.Context, schemas []*schema.Schema, opts Options) (*Drift, error) {
	// Always run sqlc: a record of its last run, even hand-edited, cannot
	// make check miss drift in its outputs.
	pl, err := plan(ctx, schemas, opts, false)
	if err != nil {
		return nil, err
	}
	opts, files, stale := pl.opts, pl.files, pl.stale
	var drift []FileDrift
	for _, p := range slices.Sorted(maps.Keys(files)) {
		have, err := os.ReadFile(filepath.Join(opts.ModuleDir, filepath.FromSlash(p)))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			drift = append(drift, FileDrift{Path: p, Kind: Missing, Want: files[p]})
		case err != nil:
			return nil, err
		case !bytes.Equal(have, files[p]):
			drift = append(drift, FileDrift{Path: p, Kind: Changed, Have: have, Want: files[p]})
		}
	}
	for _, p := range stale {
		have, err := os.ReadFile(filepath.Join(opts.ModuleDir, filepath.FromSlash(p)))
		if err != nil {
			return nil, err
		}
		drift = append(drift, FileDrift{Path: p, Kind: Stale, Have: have})
	}
	if len(drift) == 0 {
		return nil, nil
	}
	slices.SortFunc(drift, func(a, b FileDrift) int { return strings.Compare(a.Path, b.Path) })
	paths := make([]string, len(schemas))
	for i, s := range schemas {
		paths[i] = s.Path
	}
	return &Drift{Files: drift, Fix: FixCommand(paths, opts)}, nil
}

// Summary names every file out of date and the command that fixes them.
func (d *Drift) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "kvgen: %d generated %s out of date:\n", len(d.Files), plural(len(d.Files), "file is", "files are"))
	for _, f := range d.Files {
		fmt.Fprintf(&b, "\t%-8s %s\n", f.Kind, f.Path)
	}
	fmt.Fprintf(&b, "run `go generate ./...` or `%s` to update them\n", d.Fix)
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// FixCommand is the kvgen command line that regenerates schemas with opts,
// naming only the flags that differ from their defaults.
func FixCommand(schemaPaths []string, opts Options) string {
	args := []string{"go", "tool", "kvgen", "generate"}
	for _, f := range []struct{ flag, val, def string }{
		{"-queries", opts.QueriesDir, DefaultQueriesDir},
		{"-out", opts.OutDir, DefaultOutDir},
		{"-sqlc", opts.SQLCConfig, DefaultSQLCConfig},
	} {
		if f.val != "" && f.val != f.def {
			args = append(args, f.flag, shellQuote(f.val))
		}
	}
	for _, p := range schemaPaths {
		args = append(args, shellQuote(p))
	}
	return strings.Join(args, " ")
}

// shellQuote quotes s for a POSIX shell when it holds anything but safe characters.
func shellQuote(s string) string {
	safe := s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:@+,", r))
	}) < 0
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
