package generator

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"golang.org/x/mod/modfile"
)

// Module is a Go module on disk, as far as kvgen needs to know it.
type Module struct {
	Dir       string   // absolute root directory, holding go.mod
	Path      string   // module path
	GoVersion string   // version of the go directive; "" when there is none
	Tools     []string // packages of its tool directives

	file *modfile.File
}

// FindModule returns the module holding dir: the nearest go.mod at or above it.
func FindModule(dir string) (*Module, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	for d := abs; ; d = filepath.Dir(d) {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			return parseGoMod(d, data)
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		if filepath.Dir(d) == d {
			return nil, fmt.Errorf("kvgen: no go.mod in %s or any directory above it; run kvgen inside a Go module, or name its root with -C", abs)
		}
	}
}

// parseGoMod reads the go.mod of the module rooted at dir, as strictly as
// the go command reads a main module's.
func parseGoMod(dir string, data []byte) (*Module, error) {
	f, err := modfile.Parse(filepath.Join(dir, "go.mod"), data, nil)
	if err != nil {
		return nil, fmt.Errorf("kvgen: %w", err)
	}
	if f.Module == nil {
		return nil, fmt.Errorf("kvgen: %s has no module directive", filepath.Join(dir, "go.mod"))
	}
	m := &Module{Dir: dir, Path: f.Module.Mod.Path, file: f}
	if f.Go != nil {
		m.GoVersion = f.Go.Version
	}
	for _, t := range f.Tool {
		m.Tools = append(m.Tools, t.Path)
	}
	return m, nil
}

// HasTool reports whether the module declares pkg with a tool directive.
func (m *Module) HasTool(pkg string) bool {
	return slices.Contains(m.Tools, pkg)
}

// Pin says which version of module path the go command builds for this
// module: the version go.mod requires, followed by " => " and the
// replacement when a replace directive applies ("v1.2.3 => example.com/fork
// v1.2.4"). fixed is false when go.mod does not require path or replaces it
// by a directory, whose content may change while go.mod does not.
func (m *Module) Pin(path string) (pin string, fixed bool) {
	i := slices.IndexFunc(m.file.Require, func(r *modfile.Require) bool { return r.Mod.Path == path })
	if i < 0 {
		return "", false
	}
	version := m.file.Require[i].Mod.Version
	// A replace of this very version wins over one of every version.
	var repl *modfile.Replace
	for _, r := range m.file.Replace {
		if r.Old.Path == path && (r.Old.Version == version || r.Old.Version == "" && repl == nil) {
			repl = r
		}
	}
	switch {
	case repl == nil:
		return version, true
	case repl.New.Version == "":
		return version + " => " + repl.New.Path, false
	}
	return version + " => " + repl.New.Path + " " + repl.New.Version, true
}
