package generator

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/kvgen/kvgen/generator/schema"
)

// TestDefaultsApply runs the store generated from the golden case defaults,
// whose fields have a default of every type that takes one: a record
// without them is written with the defaults in their place, and read back
// with them set, timestamps in UTC; and writing what was read writes the
// same JSON.
func TestDefaultsApply(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(goldenDir, "defaults", caseSchemaDir, "schema.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := load(t, "schema.yaml", string(data))
	files, err := Build(context.Background(), []*schema.Schema{s}, Options{ModulePath: "example.com/golden/defaults", ModuleDir: repoDir(t)})
	if err != nil {
		t.Fatal(err)
	}
	files["generated/settings/defaults_test.go"] = []byte(defaultsTest)
	dir := t.TempDir()
	for p, content := range files {
		if err := writeFile(filepath.Join(dir, "defaults", filepath.FromSlash(p)), content); err != nil {
			t.Fatal(err)
		}
	}
	if err := writeTestModule(dir, "example.com/golden", repoDir(t), false); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "test", "./defaults/generated/settings/")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("the test of the generated store failed: %v\n%s", err, out)
	}
}

// defaultsTest is a test in the package generated from the golden case defaults.
const defaultsTest = `package settings

import (
	"testing"
	"time"
)

func TestDefaults(t *testing.T) {
	var c codec
	written, err := c.Encode("c", "a", Setting{})
	if err != nil {
		t.Fatal(err)
	}
	const want = ` + "`" + `{"id":"a","name":"it's \"quoted\"","count":-7,"ratio":1.5e-7,"enabled":true,` +
	`"homepage":"https://example.com/home","since":"2025-01-02T14:04:05.5Z","issued_at":1767225600,` +
	`"color":"green","required_count":3,"required_since":"2000-01-01T00:00:00Z","limits":null}` + "`" + `
	if string(written) != want {
		t.Errorf("a record without values is written as\n%s\nwant\n%s", written, want)
	}
	r, err := c.Decode("c", "a", []byte(` + "`" + `{"id":"a","limits":{}}` + "`" + `))
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "it's \"quoted\"" || *r.Count != -7 || *r.Ratio != 1.5e-7 || !*r.Enabled ||
		r.Homepage != "https://example.com/home" || r.Color != "green" || r.RequiredCount != 3 {
		t.Errorf("read with defaults: %+v", r)
	}
	for _, tc := range []struct {
		got, want time.Time
	}{
		{r.Since, time.Date(2025, 1, 2, 15, 4, 5, 5e8, time.FixedZone("", 3600))},
		{r.IssuedAt, time.Unix(1767225600, 0)},
		{r.RequiredSince, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{r.Limits.Starts, time.Date(2030, 6, 30, 23, 59, 59, 123456789, time.FixedZone("", -7*3600))},
	} {
		if !tc.got.Equal(tc.want) || tc.got.Location() != time.UTC {
			t.Errorf("read %v, want %v in UTC", tc.got, tc.want)
		}
	}
	if *r.Limits.Burst != 10 || r.Limits.Paused {
		t.Errorf("object read with defaults: %+v", r.Limits)
	}
	again, err := c.Encode("c", "a", r)
	if err != nil {
		t.Fatal(err)
	}
	const wantAgain = ` + "`" + `{"id":"a","name":"it's \"quoted\"","count":-7,"ratio":1.5e-7,"enabled":true,` +
	`"homepage":"https://example.com/home","since":"2025-01-02T14:04:05.5Z","issued_at":1767225600,` +
	`"color":"green","required_count":3,"required_since":"2000-01-01T00:00:00Z",` +
	`"limits":{"starts":"2030-07-01T06:59:59.123456789Z","burst":10,"paused":false}}` + "`" + `
	if string(again) != wantAgain {
		t.Errorf("the record read is written as\n%s\nwant\n%s", again, wantAgain)
	}
}
`
