package generator

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kvgen/kvgen/generator/schema"
)

// testModule makes a temporary module that runs this repository's sqlc
// (`go tool sqlc`) offline, and returns options generating into it.
func testModule(t *testing.T) Options {
	t.Helper()
	repo, err := FindModule(".")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := writeTestModule(dir, "example.com/w", repo.Dir, true); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOFLAGS", "-mod=mod")
	t.Setenv("GOPROXY", "off")
	return Options{ModulePath: "example.com/w", ModuleDir: dir}
}

func TestWriteOnlyChangesAndDeletesWhatItGenerated(t *testing.T) {
	ctx := context.Background()
	opts := testModule(t)
	alpha := record(t, "alpha.yaml", "Alpha", "alpha", "t", "alphas", "sw: {type: string, indexed: true}")
	beta := record(t, "beta.yaml", "Beta", "beta", "t", "betas")

	res, err := Write(ctx, []*schema.Schema{alpha, beta}, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"sqlc.yaml", "queries/t.schema.sql", "queries/alpha.queries.sql", "queries/beta.queries.sql",
		"generated/alpha/db/db.go", "generated/alpha/db/models.go", "generated/alpha/db/alpha.queries.sql.go", "generated/beta/db/db.go"} {
		if !slices.Contains(res.Written, p) {
			t.Errorf("%s not written; wrote %q", p, res.Written)
		}
	}
	// A file of someone else's in a generated directory.
	mine := filepath.Join(opts.ModuleDir, "generated", "beta", "handwritten.go")
	if err := os.WriteFile(mine, []byte("package beta\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	// Unchanged files are not rewritten: their modification time stays.
	old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, p := range res.Written {
		if err := os.Chtimes(filepath.Join(opts.ModuleDir, p), old, old); err != nil {
			t.Fatal(err)
		}
	}
	again, err := Write(ctx, []*schema.Schema{beta, alpha}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Written)+len(again.Deleted) != 0 {
		t.Errorf("a second run changed %q and deleted %q", again.Written, again.Deleted)
	}
	for _, p := range res.Written {
		if info, err := os.Stat(filepath.Join(opts.ModuleDir, p)); err != nil || !info.ModTime().Equal(old) {
			t.Errorf("%s was rewritten", p)
		}
	}

	// Dropping beta deletes its output and nothing else. What names the
	// schemas of the run is rewritten: sqlc.yaml (and sqlc.sum, the digest
	// of sqlc's inputs), the header of the table the records shared, and the
	// command in alpha's package doc.
	res, err = Write(ctx, []*schema.Schema{alpha}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"generated/alpha/store.go", "queries/t.schema.sql", "sqlc.sum", "sqlc.yaml"}; !slices.Equal(res.Written, want) {
		t.Errorf("wrote %q, want only %q", res.Written, want)
	}
	for _, p := range []string{"generated/beta/db/beta.queries.sql.go", "generated/beta/db/db.go", "generated/beta/db/models.go", "queries/beta.queries.sql"} {
		if !slices.Contains(res.Deleted, p) {
			t.Errorf("%s not deleted; deleted %q", p, res.Deleted)
		}
	}
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("a hand-written file was touched: %v", err)
	}
	if _, err := os.Stat(filepath.Join(opts.ModuleDir, "generated", "beta", "db")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the emptied directory generated/beta/db remains: %v", err)
	}
	if drift, err := Check(ctx, []*schema.Schema{alpha}, opts); err != nil || drift != nil {
		t.Errorf("Check after Write: %+v, %v", drift, err)
	}
}

func TestCheckReportsChangedMissingAndStale(t *testing.T) {
	ctx := context.Background()
	opts := testModule(t)
	alpha := record(t, "alpha.yaml", "Alpha", "alpha", "t", "alphas")
	if _, err := Write(ctx, []*schema.Schema{alpha}, opts); err != nil {
		t.Fatal(err)
	}
	at := func(p string) string { return filepath.Join(opts.ModuleDir, filepath.FromSlash(p)) }
	ddl, err := os.ReadFile(at("queries/t.schema.sql"))
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(ddl), "value JSONB NOT NULL", "value JSON NOT NULL", 1)
	for p, content := range map[string]string{
		"queries/t.schema.sql":           edited,
		"queries/gone.queries.sql":       headerSQL + "\nSELECT 1;\n",
		"generated/alpha/db/old.sql.go":  headerSQLC + "\npackage db\n",
		"generated/alpha/notes_by_me.go": "package alpha\n", // not generated: no drift
	} {
		if err := os.WriteFile(at(p), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Remove(at("generated/alpha/db/models.go")); err != nil {
		t.Fatal(err)
	}

	drift, err := Check(ctx, []*schema.Schema{alpha}, Options{ModulePath: opts.ModulePath, ModuleDir: opts.ModuleDir, SQLCConfig: "./sqlc.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if drift == nil {
		t.Fatal("no drift reported")
	}
	var got []string
	for _, f := range drift.Files {
		got = append(got, string(f.Kind)+" "+f.Path)
	}
	want := []string{"missing generated/alpha/db/models.go", "stale generated/alpha/db/old.sql.go", "stale queries/gone.queries.sql", "changed queries/t.schema.sql"}
	if !slices.Equal(got, want) {
		t.Errorf("drift:\n got %q\nwant %q", got, want)
	}
	diff := drift.Diff()
	for _, frag := range []string{
		"--- a/queries/t.schema.sql\n+++ b/queries/t.schema.sql\n",
		"-  value JSON NOT NULL,\n+  value JSONB NOT NULL,\n",
		"deleted file queries/gone.queries.sql (2 lines)\n",
		"new file generated/alpha/db/models.go (",
	} {
		if !strings.Contains(diff, frag) {
			t.Errorf("diff lacks %q:\n%s", frag, diff)
		}
	}
	// A file created or deleted is one line, not its whole text.
	if strings.Contains(diff, "SELECT 1;") || strings.Contains(diff, "package db") {
		t.Errorf("the diff shows the text of a file created or deleted:\n%s", diff)
	}
	if summary := drift.Summary(); !strings.Contains(summary, "4 generated files are out of date") ||
		!strings.Contains(summary, "`go tool kvgen generate alpha.yaml`") {
		t.Errorf("summary:\n%s", summary)
	}
}

func TestRunSQLCReportsSQLCErrors(t *testing.T) {
	opts := testModule(t)
	dir := opts.ModuleDir
	files := map[string]string{
		"sqlc.yaml":       "version: \"2\"\nsql:\n  - engine: postgresql\n    schema: s.sql\n    queries: q.sql\n    gen:\n      go: {package: db, out: db}\n",
		"s.sql":           "CREATE TABLE t (a int);\n",
		"q.sql":           "-- name: Bad :one\nSELECT nope FROM t;\n",
		"subdir/.keep":    "",
		"subdir/readme.1": "",
	}
	for p, content := range files {
		if err := writeFile(filepath.Join(dir, p), []byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	err := RunSQLC(context.Background(), filepath.Join(dir, "subdir"), filepath.Join(dir, "sqlc.yaml"))
	if err == nil || !strings.Contains(err.Error(), `column "nope" does not exist`) {
		t.Errorf("err = %v; want sqlc's message", err)
	}
}

func TestRunSQLCWithoutSQLC(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/nosqlc\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", t.TempDir())
	if err := RunSQLC(context.Background(), dir, "sqlc.yaml"); !errors.Is(err, ErrNoSQLC) || !strings.Contains(err.Error(), "go get -tool github.com/sqlc-dev/sqlc/cmd/sqlc@v1.31.1") {
		t.Errorf("err = %v; want ErrNoSQLC with the install command", err)
	}
}
