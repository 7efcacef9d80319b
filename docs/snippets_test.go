package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// snippetMarker precedes a ```go block of the README that is, byte for
// byte, the file it names: a package that `go vet ./...` compiles and the
// tests run, so the README shows what is tested.
var snippetMarker = regexp.MustCompile(`^<!-- readme-go: (\S+) -->$`)

// TestReadmeGoSnippets fails when a marked Go block of the README differs
// from its file, and when a file of adapters/*/example is not quoted.
func TestReadmeGoSnippets(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	quoted := map[string]bool{}
	lines := strings.SplitAfter(string(doc), "\n")
	for i, l := range lines {
		m := snippetMarker.FindStringSubmatch(strings.TrimSuffix(l, "\n"))
		if m == nil {
			continue
		}
		block, ok := goBlockAfter(lines, i+1)
		if !ok {
			t.Errorf("README.md:%d: a readme-go marker must be followed by a ```go block", i+1)
			continue
		}
		quoted[m[1]] = true
		file, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(m[1])))
		if err != nil {
			t.Errorf("README.md:%d: %v", i+1, err)
			continue
		}
		if block != string(file) {
			t.Errorf("README.md:%d: the block differs from %s: copy the file into the README", i+1, m[1])
		}
	}
	examples, err := filepath.Glob(filepath.Join(repoRoot, "adapters", "*", "example", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	if len(examples) == 0 {
		t.Fatal("no adapters/*/example/*.go: the snippets moved?")
	}
	for _, f := range examples {
		rel, err := filepath.Rel(repoRoot, f)
		if err != nil {
			t.Fatal(err)
		}
		if rel = filepath.ToSlash(rel); !quoted[rel] {
			t.Errorf("%s is not in the README: quote it after <!-- readme-go: %s -->", rel, rel)
		}
	}
}

// goBlockAfter returns the body of the ```go block that starts at
// lines[start].
func goBlockAfter(lines []string, start int) (string, bool) {
	if start >= len(lines) || strings.TrimSuffix(lines[start], "\n") != "```go" {
		return "", false
	}
	var body strings.Builder
	for _, l := range lines[start+1:] {
		if strings.TrimSuffix(l, "\n") == "```" {
			return body.String(), true
		}
		body.WriteString(l)
	}
	return "", false
}
