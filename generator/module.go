package generator

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Module is a Go module on disk, as far as kvgen needs to know it.
type Module struct {
	Dir   string   // absolute root directory, holding go.mod
	Path  string   // module path
	Tools []string // packages of its tool directives
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

// HasTool reports whether the module declares pkg with a tool directive.
func (m *Module) HasTool(pkg string) bool {
	for _, t := range m.Tools {
		if t == pkg {
			return true
		}
	}
	return false
}

// parseGoMod reads the module and tool directives, in both the single-line
// and the block form. The rest of go.mod does not concern kvgen.
func parseGoMod(dir string, data []byte) (*Module, error) {
	m := &Module{Dir: dir}
	block := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if i := strings.Index(line, "//"); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if block != "" {
			if fields[0] == ")" {
				block = ""
			} else if block == "tool" {
				m.Tools = append(m.Tools, unquote(fields[0]))
			}
			continue
		}
		if len(fields) == 2 && fields[1] == "(" {
			block = fields[0]
			continue
		}
		switch {
		case fields[0] == "module" && len(fields) == 2:
			m.Path = unquote(fields[1])
		case fields[0] == "tool" && len(fields) == 2:
			m.Tools = append(m.Tools, unquote(fields[1]))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if m.Path == "" {
		return nil, fmt.Errorf("kvgen: %s has no module directive", filepath.Join(dir, "go.mod"))
	}
	return m, nil
}

func unquote(s string) string {
	if u, err := strconv.Unquote(s); err == nil {
		return u
	}
	return s
}
