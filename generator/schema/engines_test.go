package schema

import (
	"slices"
	"strings"
	"testing"
)

const enginesBase = `version: 1
record: Client
package: clients
table: clients
key: id
encryption: none
fields:
  id: {type: string, required: true}
`

// TestEngines: postgresql alone by default; sqlite on request, in the order
// of Engines whatever the order written.
func TestEngines(t *testing.T) {
	for _, c := range []struct {
		option string
		want   []Engine
	}{
		{"", []Engine{PostgreSQL}},
		{"engines: [postgresql]\n", []Engine{PostgreSQL}},
		{"engines: [postgresql, sqlite]\n", []Engine{PostgreSQL, SQLite}},
		{"engines: [sqlite, postgresql]\n", []Engine{PostgreSQL, SQLite}},
	} {
		s, err := Load("s.yaml", []byte(enginesBase+c.option))
		if err != nil {
			t.Fatalf("%q: %v", c.option, err)
		}
		if !slices.Equal(s.Engines, c.want) {
			t.Errorf("%q: Engines = %v, want %v", c.option, s.Engines, c.want)
		}
		if s.Uses(SQLite) != slices.Contains(c.want, SQLite) {
			t.Errorf("%q: Uses(SQLite) = %v", c.option, s.Uses(SQLite))
		}
	}
}

func TestEnginesRefused(t *testing.T) {
	for _, c := range []struct{ option, want string }{
		{"engines: [sqlite]\n", "s.yaml:9:10: engines must include postgresql"},
		{"engines: [postgresql, sqlit]\n", `s.yaml:9:23: unknown engine "sqlit" (want postgresql or sqlite); did you mean "sqlite"?`},
		{"engines: [postgresql, sqlite, sqlite]\n", `s.yaml:9:31: engine "sqlite" is named twice`},
		{"engines: sqlite\n", `s.yaml:9:10: engines must be a list such as [postgresql, sqlite], not the string "sqlite"`},
		{"engines: [postgresql, 3]\n", "s.yaml:9:23: an engine must be a string, not the integer 3"},
	} {
		_, err := Load("s.yaml", []byte(enginesBase+c.option))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want an error containing %q", c.option, err, c.want)
		}
	}
}
