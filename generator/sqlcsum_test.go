package generator

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kvgen/kvgen/generator/schema"
)

// sqlcOutputs are the files sqlc writes for the record alpha.
var sqlcOutputs = []string{"generated/alpha/db/alpha.queries.sql.go", "generated/alpha/db/db.go", "generated/alpha/db/models.go"}

// writeOnce writes alpha into a new test module, running sqlc.
func writeOnce(t *testing.T) (Options, *schema.Schema) {
	t.Helper()
	opts := testModule(t)
	alpha := record(t, "alpha.yaml", "Alpha", "alpha", "t", "alphas")
	res, err := Write(context.Background(), []*schema.Schema{alpha}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.SQLCSkipped {
		t.Fatal("the first run skipped sqlc")
	}
	if !slices.Contains(res.Written, "sqlc.sum") {
		t.Fatalf("sqlc.sum not written; wrote %q", res.Written)
	}
	return opts, alpha
}

// withoutGo runs f with a PATH that holds neither go nor sqlc, so that
// starting sqlc fails: f succeeding proves that sqlc did not run.
func withoutGo(t *testing.T, f func()) {
	t.Helper()
	saved := os.Getenv("PATH")
	t.Setenv("PATH", t.TempDir())
	f()
	t.Setenv("PATH", saved)
}

func TestWriteSkipsSQLCWhenItsInputsAndOutputsAreUnchanged(t *testing.T) {
	ctx := context.Background()
	opts, alpha := writeOnce(t)
	old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, p := range sqlcOutputs {
		if err := os.Chtimes(filepath.Join(opts.ModuleDir, p), old, old); err != nil {
			t.Fatal(err)
		}
	}
	withoutGo(t, func() {
		res, err := Write(ctx, []*schema.Schema{alpha}, opts)
		if err != nil {
			t.Fatalf("sqlc was started: %v", err)
		}
		if !res.SQLCSkipped || len(res.Written)+len(res.Deleted) != 0 {
			t.Errorf("second run: %+v; want sqlc skipped and nothing written", res)
		}
	})
	for _, p := range sqlcOutputs {
		if info, err := os.Stat(filepath.Join(opts.ModuleDir, p)); err != nil || !info.ModTime().Equal(old) {
			t.Errorf("%s was rewritten", p)
		}
	}
	if drift, err := Check(ctx, []*schema.Schema{alpha}, opts); err != nil || drift != nil {
		t.Errorf("Check after a skipping Write: %+v, %v", drift, err)
	}
}

func TestWriteRunsSQLCWhenTheSchemaChanges(t *testing.T) {
	ctx := context.Background()
	opts, _ := writeOnce(t)
	// An indexed field changes the DDL and the queries, and with them sqlc's output.
	indexed := record(t, "alpha.yaml", "Alpha", "alpha", "t", "alphas", "sw: {type: string, indexed: true}")
	res, err := Write(ctx, []*schema.Schema{indexed}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.SQLCSkipped || !slices.Contains(res.Written, "generated/alpha/db/alpha.queries.sql.go") {
		t.Errorf("sqlc skipped = %v, wrote %q; want sqlc run and its queries rewritten", res.SQLCSkipped, res.Written)
	}
	if drift, err := Check(ctx, []*schema.Schema{indexed}, opts); err != nil || drift != nil {
		t.Errorf("Check: %+v, %v", drift, err)
	}
}

func TestWriteRunsSQLCWhenGoModPinsAnotherVersion(t *testing.T) {
	opts, alpha := writeOnce(t)
	goMod := filepath.Join(opts.ModuleDir, "go.mod")
	text := mustRead(t, goMod)
	if !strings.Contains(text, "github.com/sqlc-dev/sqlc "+SQLCVersion) {
		t.Fatalf("go.mod does not require sqlc %s:\n%s", SQLCVersion, text)
	}
	text = strings.Replace(text, "github.com/sqlc-dev/sqlc "+SQLCVersion, "github.com/sqlc-dev/sqlc v1.31.0", 1)
	if err := os.WriteFile(goMod, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	// v1.31.0 is not in the module cache (nor in go.sum) and the proxy is
	// off: the run fails, which shows that sqlc was started.
	_, err := Write(context.Background(), []*schema.Schema{alpha}, opts)
	if err == nil || !strings.Contains(err.Error(), "tool sqlc generate") {
		t.Errorf("err = %v; want `go tool sqlc` failing to build sqlc v1.31.0", err)
	}
}

func TestHandEditedSQLCOutput(t *testing.T) {
	ctx := context.Background()
	opts, alpha := writeOnce(t)
	models := filepath.Join(opts.ModuleDir, "generated", "alpha", "db", "models.go")
	want := mustRead(t, models)
	edited := want + "\n// edited by hand\n"
	if err := os.WriteFile(models, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}

	drift, err := Check(ctx, []*schema.Schema{alpha}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if drift == nil || len(drift.Files) != 1 || drift.Files[0].Path != "generated/alpha/db/models.go" {
		t.Errorf("Check reported %+v; want models.go changed", drift)
	}

	// Even with sqlc.sum forged to match, Check runs sqlc and sees the edit.
	sum := filepath.Join(opts.ModuleDir, "sqlc.sum")
	original := mustRead(t, sum)
	forged := strings.Replace(original, sha256Hex(want), sha256Hex(edited), 1)
	if forged == original {
		t.Fatal("sqlc.sum does not record models.go")
	}
	if err := os.WriteFile(sum, []byte(forged), 0o644); err != nil {
		t.Fatal(err)
	}
	drift, err = Check(ctx, []*schema.Schema{alpha}, opts)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range drift.Files {
		got = append(got, string(f.Kind)+" "+f.Path)
	}
	if want := []string{"changed generated/alpha/db/models.go", "changed sqlc.sum"}; !slices.Equal(got, want) {
		t.Errorf("Check with a forged sqlc.sum reported %q, want %q", got, want)
	}

	// Without the forgery, generate sees the edit and runs sqlc.
	if err := os.WriteFile(sum, []byte(original), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Write(ctx, []*schema.Schema{alpha}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.SQLCSkipped || !slices.Equal(res.Written, []string{"generated/alpha/db/models.go"}) {
		t.Errorf("Write: %+v; want sqlc run and models.go rewritten", res)
	}
	if got := mustRead(t, models); got != want {
		t.Errorf("models.go after Write:\n%s", got)
	}
}

// TestReuseSQLCOutputs takes each thing sqlc's output depends on in turn:
// changing any of them, or any of the outputs, makes sqlc run.
func TestReuseSQLCOutputs(t *testing.T) {
	opts, alpha := writeOnce(t)
	opts, err := opts.normalized()
	if err != nil {
		t.Fatal(err)
	}
	generated, err := Generate([]*schema.Schema{alpha}, opts)
	if err != nil {
		t.Fatal(err)
	}
	read := sqlcInputs(generated)
	if want := []string{"queries/alpha.queries.sql", "queries/t.schema.sql", "sqlc.yaml"}; !slices.Equal(slices.Sorted(maps.Keys(read)), want) {
		t.Fatalf("sqlc's inputs are %q, want %q", slices.Sorted(maps.Keys(read)), want)
	}
	mod, err := FindModule(opts.ModuleDir)
	if err != nil {
		t.Fatal(err)
	}
	sqlc, pinned := sqlcIdentity(mod)
	if want := "github.com/sqlc-dev/sqlc " + SQLCVersion; sqlc != want || !pinned {
		t.Fatalf("sqlc is %q (pinned %v), want %q", sqlc, pinned, want)
	}
	wrote, ok := reuseSQLCOutputs(opts, sqlc, read)
	if !ok || !slices.Equal(slices.Sorted(maps.Keys(wrote)), sqlcOutputs) {
		t.Fatalf("nothing changed, yet the outputs are not reused: %q, %v", slices.Sorted(maps.Keys(wrote)), ok)
	}

	for p := range read {
		changed := maps.Clone(read)
		changed[p] = append(bytes.Clone(read[p]), '\n')
		if _, ok := reuseSQLCOutputs(opts, sqlc, changed); ok {
			t.Errorf("%s changed, yet the outputs are reused", p)
		}
	}
	if _, ok := reuseSQLCOutputs(opts, "github.com/sqlc-dev/sqlc v1.31.0", read); ok {
		t.Error("another sqlc, yet the outputs are reused")
	}
	for _, p := range sqlcOutputs {
		full := filepath.Join(opts.ModuleDir, filepath.FromSlash(p))
		content := mustRead(t, full)
		if err := os.Remove(full); err != nil {
			t.Fatal(err)
		}
		if _, ok := reuseSQLCOutputs(opts, sqlc, read); ok {
			t.Errorf("%s deleted, yet the outputs are reused", p)
		}
		if err := os.WriteFile(full, []byte(strings.Replace(content, "package db", "package  db", 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, ok := reuseSQLCOutputs(opts, sqlc, read); ok {
			t.Errorf("%s edited, yet the outputs are reused", p)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSQLCSumRefusesPathsOutsideTheDBDirectories: a hand-edited sqlc.sum
// cannot make Write take a file elsewhere in the module for sqlc's output.
func TestSQLCSumRefusesPathsOutsideTheDBDirectories(t *testing.T) {
	opts, err := Options{ModulePath: "m", OutDir: "out"}.normalized()
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{
		"out/alpha/db/db.go":        true,
		"out/alpha/db/x.sql.go":     true,
		"out/alpha/store.go":        false,
		"out/alpha/db/../../go.mod": false,
		"out/alpha/db/sub/db.go":    false,
		"go.mod":                    false,
		"out/./alpha/db/db.go":      false,
		"../out/alpha/db/db.go":     false,
	} {
		if got := isSQLCOutput(opts, p); got != want {
			t.Errorf("isSQLCOutput(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestSQLCIdentity(t *testing.T) {
	for goMod, want := range map[string]string{
		"module m\ntool " + SQLCTool + "\nrequire github.com/sqlc-dev/sqlc v1.31.1\n":                                           "github.com/sqlc-dev/sqlc v1.31.1 pinned",
		"module m\ntool " + SQLCTool + "\nrequire github.com/sqlc-dev/sqlc v1.31.1\nreplace github.com/sqlc-dev/sqlc => ../s\n": "github.com/sqlc-dev/sqlc v1.31.1 => ../s unpinned",
		"module m\ntool " + SQLCTool + "\n":                    "github.com/sqlc-dev/sqlc (not required by go.mod) unpinned",
		"module m\nrequire github.com/sqlc-dev/sqlc v1.31.1\n": "from PATH unpinned",
	} {
		m, err := parseGoMod("/x", []byte(goMod))
		if err != nil {
			t.Fatal(err)
		}
		id, pinned := sqlcIdentity(m)
		got := id + map[bool]string{true: " pinned", false: " unpinned"}[pinned]
		if got != want {
			t.Errorf("go.mod %q: %q, want %q", goMod, got, want)
		}
	}
}

func sha256Hex(s string) string {
	return fmt.Sprintf("%x", sha256.Sum256([]byte(s)))
}
