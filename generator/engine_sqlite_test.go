package generator

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kvgen/kvgen/generator/schema"
)

// sqliteRecord is record with engine sqlite named or not.
func sqliteRecord(t *testing.T, sqlite bool) *schema.Schema {
	t.Helper()
	engines := "engines: [postgresql]\n"
	if sqlite {
		engines = "engines: [postgresql, sqlite]\n"
	}
	return load(t, "alpha.yaml", "version: 1\nrecord: Alpha\npackage: alpha\ntable: t\nkey: id\nencryption: none\n"+engines+
		"fields:\n  id: {type: string, required: true}\n  sw: {type: string, indexed: true}\n")
}

// TestSQLiteOutputs: engine sqlite adds its DDL, queries, sqlc entry and
// sqlite.go beside the PostgreSQL outputs, which stay as they were without
// it but for store.go's docs, which name SQLite.
func TestSQLiteOutputs(t *testing.T) {
	without, err := Generate([]*schema.Schema{sqliteRecord(t, false)}, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	with, err := Generate([]*schema.Schema{sqliteRecord(t, true)}, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	var added []string
	for p, content := range with {
		old, ok := without[p]
		switch {
		case !ok:
			added = append(added, p)
		case p == "generated/alpha/store.go":
			if string(old) != withoutSQLiteDocs(string(content)) || string(old) == string(content) {
				t.Errorf("%s differs with engine sqlite beyond its docs naming SQLite", p)
			}
		case p != "sqlc.yaml" && string(old) != string(content):
			t.Errorf("%s differs with engine sqlite", p)
		}
	}
	slices.Sort(added)
	want := []string{"generated/alpha/sqlite.go", "queries/alpha.sqlite.queries.sql", "queries/t.sqlite.schema.sql"}
	if !slices.Equal(added, want) {
		t.Errorf("engine sqlite adds %q, want %q", added, want)
	}
	config := string(with["sqlc.yaml"])
	for _, frag := range []string{"  - engine: sqlite\n", "package: sqlitedb\n", "out: generated/alpha/sqlitedb\n"} {
		if !strings.Contains(config, frag) {
			t.Errorf("sqlc.yaml lacks %q:\n%s", frag, config)
		}
	}
	if strings.Count(config, "sql_package: pgx/v5") != 1 {
		t.Errorf("sqlc.yaml: want pgx/v5 for the postgresql entry only:\n%s", config)
	}
}

// TestCheckCoversSQLiteOutputs: kvgen check sees an edited or missing
// SQLite output, sqlc's sqlitedb code included, and Write deletes them all
// once the schema drops the engine.
func TestCheckCoversSQLiteOutputs(t *testing.T) {
	ctx := context.Background()
	opts := testModule(t)
	s := sqliteRecord(t, true)
	if _, err := Write(ctx, []*schema.Schema{s}, opts); err != nil {
		t.Fatal(err)
	}
	at := func(p string) string { return filepath.Join(opts.ModuleDir, filepath.FromSlash(p)) }
	queries := "generated/alpha/sqlitedb/alpha.sqlite.queries.sql.go"
	code, err := os.ReadFile(at(queries))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(at(queries), []byte(strings.Replace(string(code), "unixepoch('subsec')", "unixepoch()", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(at("queries/t.sqlite.schema.sql")); err != nil {
		t.Fatal(err)
	}
	drift, err := Check(ctx, []*schema.Schema{s}, opts)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range drift.Files {
		got = append(got, string(f.Kind)+" "+f.Path)
	}
	if want := []string{"changed " + queries, "missing queries/t.sqlite.schema.sql"}; !slices.Equal(got, want) {
		t.Errorf("drift:\n got %q\nwant %q", got, want)
	}

	res, err := Write(ctx, []*schema.Schema{sqliteRecord(t, false)}, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"generated/alpha/sqlite.go", queries, "generated/alpha/sqlitedb/db.go", "queries/alpha.sqlite.queries.sql"} {
		if !slices.Contains(res.Deleted, p) {
			t.Errorf("dropping engine sqlite did not delete %s (deleted %q)", p, res.Deleted)
		}
	}
	if _, err := os.Stat(at("generated/alpha/sqlitedb")); !os.IsNotExist(err) {
		t.Errorf("the sqlitedb directory is still there: %v", err)
	}
}

// TestWriteSkipsSQLCWithSQLite: sqlc.sum covers the sqlitedb package too,
// so a second generate with nothing changed does not start sqlc.
func TestWriteSkipsSQLCWithSQLite(t *testing.T) {
	ctx := context.Background()
	opts := testModule(t)
	s := sqliteRecord(t, true)
	if _, err := Write(ctx, []*schema.Schema{s}, opts); err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(opts.ModuleDir, "sqlc.sum"))
	if err != nil || !strings.Contains(string(sum), " generated/alpha/sqlitedb/db.go\n") {
		t.Fatalf("sqlc.sum does not list the sqlitedb package (%v):\n%s", err, sum)
	}
	withoutGo(t, func() {
		res, err := Write(ctx, []*schema.Schema{s}, opts)
		if err != nil {
			t.Fatalf("sqlc was started: %v", err)
		}
		if !res.SQLCSkipped || len(res.Written)+len(res.Deleted) != 0 {
			t.Errorf("second run: %+v; want sqlc skipped and nothing written", res)
		}
	})
}

// withoutSQLiteDocs removes what the package and Store docs say of SQLite.
func withoutSQLiteDocs(storeGo string) string {
	storeGo = strings.Replace(storeGo, "in the same table in SQLite, ", "", 1)
	return strings.Replace(storeGo, "in SQLite (NewSQLite), ", "", 1)
}
