package generator

import (
	"context"
	"io/fs"
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

// TestGeneratedDirectoriesHoldOnlyGeneratedFiles keeps this repository's
// generated packages free of hand-written files, tests included (those live
// in internal/storetest): every file there starts with kvgen's or sqlc's
// header, so regenerating owns all of it.
func TestGeneratedDirectoriesHoldOnlyGeneratedFiles(t *testing.T) {
	mod, err := FindModule(".")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, dir := range []string{"generated", "internal/goonly/fieldsclients"} {
		err := filepath.WalkDir(filepath.Join(mod.Dir, filepath.FromSlash(dir)), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			n++
			switch header, err := firstLine(p); {
			case err != nil:
				return err
			case header != headerGo && header != headerSQLC:
				rel, _ := filepath.Rel(mod.Dir, p)
				t.Errorf("%s is not generated (its first line is %q); hand-written code belongs elsewhere, tests in internal/storetest", filepath.ToSlash(rel), header)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n < 10 {
		t.Fatalf("found only %d files in the generated directories", n)
	}
}
