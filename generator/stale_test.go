package generator

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kvgen/kvgen/generator/schema"
)

// TestStubStaleGoFiles: under go generate (StubStaleGo) a stale Go file is
// emptied into a stub that no build sees, a stale file of another kind is
// deleted; check reports the stubs as stale, and the next run deletes them.
func TestStubStaleGoFiles(t *testing.T) {
	ctx := context.Background()
	opts := testModule(t)
	alpha := record(t, "alpha.yaml", "Alpha", "alpha", "t", "alphas")
	beta := record(t, "beta.yaml", "Beta", "beta", "t", "betas")
	if _, err := Write(ctx, []*schema.Schema{alpha, beta}, opts); err != nil {
		t.Fatal(err)
	}
	stubbing := opts
	stubbing.StubStaleGo = true
	res, err := Write(ctx, []*schema.Schema{alpha}, stubbing)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(res.Deleted, "queries/beta.queries.sql") || !slices.Contains(res.Stubbed, "generated/beta/store.go") ||
		!slices.Contains(res.Stubbed, "generated/beta/db/db.go") {
		t.Fatalf("stubbed %q, deleted %q", res.Stubbed, res.Deleted)
	}
	for _, p := range res.Deleted {
		if filepath.Ext(p) == ".go" {
			t.Errorf("%s was deleted under go generate", p)
		}
	}
	stub := mustRead(t, filepath.Join(opts.ModuleDir, "generated/beta/db/db.go"))
	if !isStub([]byte(stub)) || !strings.Contains(stub, "\npackage db\n") {
		t.Errorf("the stub of generated/beta/db/db.go:\n%s", stub)
	}
	// No build sees a stub: the packages of stubs only are gone.
	list := exec.Command("go", "list", "./...")
	list.Dir = opts.ModuleDir
	out, err := list.CombinedOutput()
	if err != nil || strings.Contains(string(out), "/beta") {
		t.Errorf("go list ./... after stubbing (%v):\n%s", err, out)
	}
	drift, err := Check(ctx, []*schema.Schema{alpha}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if drift == nil || len(drift.Files) != len(res.Stubbed) {
		t.Fatalf("check after stubbing reports %+v, want the %d stubs stale", drift, len(res.Stubbed))
	}
	// The next run deletes the stubs, under go generate too.
	res, err = Write(ctx, []*schema.Schema{alpha}, stubbing)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Stubbed) != 0 || !slices.Contains(res.Deleted, "generated/beta/store.go") {
		t.Errorf("the next run stubbed %q, deleted %q", res.Stubbed, res.Deleted)
	}
	if _, err := os.Stat(filepath.Join(opts.ModuleDir, "generated/beta")); !os.IsNotExist(err) {
		t.Errorf("generated/beta is still there (%v)", err)
	}
	if drift, err := Check(ctx, []*schema.Schema{alpha}, opts); err != nil || drift != nil {
		t.Errorf("check after the stubs were deleted: %+v, %v", drift, err)
	}
}

// TestRefuseOutputThroughSymlinkOutside: an output directory, or a file in
// it, that is a symbolic link leading outside the module is refused, and
// nothing is written there.
func TestRefuseOutputThroughSymlinkOutside(t *testing.T) {
	ctx := context.Background()
	alpha := record(t, "alpha.yaml", "Alpha", "alpha", "t", "alphas")
	for _, tc := range []struct{ link, want string }{
		{"generated", "generated is a symbolic link leading outside the module"},
		{"queries", "queries is a symbolic link leading outside the module"},
		{"generated/alpha/store.go", "generated/alpha/store.go is a symbolic link leading outside the module"},
	} {
		opts := testModule(t)
		outside := t.TempDir()
		target := outside
		if filepath.Ext(tc.link) == ".go" {
			target = filepath.Join(outside, "store.go")
			if err := os.WriteFile(target, []byte("not kvgen's\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		link := filepath.Join(opts.ModuleDir, filepath.FromSlash(tc.link))
		if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		for name, run := range map[string]func() error{
			"Write": func() error { _, err := Write(ctx, []*schema.Schema{alpha}, opts); return err },
			"Check": func() error { _, err := Check(ctx, []*schema.Schema{alpha}, opts); return err },
		} {
			if err := run(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s with %s linked outside: %v, want an error with %q", name, tc.link, err, tc.want)
			}
		}
		if entries, _ := os.ReadDir(outside); filepath.Ext(tc.link) != ".go" && len(entries) != 0 {
			t.Errorf("with %s linked outside, Write wrote %d entries there", tc.link, len(entries))
		}
		if filepath.Ext(tc.link) == ".go" {
			if got := mustRead(t, target); got != "not kvgen's\n" {
				t.Errorf("the file outside was changed: %q", got)
			}
		}
	}
	// A link that stays inside the module is followed.
	opts := testModule(t)
	if err := os.MkdirAll(filepath.Join(opts.ModuleDir, "internal", "gen"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(opts.ModuleDir, "internal", "gen"), filepath.Join(opts.ModuleDir, "generated")); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(ctx, []*schema.Schema{alpha}, opts); err != nil {
		t.Errorf("Write through a link inside the module: %v", err)
	}
}

func TestSchemaFiles(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"b.yaml", "a.yml", "c.txt", "sub/d.yaml", "empty/notes.txt"} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	at := func(name string) string { return filepath.Join(dir, filepath.FromSlash(name)) }
	got, err := SchemaFiles([]string{dir, at("*.yaml"), at("sub/d.yaml"), at("missing.yaml")})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{at("a.yml"), at("b.yaml"), at("sub/d.yaml"), at("missing.yaml")}
	if !slices.Equal(got, want) {
		t.Errorf("SchemaFiles:\n got %q\nwant %q", got, want)
	}
	for _, args := range [][]string{{at("*.json")}, {at("empty")}, {at("[")}} {
		if _, err := SchemaFiles(args); err == nil {
			t.Errorf("SchemaFiles(%q) gave no error", args)
		}
	}
}
