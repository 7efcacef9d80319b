package schema

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the error.txt of the golden invalid-* cases from the loader's output")

// TestGoldenErrors loads the schema of every golden invalid-* case
// (generator/testdata/golden/invalid-*/schema/schema.yaml) as the file
// schema/schema.yaml, as the generator's TestGolden does, and compares the
// errors with the case's error.txt.
func TestGoldenErrors(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "testdata", "golden", "invalid-*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no golden invalid-* cases found")
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, "schema", "schema.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			_, loadErr := Load("schema/schema.yaml", data)
			if loadErr == nil {
				t.Fatal("Load accepted an invalid schema")
			}
			got := loadErr.Error() + "\n"
			wantPath := filepath.Join(dir, "error.txt")
			if *update {
				if err := os.WriteFile(wantPath, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(wantPath)
			if err != nil {
				t.Fatalf("%v (run go test ./generator/schema -run TestGoldenErrors -update)", err)
			}
			if got != string(want) {
				t.Errorf("errors differ from %s\ngot:\n%s\nwant:\n%s", wantPath, got, want)
			}
		})
	}
}
