package generator

import (
	"bytes"
	"context"
	"flag"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aymanbagabas/go-udiff"
	"github.com/kvgen/kvgen/generator/schema"
)

var update = flag.Bool("update", false, "rewrite the golden cases' output and error.txt from the generator's")

// goldenDir holds the golden cases, one project each (see its README.md).
var goldenDir = filepath.Join("testdata", "golden")

// The parts of a golden case that are not the generator's output.
const (
	caseSchemaDir = "schema"    // the schemas, loaded as schema/<file>
	caseErrorFile = "error.txt" // the exact error of an invalid case
)

// TestGolden runs every case in testdata/golden: the schemas of a case
// (schema/*.yaml, sorted) must produce exactly the other files of its
// directory, sqlc's output included, or, when the case has error.txt,
// exactly that error and no file. Then the golden module, which holds every
// case, is built and vetted in place.
func TestGolden(t *testing.T) {
	entries, err := os.ReadDir(goldenDir)
	if err != nil {
		t.Fatal(err)
	}
	mod, err := FindModule(".")
	if err != nil {
		t.Fatal(err)
	}
	valid := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		name, dir := e.Name(), filepath.Join(goldenDir, e.Name())
		t.Run(name, func(t *testing.T) {
			files, genErr := buildCase(t, dir, Options{ModulePath: "example.com/golden/" + name, ModuleDir: mod.Dir})
			errPath := filepath.Join(dir, caseErrorFile)
			if _, err := os.Stat(errPath); err == nil {
				checkErrorCase(t, errPath, genErr)
				checkWant(t, dir, nil)
				return
			}
			if genErr != nil {
				t.Fatalf("a valid case failed (an invalid one needs %s):\n%v", caseErrorFile, genErr)
			}
			checkWant(t, dir, files)
			valid++
		})
	}
	if valid == 0 {
		t.Fatal("no valid golden case")
	}
	vetGolden(t)
}

func buildCase(t *testing.T, dir string, opts Options) (map[string][]byte, error) {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, caseSchemaDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("%s holds no schema in %s/", dir, caseSchemaDir)
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
		// Named as `kvgen generate schema/*.yaml` in the case's root names it.
		s, err := schema.Load(path.Join(caseSchemaDir, filepath.Base(p)), data)
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

// checkWant compares the output of the case in dir with files (nil for an
// invalid case); with -update it makes it files.
func checkWant(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	want, err := caseOutput(dir)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		for p := range want {
			if err := os.Remove(filepath.Join(dir, filepath.FromSlash(p))); err != nil {
				t.Fatal(err)
			}
			removeEmptyParents(dir, path.Dir(p))
		}
		for p, content := range files {
			if err := writeFile(filepath.Join(dir, filepath.FromSlash(p)), content); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	for _, p := range slices.Sorted(maps.Keys(want)) {
		got, ok := files[p]
		switch {
		case !ok:
			t.Errorf("%s is no longer generated (go test ./generator -run TestGolden -update deletes it)", p)
		case !bytes.Equal(got, want[p]):
			t.Errorf("%s differs (go test ./generator -run TestGolden -update rewrites it):\n%s", p, udiff.Unified("want/"+p, "got/"+p, string(want[p]), string(got)))
		}
	}
	for _, p := range slices.Sorted(maps.Keys(files)) {
		if _, ok := want[p]; !ok {
			t.Errorf("%s is generated but not in %s", p, dir)
		}
	}
}

// caseOutput reads the generator's output in a case directory: every file
// but the schemas and error.txt.
func caseOutput(dir string) (map[string][]byte, error) {
	files, err := readTree(dir)
	if err != nil {
		return nil, err
	}
	maps.DeleteFunc(files, func(p string, _ []byte) bool {
		return p == caseErrorFile || strings.HasPrefix(p, caseSchemaDir+"/")
	})
	return files, nil
}

// vetGolden builds and vets the golden module in place, with the kv runtime
// and dependency versions of this repository (its go.work), offline.
func vetGolden(t *testing.T) {
	t.Helper()
	work, err := filepath.Abs(filepath.Join(goldenDir, "go.work"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(work); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"build", "./..."}, {"vet", "./..."}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = goldenDir
		cmd.Env = append(os.Environ(), "GOWORK="+work, "GOFLAGS=-mod=readonly", "GOPROXY=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("go %s in %s: %v\n%s", strings.Join(args, " "), goldenDir, err, out)
		}
	}
}
