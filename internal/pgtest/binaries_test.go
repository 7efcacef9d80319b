package pgtest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestNewestFirst(t *testing.T) {
	got := newestFirst([]string{
		"/usr/lib/postgresql/9.6/bin",
		"/usr/lib/postgresql/15/bin",
		"/usr/lib/postgresql/10/bin",
		"/opt/homebrew/opt/postgresql@17/bin",
		"/usr/local/pgsql/bin",
	})
	want := []string{
		"/opt/homebrew/opt/postgresql@17/bin",
		"/usr/lib/postgresql/15/bin",
		"/usr/lib/postgresql/10/bin",
		"/usr/lib/postgresql/9.6/bin",
		"/usr/local/pgsql/bin",
	}
	if !slices.Equal(got, want) {
		t.Errorf("newestFirst = %q, want %q", got, want)
	}
}

func TestFindBinDirHonoursOverride(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{binDirEnv: dir}
	getenv := func(k string) string { return env[k] }
	if _, err := findBinDir(getenv); err == nil || !strings.Contains(err.Error(), "no initdb") {
		t.Errorf("empty %s: err = %v, want one naming the missing initdb", binDirEnv, err)
	}
	for _, name := range []string{"initdb", "pg_ctl"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	got, err := findBinDir(getenv)
	if err != nil || got != dir {
		t.Errorf("findBinDir = %q, %v; want %q", got, err, dir)
	}
}
