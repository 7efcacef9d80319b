package generator

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// SchemaFiles expands kvgen's schema arguments into files: a directory
// stands for its *.yaml and *.yml files, a pattern holding * ? or [ for the
// files it matches (go generate runs no shell, so kvgen expands patterns
// itself), and any other argument for itself. A directory or pattern that
// yields no file is an error, since a schema left out has its output
// deleted. A file named twice is kept once, at its first place.
func SchemaFiles(args []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(p string) {
		if clean := filepath.Clean(p); !seen[clean] {
			seen[clean] = true
			out = append(out, p)
		}
	}
	for _, arg := range args {
		files, err := expandSchemaArg(arg)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			add(f)
		}
	}
	return out, nil
}

func expandSchemaArg(arg string) ([]string, error) {
	if strings.ContainsAny(arg, "*?[") {
		matches, err := filepath.Glob(arg)
		if err != nil {
			return nil, fmt.Errorf("kvgen: schema pattern %q: %w", arg, err)
		}
		if len(matches) == 0 {
			return nil, fmt.Errorf("kvgen: no schema file matches %q", arg)
		}
		return matches, nil // sorted by Glob
	}
	info, err := os.Stat(arg)
	if err != nil || !info.IsDir() {
		return []string{arg}, nil // LoadSchemas reports a file it cannot read
	}
	var files []string
	for _, pattern := range []string{"*.yaml", "*.yml"} {
		matches, err := filepath.Glob(filepath.Join(arg, pattern))
		if err != nil {
			return nil, err
		}
		files = append(files, matches...)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("kvgen: no schema (*.yaml or *.yml) in the directory %s", arg)
	}
	slices.Sort(files)
	return files, nil
}
