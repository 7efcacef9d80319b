package generator

import (
	"slices"
	"strings"
	"testing"
)

func TestParseGoMod(t *testing.T) {
	m, err := parseGoMod("/x", []byte(`module "example.com/m" // the module
go 1.26
tool example.com/a/cmd/a
tool (
	// sqlc
	github.com/sqlc-dev/sqlc/cmd/sqlc
)
require (
	tool.example.com/x v1.0.0
	example.com/fork v1.0.0
	example.com/dir v1.0.0
	example.com/both v1.0.0
)
replace example.com/fork => example.com/forked v1.0.1
replace example.com/dir v1.0.0 => ../dir
replace (
	example.com/both v1.0.0 => example.com/exact v1.0.2
	example.com/both => example.com/any v1.0.3
)
`))
	if err != nil {
		t.Fatal(err)
	}
	if m.Path != "example.com/m" || m.GoVersion != "1.26" || !slices.Equal(m.Tools, []string{"example.com/a/cmd/a", SQLCTool}) || !m.HasTool(SQLCTool) {
		t.Errorf("got %+v", m)
	}
	for path, want := range map[string]struct {
		pin   string
		fixed bool
	}{
		"tool.example.com/x": {"v1.0.0", true},
		"example.com/fork":   {"v1.0.0 => example.com/forked v1.0.1", true},
		"example.com/dir":    {"v1.0.0 => ../dir", false},
		"example.com/both":   {"v1.0.0 => example.com/exact v1.0.2", true},
		"example.com/absent": {"", false},
	} {
		if pin, fixed := m.Pin(path); pin != want.pin || fixed != want.fixed {
			t.Errorf("Pin(%s) = %q, %v; want %q, %v", path, pin, fixed, want.pin, want.fixed)
		}
	}
}

func TestParseGoModErrors(t *testing.T) {
	for text, want := range map[string]string{
		"go 1.26\n":                         "/x/go.mod has no module directive",
		"module example.com/m\nfrob x\n":    "/x/go.mod:2: unknown directive: frob",
		"module example.com/m\nrequire (\n": "/x/go.mod:3: syntax error",
	} {
		if _, err := parseGoMod("/x", []byte(text)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseGoMod(%q) = %v; want an error containing %q", text, err, want)
		}
	}
}
