package generator

import (
	"os/exec"
	"strings"
	"testing"
)

// TestGeneratorImportsNoRuntimeMachinery: kvgen, the command and its
// generator, depends on no part of kv/kvimpl, the machinery that generated
// code calls, so that the runtime's internals can change without the
// generator. What both need (the words of an encryption mode) lives where
// both read it.
func TestGeneratorImportsNoRuntimeMachinery(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/kvgen/kvgen/cmd/kvgen").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 20 {
		t.Fatalf("go list -deps listed %d packages: %q", len(deps), deps)
	}
	for _, p := range deps {
		if p == "github.com/kvgen/kvgen/kv/kvimpl" || strings.HasPrefix(p, "github.com/kvgen/kvgen/kv/kvimpl/") {
			t.Errorf("kvgen imports %s", p)
		}
	}
}
