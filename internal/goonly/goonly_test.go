package goonly_test

import (
	"context"
	"testing"

	"github.com/kvgen/kvgen/generator"
)

// TestGoOnlyUpToDate is `kvgen check` on internal/goonly: the committed
// fieldsclients package, its queries and sqlc.yaml must be what the current
// generator makes of fieldsclients.yaml (run go generate ./internal/goonly).
func TestGoOnlyUpToDate(t *testing.T) {
	mod, err := generator.FindModule(".")
	if err != nil {
		t.Fatal(err)
	}
	schemas, err := generator.LoadSchemas([]string{"fieldsclients.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	drift, err := generator.Check(context.Background(), schemas, generator.Options{
		ModulePath: mod.Path, ModuleDir: mod.Dir,
		OutDir: "internal/goonly", QueriesDir: "internal/goonly/queries", SQLCConfig: "internal/goonly/sqlc.yaml",
	})
	if err != nil {
		t.Fatal(err)
	}
	if drift != nil {
		t.Fatalf("internal/goonly is out of date (go generate ./internal/goonly):\n%s\n%s", drift.Diff(), drift.Summary())
	}
}
