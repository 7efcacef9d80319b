package generator

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aymanbagabas/go-udiff"
	"github.com/kvgen/kvgen/generator/schema"
	"golang.org/x/mod/modfile"
)

var update = flag.Bool("update", false, "rewrite golden/*/want and golden/*/error.txt from the generator's output")

// TestGolden runs every case in golden/: the schemas of a case (its *.yaml,
// loaded under their file names, sorted) must produce exactly the files in
// want/, sqlc's output included, or, when the case has error.txt, exactly
// that error. The output of the valid cases is then compiled and vetted,
// together, in one temporary module.
func TestGolden(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join("..", "golden"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []string
	for _, e := range entries {
		if e.IsDir() {
			cases = append(cases, filepath.Join("..", "golden", e.Name()))
		}
	}
	if len(cases) == 0 {
		t.Fatal("no golden cases")
	}
	mod, err := FindModule(".")
	if err != nil {
		t.Fatal(err)
	}
	built := map[string]map[string][]byte{} // valid case → its files
	for _, dir := range cases {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			files, genErr := buildCase(t, dir, Options{ModulePath: "example.com/golden/" + name, ModuleDir: mod.Dir, OutDir: "generated"})
			errPath := filepath.Join(dir, "error.txt")
			if _, err := os.Stat(errPath); err == nil {
				checkErrorCase(t, errPath, genErr)
				return
			}
			if genErr != nil {
				t.Fatalf("a valid case failed (an invalid one needs error.txt):\n%v", genErr)
			}
			checkWant(t, filepath.Join(dir, "want"), files)
			built[name] = files
		})
	}
	if len(built) == 0 {
		t.Fatal("no valid golden case")
	}
	compileCases(t, mod.Dir, built)
}

func buildCase(t *testing.T, dir string, opts Options) (map[string][]byte, error) {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("%s holds no schema", dir)
	}
	var (
		schemas []*schema.Schema
		errs    []error
	)
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s, err := schema.Load(filepath.Base(p), data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		schemas = append(schemas, s)
	}
	if err := joinErrors(errs); err != nil {
		return nil, err
	}
	return Build(context.Background(), schemas, opts)
}

func checkErrorCase(t *testing.T, errPath string, got error) {
	t.Helper()
	if got == nil {
		t.Fatalf("generated without error; want the error of %s", errPath)
	}
	text := got.Error() + "\n"
	if *update {
		if err := os.WriteFile(errPath, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(errPath)
	if err != nil {
		t.Fatal(err)
	}
	if text != string(want) {
		t.Errorf("error differs from %s:\n%s", errPath, udiff.Unified("want", "got", string(want), text))
	}
}

func checkWant(t *testing.T, wantDir string, files map[string][]byte) {
	t.Helper()
	if *update {
		if err := os.RemoveAll(wantDir); err != nil {
			t.Fatal(err)
		}
		for p, content := range files {
			if err := writeFile(filepath.Join(wantDir, filepath.FromSlash(p)), content); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	want, err := readTree(wantDir)
	if err != nil {
		t.Fatalf("%v (run go test ./generator -run TestGolden -update)", err)
	}
	for _, p := range slices.Sorted(maps.Keys(want)) {
		got, ok := files[p]
		switch {
		case !ok:
			t.Errorf("%s is no longer generated", p)
		case !bytes.Equal(got, want[p]):
			t.Errorf("%s differs (go test ./generator -run TestGolden -update rewrites it):\n%s", p, udiff.Unified("want/"+p, "got/"+p, string(want[p]), string(got)))
		}
	}
	for _, p := range slices.Sorted(maps.Keys(files)) {
		if _, ok := want[p]; !ok {
			t.Errorf("%s is generated but not in %s", p, wantDir)
		}
	}
}

// compileCases builds and vets the output of every valid case in one
// temporary module example.com/golden, each case in its own directory, with
// this repository's kv runtime and dependency versions, offline.
func compileCases(t *testing.T, repoDir string, cases map[string]map[string][]byte) {
	t.Helper()
	dir := t.TempDir()
	for name, files := range cases {
		for p, content := range files {
			if err := writeFile(filepath.Join(dir, name, filepath.FromSlash(p)), content); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := writeTestModule(dir, "example.com/golden", repoDir, false); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"build", "./..."}, {"vet", "./..."}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("go %s of the golden output: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// writeTestModule writes go.mod and go.sum of a module that uses this
// repository (replaced by its directory) with the same dependency versions,
// so that it builds from the module cache alone. withSQLC adds sqlc as a tool.
func writeTestModule(dir, modulePath, repoDir string, withSQLC bool) error {
	repo, err := FindModule(repoDir)
	if err != nil {
		return err
	}
	goSum, err := os.ReadFile(filepath.Join(repoDir, "go.sum"))
	if err != nil {
		return err
	}
	f := new(modfile.File)
	errs := []error{f.AddModuleStmt(modulePath), f.AddGoStmt(repo.GoVersion)}
	if withSQLC {
		errs = append(errs, f.AddTool(SQLCTool))
	}
	f.AddNewRequire(repo.Path, "v0.0.0", false)
	for _, r := range repo.file.Require {
		f.AddNewRequire(r.Mod.Path, r.Mod.Version, r.Indirect)
	}
	errs = append(errs, f.AddReplace(repo.Path, "", repoDir, ""))
	if err := errors.Join(errs...); err != nil {
		return err
	}
	goMod, err := f.Format()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), goMod, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "go.sum"), goSum, 0o644)
}
