package generator

import (
	"os/exec"
	"strings"
	"testing"
)

// TestRepoGoGenerateDirectives: `go generate ./...` in this repository runs
// only the //go:generate lines meant as such. The go command takes every
// line starting with the directive for one, even inside a raw string (as
// kvgen.go's template once was), and then fails to run "%s".
func TestRepoGoGenerateDirectives(t *testing.T) {
	repo, err := FindModule(".")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "generate", "-n", "./...")
	cmd.Dir = repo.Dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go generate -n ./...: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	for _, l := range lines {
		if !strings.HasPrefix(l, "go run ") {
			t.Errorf("go generate ./... would run %q, which is no directive of this repository", l)
		}
	}
	if len(lines) != 3 {
		t.Errorf("go generate ./... would run %d commands, want 3 (cmd/kvgen's, bench's and internal/goonly's):\n%s", len(lines), out)
	}
}
