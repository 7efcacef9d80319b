package schema

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden/invalid-*/error.txt from the loader's output")

// TestGoldenErrors loads every golden/invalid-*/schema.yaml, as the file
// schema.yaml, and compares the errors with error.txt beside it.
func TestGoldenErrors(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "..", "golden", "invalid-*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no golden/invalid-* cases found")
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, "schema.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			_, loadErr := Load("schema.yaml", data)
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
