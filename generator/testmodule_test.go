package generator

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"
)

// compileCases builds and vets generated trees (case name → files) in one
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
			t.Errorf("go %s of the generated output: %v\n%s", strings.Join(args, " "), err, out)
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
