package pgtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// binDirEnv names a directory holding initdb and pg_ctl; it overrides the search.
const binDirEnv = "KVGEN_PG_BIN"

// packageBinGlobs are where packaged PostgreSQL servers put their binaries:
// Debian/Ubuntu, the PGDG RPMs, a source build, Homebrew.
var packageBinGlobs = []string{
	"/usr/lib/postgresql/*/bin",
	"/usr/pgsql-*/bin",
	"/usr/local/pgsql/bin",
	"/opt/homebrew/opt/postgresql*/bin",
	"/usr/local/opt/postgresql*/bin",
}

// findBinDir returns a directory holding both initdb and pg_ctl. An
// explicit KVGEN_PG_BIN is the only place looked at; otherwise PATH, then the
// package locations, newest version first. The error lists every place tried.
func findBinDir(getenv func(string) string) (string, error) {
	if dir := getenv(binDirEnv); dir != "" {
		if err := hasServerBinaries(dir); err != nil {
			return "", fmt.Errorf("%s=%s: %w", binDirEnv, dir, err)
		}
		return dir, nil
	}
	var tried []string
	for _, name := range []string{"initdb", "pg_ctl"} {
		path, err := exec.LookPath(name)
		if err != nil {
			tried = append(tried, name+" not on PATH")
			continue
		}
		// Follow symlinks: /usr/local/bin/pg_ctl may point into the real bin dir.
		if real, err := filepath.EvalSymlinks(path); err == nil {
			path = real
		}
		dir := filepath.Dir(path)
		if err := hasServerBinaries(dir); err != nil {
			tried = append(tried, fmt.Sprintf("%s (from %s on PATH): %v", dir, name, err))
			continue
		}
		return dir, nil
	}
	for _, pattern := range packageBinGlobs {
		dirs, _ := filepath.Glob(pattern) // the patterns are constant and valid
		if len(dirs) == 0 {
			tried = append(tried, pattern+": no match")
			continue
		}
		for _, dir := range newestFirst(dirs) {
			if err := hasServerBinaries(dir); err != nil {
				tried = append(tried, fmt.Sprintf("%s: %v", dir, err))
				continue
			}
			return dir, nil
		}
	}
	return "", fmt.Errorf("no PostgreSQL server binaries (initdb, pg_ctl) found; tried %s (set %s to their directory)",
		strings.Join(tried, "; "), binDirEnv)
}

func hasServerBinaries(dir string) error {
	for _, name := range []string{"initdb", "pg_ctl"} {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("no %s", name)
		}
		if info.IsDir() || info.Mode()&0o111 == 0 {
			return fmt.Errorf("%s is not executable", name)
		}
	}
	return nil
}

var binDirVersion = regexp.MustCompile(`(\d+)(?:\.(\d+))?/bin$`)

// newestFirst orders bin dirs by the PostgreSQL version in their path
// (".../15/bin", "pgsql-16/bin", "postgresql@17/bin"), highest first.
func newestFirst(dirs []string) []string {
	version := func(dir string) [2]int {
		m := binDirVersion.FindStringSubmatch(filepath.ToSlash(dir))
		if m == nil {
			return [2]int{-1, -1}
		}
		major, _ := strconv.Atoi(m[1])
		minor, _ := strconv.Atoi(m[2]) // "" for a major-only version gives 0
		return [2]int{major, minor}
	}
	sorted := slices.Clone(dirs)
	slices.SortStableFunc(sorted, func(a, b string) int {
		va, vb := version(a), version(b)
		if va[0] != vb[0] {
			return vb[0] - va[0]
		}
		return vb[1] - va[1]
	})
	return sorted
}
