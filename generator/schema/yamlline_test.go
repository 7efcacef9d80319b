package schema

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestYAMLErrorAtTheLineAtFault: a block-collection error deep in a file
// (an outdented field) is reported at the line at fault, not at the start
// of the block yaml.v3 names.
func TestYAMLErrorAtTheLineAtFault(t *testing.T) {
	data, err := os.ReadFile("../../schema/oauth_clients.yaml")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	at := -1
	for i, l := range lines {
		if l == "  issuer:\n" {
			at = i
		}
	}
	if at < 100 {
		t.Fatalf("the repository's schema has no field issuer deep in it (line %d)", at+1)
	}
	lines[at] = " issuer:\n" // outdented by one space
	_, err = Load("s.yaml", []byte(strings.Join(lines, "")))
	want := "s.yaml:" + strconv.Itoa(at+1) + ":2: invalid YAML: did not find expected key"
	if err == nil || err.Error() != want {
		t.Errorf("Load of an outdented field: %v\nwant %s", err, want)
	}

	for _, tc := range []struct{ schema, want string }{
		{"version: 1\nfields:\n  a: 1\n  b: 2\n c: 3\n", "t.yaml:5:2: invalid YAML: did not find expected key"},
		{"# a comment\nversion: 1\nfields:\n  - a\n  - b\n c\n", "t.yaml:6:2: invalid YAML: did not find expected key"},
	} {
		if _, err := Load("t.yaml", []byte(tc.schema)); err == nil || err.Error() != tc.want {
			t.Errorf("Load(%q): %v\nwant %s", tc.schema, err, tc.want)
		}
	}
}
