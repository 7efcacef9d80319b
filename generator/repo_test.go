package generator

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/kvgen/kvgen/generator/schema"
)

// TestRepoOutputUpToDate is `kvgen check schema/*.yaml` on this repository:
// the committed generated/, queries/ and sqlc.yaml must be what the schemas
// and the current generator produce.
func TestRepoOutputUpToDate(t *testing.T) {
	mod, err := FindModule(".")
	if err != nil {
		t.Fatal(err)
	}
	paths, err := filepath.Glob(filepath.Join(mod.Dir, "schema", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no schema in schema/")
	}
	var schemas []*schema.Schema
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s, err := schema.Load("schema/"+filepath.Base(p), data) // named as from the root, as the fix command runs
		if err != nil {
			t.Fatal(err)
		}
		schemas = append(schemas, s)
	}
	drift, err := Check(context.Background(), schemas, Options{ModulePath: mod.Path, ModuleDir: mod.Dir})
	if err != nil {
		t.Fatal(err)
	}
	if drift != nil {
		t.Fatalf("the committed output is out of date:\n%s\n%s", drift.Diff(), drift.Summary())
	}
}
