package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aymanbagabas/go-udiff"

	"github.com/kvgen/kvgen/generator"
	"github.com/kvgen/kvgen/internal/modcache"
	"golang.org/x/mod/modfile"
)

// kvgenBin is the kvgen command built once for the tests of this package.
var kvgenBin string

func TestMain(m *testing.M) {
	// The tests run the go command offline in temporary modules.
	if err := modcache.Download(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "kvgen-cli-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	kvgenBin = filepath.Join(dir, "kvgen")
	if out, err := exec.Command("go", "build", "-o", kvgenBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building kvgen: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

// kvgen runs the built command in dir.
func kvgen(t *testing.T, dir string, args ...string) result {
	t.Helper()
	cmd := exec.Command(kvgenBin, args...)
	cmd.Dir = dir
	// The temporary modules resolve sqlc from the module cache alone.
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	res := result{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
	if strings.Contains(res.stderr, "panic") || strings.Contains(res.stderr, "goroutine ") {
		t.Fatalf("kvgen %s panicked:\n%s", strings.Join(args, " "), res.stderr)
	}
	return res
}

func (r result) want(t *testing.T, code int, what string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", what, r.code, code, r.stdout, r.stderr)
	}
}

// tempModule makes a module that declares sqlc as a tool, with this
// repository's dependency versions, so `go tool sqlc` runs offline.
func tempModule(t *testing.T) string {
	t.Helper()
	repo, err := generator.FindModule(".")
	if err != nil {
		t.Fatal(err)
	}
	goMod, err := os.ReadFile(filepath.Join(repo.Dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goSum, err := os.ReadFile(filepath.Join(repo.Dir, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	repoMod, err := modfile.Parse("go.mod", goMod, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := new(modfile.File)
	if err := errors.Join(f.AddModuleStmt("example.com/server"), f.AddGoStmt(repoMod.Go.Version), f.AddTool(generator.SQLCTool)); err != nil {
		t.Fatal(err)
	}
	for _, r := range repoMod.Require {
		f.AddNewRequire(r.Mod.Path, r.Mod.Version, r.Indirect)
	}
	mod, err := f.Format()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write(t, dir, "go.mod", string(mod))
	write(t, dir, "go.sum", string(goSum))
	return dir
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func exists(dir, name string) bool {
	_, err := os.Stat(filepath.Join(dir, filepath.FromSlash(name)))
	return err == nil
}

func repoSchema(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../../schema/oauth_clients.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// fieldsSchema is the repository's schema in encryption: fields mode, whose
// indexed fields change the DDL and the queries.
func fieldsSchema(t *testing.T) string {
	t.Helper()
	s := strings.Replace(repoSchema(t), "\nencryption: value\n", "\nencryption: fields\ngo_only: true\n", 1)
	s = strings.Replace(s, "\ncollection: mcp-oauth-proxy-clients\n", "\ncollection: go-only-clients\n", 1)
	if !strings.Contains(s, "go_only: true") || !strings.Contains(s, "go-only-clients") {
		t.Fatal("the repository's schema is no longer encryption: value in mcp-oauth-proxy-clients")
	}
	return s
}

func TestGenerateCheckCycle(t *testing.T) {
	dir := tempModule(t)
	schemaText := fieldsSchema(t)
	write(t, dir, "schema/oauth_clients.yaml", schemaText)

	kvgen(t, dir, "generate", "schema/oauth_clients.yaml").want(t, 0, "generate")
	for _, p := range []string{"sqlc.yaml", "queries/oauth_clients.schema.sql", "queries/oauthclients.queries.sql", "generated/oauthclients/db/db.go"} {
		if !exists(dir, p) {
			t.Errorf("generate did not write %s", p)
		}
	}
	if r := kvgen(t, dir, "check", "schema/oauth_clients.yaml"); r.code != 0 || r.stdout+r.stderr != "" {
		t.Fatalf("check right after generate: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// Index one more field: the DDL, the queries and the store change.
	edited := strings.Replace(schemaText, "  software_version:\n    type: string\n", "  software_version:\n    type: string\n    indexed: true\n", 1)
	if edited == schemaText {
		t.Fatal("the schema has no software_version field to edit")
	}
	write(t, dir, "schema/oauth_clients.yaml", edited)
	r := kvgen(t, dir, "check", "schema/oauth_clients.yaml")
	r.want(t, 1, "check after editing the schema")
	for _, frag := range []string{"+CREATE INDEX CONCURRENTLY IF NOT EXISTS oauth_clients_software_version_idx", "+-- name: FindBySoftwareVersion :many"} {
		if !strings.Contains(r.stdout, frag) {
			t.Errorf("the diff lacks %q:\n%s", frag, r.stdout)
		}
	}
	for _, frag := range []string{"changed  queries/oauth_clients.schema.sql", "go tool kvgen generate schema/oauth_clients.yaml"} {
		if !strings.Contains(r.stderr, frag) {
			t.Errorf("the summary lacks %q:\n%s", frag, r.stderr)
		}
	}
	kvgen(t, dir, "generate", "schema/oauth_clients.yaml").want(t, 0, "generate after editing")
	kvgen(t, dir, "check", "schema/oauth_clients.yaml").want(t, 0, "check after regenerating")

	// Stale output is reported, then deleted; what kvgen did not generate stays.
	write(t, dir, "generated/oauthclients/extra.go", "// Code generated by kvgen. DO NOT EDIT.\n\npackage oauthclients\n")
	write(t, dir, "queries/old.queries.sql", "-- Code generated by kvgen. DO NOT EDIT.\n")
	write(t, dir, "generated/oauthclients/mine.go", "package oauthclients\n")
	r = kvgen(t, dir, "check", "schema/oauth_clients.yaml")
	r.want(t, 1, "check with stale files")
	for _, frag := range []string{"stale    generated/oauthclients/extra.go", "stale    queries/old.queries.sql"} {
		if !strings.Contains(r.stderr, frag) {
			t.Errorf("the summary lacks %q:\n%s", frag, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "mine.go") {
		t.Errorf("a hand-written file is reported:\n%s", r.stderr)
	}
	r = kvgen(t, dir, "generate", "schema/oauth_clients.yaml")
	r.want(t, 0, "generate with stale files")
	// Each deleted file is named.
	for _, p := range []string{"generated/oauthclients/extra.go", "queries/old.queries.sql"} {
		if !strings.Contains(r.stdout, "kvgen: deleted "+p+" ") {
			t.Errorf("generate did not name the deleted %s:\n%s", p, r.stdout)
		}
	}
	if exists(dir, "generated/oauthclients/extra.go") || exists(dir, "queries/old.queries.sql") {
		t.Error("stale files were not deleted")
	}
	if !exists(dir, "generated/oauthclients/mine.go") {
		t.Error("a hand-written file was deleted")
	}
	kvgen(t, dir, "check", "schema/oauth_clients.yaml").want(t, 0, "check after deleting stale files")
}

// TestUsageErrors: every command line kvgen cannot run exits 2 and says
// what was wrong.
func TestUsageErrors(t *testing.T) {
	dir := tempModule(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "no command given"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"; the commands are generate, check, init, keygen, reencrypt, migrate, copy, version`},
		{[]string{"generate"}, "generate: no schema given"},
		{[]string{"check", "-out"}, "check: flag needs an argument: -out"},
		{[]string{"generate", "-nope", "x.yaml"}, "generate: flag provided but not defined: -nope"},
		{[]string{"init", "extra.yaml"}, `init takes no arguments, got ["extra.yaml"]`},
		{[]string{"keygen", "extra"}, `keygen takes no arguments, got ["extra"]`},
		{[]string{"version", "now"}, `version takes no arguments, got ["now"]`},
		{[]string{"help", "frobnicate"}, `no help for unknown command "frobnicate"`},
	} {
		r := kvgen(t, dir, tc.args...)
		r.want(t, 2, fmt.Sprintf("kvgen %q", tc.args))
		if !strings.HasPrefix(r.stderr, "kvgen: "+tc.want) {
			t.Errorf("kvgen %q printed %q, want it to start with %q", tc.args, r.stderr, "kvgen: "+tc.want)
		}
	}
}

// TestHelp: -h, -help and --help exit 0 with the usage on standard output,
// before or after a command, and so does kvgen help.
func TestHelp(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"-h"}, {"--help"}, {"help"},
		{"generate", "-h"}, {"check", "--help"}, {"init", "-help"}, {"keygen", "-h"}, {"version", "-h"},
		{"generate", "schema", "--help"}, {"help", "check"},
	} {
		r := kvgen(t, dir, args...)
		r.want(t, 0, fmt.Sprintf("kvgen %q", args))
		if !strings.Contains(r.stdout, "usage:") || r.stderr != "" {
			t.Errorf("kvgen %q: stdout %q, stderr %q", args, r.stdout, r.stderr)
		}
	}
	if r := kvgen(t, dir, "help", "generate"); !strings.Contains(r.stdout, "-out dir") {
		t.Errorf("kvgen help generate lists no flags:\n%s", r.stdout)
	}
}

func TestVersion(t *testing.T) {
	r := kvgen(t, t.TempDir(), "version")
	r.want(t, 0, "kvgen version")
	// Built inside this repository: a development build.
	if !regexp.MustCompile(`^kvgen \(devel\) go1\.\d+`).MatchString(r.stdout) {
		t.Errorf("kvgen version printed %q", r.stdout)
	}
	if again := kvgen(t, t.TempDir(), "--version"); again.stdout != r.stdout {
		t.Errorf("kvgen --version printed %q, kvgen version %q", again.stdout, r.stdout)
	}
}

// TestFlagsAnywhere: flags after the schemas are flags, not file names.
func TestFlagsAnywhere(t *testing.T) {
	dir := tempModule(t)
	write(t, dir, "schema/oauth_clients.yaml", repoSchema(t))
	kvgen(t, dir, "generate", "schema/oauth_clients.yaml", "-out", "gen", "-queries", "sql").want(t, 0, "generate with flags last")
	for _, p := range []string{"gen/oauthclients/store.go", "sql/oauthclients.queries.sql"} {
		if !exists(dir, p) {
			t.Errorf("the flags after the schema were not applied: no %s", p)
		}
	}
	kvgen(t, dir, "check", "-out", "gen", "schema/oauth_clients.yaml", "-queries", "sql").want(t, 0, "check with flags around")
	// After --, an argument that looks like a flag is a schema.
	r := kvgen(t, dir, "check", "-out", "gen", "-queries", "sql", "--", "-x.yaml")
	r.want(t, 1, "check of a schema named -x.yaml")
	if !strings.Contains(r.stderr, "-x.yaml") {
		t.Errorf("check -- -x.yaml: %s", r.stderr)
	}
}

// TestSchemaDirectoriesAndPatterns: a directory stands for its schemas and
// a pattern is expanded by kvgen itself (go generate runs no shell).
func TestSchemaDirectoriesAndPatterns(t *testing.T) {
	dir := tempModule(t)
	write(t, dir, "schema/oauth_clients.yaml", repoSchema(t))
	write(t, dir, "schema/tokens.yml", "version: 1\nrecord: Token\npackage: tokens\ntable: tokens\nkey: id\nfields:\n  id: {type: string, required: true}\n")
	kvgen(t, dir, "generate", "schema").want(t, 0, "generate of a directory")
	for _, p := range []string{"generated/oauthclients/store.go", "generated/tokens/store.go"} {
		if !exists(dir, p) {
			t.Errorf("generate schema did not write %s", p)
		}
	}
	kvgen(t, dir, "check", "schema/*.y*ml").want(t, 0, "check of a pattern")
	// A pattern naming one schema leaves the other's output stale.
	r := kvgen(t, dir, "check", "schema/*.yaml")
	r.want(t, 1, "check of a pattern without tokens.yml")
	if !strings.Contains(r.stderr, "stale    generated/tokens/store.go") || !strings.Contains(r.stderr, "go tool kvgen generate 'schema/*.yaml'") {
		t.Errorf("check schema/*.yaml:\n%s", r.stderr)
	}
	r = kvgen(t, dir, "check", "nothing/*.yaml")
	r.want(t, 1, "check of a pattern matching nothing")
	if !strings.Contains(r.stderr, `no schema file matches "nothing/*.yaml"`) {
		t.Errorf("a pattern matching nothing: %s", r.stderr)
	}
	write(t, dir, "empty/README", "no schemas here\n")
	r = kvgen(t, dir, "check", "empty")
	r.want(t, 1, "check of a directory without schemas")
	if !strings.Contains(r.stderr, "no schema (*.yaml or *.yml) in the directory empty") {
		t.Errorf("a directory without schemas: %s", r.stderr)
	}
}

func TestInvalidSchemaIsReportedWithPositions(t *testing.T) {
	dir := tempModule(t)
	write(t, dir, "schema/bad.yaml", "version: 1\nrecord: Bad\npackage: bad\ntable: bad\ncollection: bad\nkey: id\nfields:\n  id: {type: string, required: true}\n  n: {type: integr}\n")
	write(t, dir, "schema/worse.yaml", "version: 1\nrecord: Worse\npackage: worse\ntable: worse\ncollection: worse\nkey: id\nfields:\n  id: {type: string}\n")
	r := kvgen(t, dir, "generate", "schema/bad.yaml", "schema/worse.yaml")
	r.want(t, 1, "generate of invalid schemas")
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	position := regexp.MustCompile(`^schema/(bad|worse)\.yaml:\d+:\d+: `)
	for _, l := range lines {
		if !position.MatchString(l) {
			t.Errorf("not a file:line:col line: %q", l)
		}
	}
	if !strings.Contains(r.stderr, "schema/bad.yaml:9:") || !strings.Contains(r.stderr, "schema/worse.yaml:") {
		t.Errorf("errors of both files expected:\n%s", r.stderr)
	}
	if exists(dir, "sqlc.yaml") || exists(dir, "generated") {
		t.Error("an invalid schema produced output")
	}
	kvgen(t, dir, "check", "schema/missing.yaml").want(t, 1, "check of a missing file")
}

func TestInitScaffoldsAModule(t *testing.T) {
	dir := tempModule(t)
	r := kvgen(t, dir, "init")
	r.want(t, 0, "init")
	for _, p := range []string{"schema/oauth_clients.yaml", "kvgen.go", "sqlc.yaml", "queries/oauthclients.queries.sql", "generated/oauthclients/db/models.go"} {
		if !exists(dir, p) {
			t.Errorf("init did not write %s", p)
		}
	}
	gen, err := os.ReadFile(filepath.Join(dir, "kvgen.go"))
	if err != nil {
		t.Fatal(err)
	}
	// Out of every build (so a main.go written later cannot clash with its
	// package clause), and naming the directory of the schemas, so that a
	// schema added there is generated too.
	for _, frag := range []string{"\n//go:build generate\n\npackage server\n", "\n//go:generate go tool kvgen generate schema\n"} {
		if !strings.Contains(string(gen), frag) {
			t.Errorf("kvgen.go lacks %q:\n%s", frag, gen)
		}
	}
	// kvgen is no tool of the module: init says how to make it one, both ways.
	for _, frag := range []string{"go get -tool github.com/kvgen/kvgen/cmd/kvgen@latest",
		"go mod edit -replace=github.com/kvgen/kvgen=/path/to/kvgen -require=github.com/kvgen/kvgen@v0.0.0-00010101000000-000000000000 -tool=github.com/kvgen/kvgen/cmd/kvgen",
		"go mod tidy"} {
		if !strings.Contains(r.stdout, frag) {
			t.Errorf("init's next steps lack %q:\n%s", frag, r.stdout)
		}
	}
	if got, want := mustRead(t, filepath.Join(dir, "schema/oauth_clients.yaml")), repoSchema(t); got != want {
		t.Error("init wrote another schema than the repository's")
	}
	kvgen(t, dir, "check", "schema/oauth_clients.yaml").want(t, 0, "check after init")
	r = kvgen(t, dir, "init")
	r.want(t, 1, "a second init")
	if !strings.Contains(r.stderr, "would overwrite") {
		t.Errorf("a second init: %s", r.stderr)
	}
}

// TestInitUsesThePackageOfTheRoot: kvgen.go joins the package of the Go
// files already at the module root.
func TestInitUsesThePackageOfTheRoot(t *testing.T) {
	dir := tempModule(t)
	write(t, dir, "app.go", "package myapp\n")
	kvgen(t, dir, "init").want(t, 0, "init")
	if gen := mustRead(t, filepath.Join(dir, "kvgen.go")); !strings.Contains(gen, "\npackage myapp\n") {
		t.Errorf("kvgen.go:\n%s", gen)
	}
}

func TestKeygen(t *testing.T) {
	r := kvgen(t, t.TempDir(), "keygen")
	r.want(t, 0, "keygen")
	// A Fernet key as Python's Fernet.generate_key() prints it: 32 bytes, URL-safe base64.
	if !regexp.MustCompile(`^[A-Za-z0-9_-]{43}=\n$`).MatchString(r.stdout) {
		t.Errorf("keygen printed %q", r.stdout)
	}
	if again := kvgen(t, t.TempDir(), "keygen"); again.stdout == r.stdout {
		t.Error("two keys are equal")
	}
}

// TestKeygenFile: keygen -o writes the key to a new file readable by its
// owner only, and never overwrites one.
func TestKeygenFile(t *testing.T) {
	dir := t.TempDir()
	r := kvgen(t, dir, "keygen", "-o", "server.key")
	r.want(t, 0, "keygen -o")
	if r.stdout != "" || !strings.Contains(r.stderr, "wrote a new Fernet key to server.key") {
		t.Errorf("keygen -o printed %q and %q; the key must not be printed", r.stdout, r.stderr)
	}
	info, err := os.Stat(filepath.Join(dir, "server.key"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("the key file has mode %04o, want 0600", info.Mode().Perm())
	}
	key := mustRead(t, filepath.Join(dir, "server.key"))
	if !regexp.MustCompile(`^[A-Za-z0-9_-]{43}=\n$`).MatchString(key) {
		t.Errorf("the key file holds %q", key)
	}
	r = kvgen(t, dir, "keygen", "-o", "server.key")
	r.want(t, 1, "keygen -o over an existing file")
	if !strings.Contains(r.stderr, "server.key exists; keygen never overwrites a key file") {
		t.Errorf("keygen -o over an existing file: %s", r.stderr)
	}
	if mustRead(t, filepath.Join(dir, "server.key")) != key {
		t.Error("keygen -o changed an existing key file")
	}
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestReadmeShowsTheUsage: the README's CLI block is `kvgen help`, so that
// the commands are listed in one place (the table commands) and the README
// cannot drift from it.
func TestReadmeShowsTheUsage(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	const marker = "<!-- The block below is `kvgen help`, checked by TestReadmeShowsTheUsage. -->\n```\n"
	_, rest, ok := strings.Cut(string(readme), marker)
	if !ok {
		t.Fatalf("README.md lacks the usage block's marker %q", marker)
	}
	block, _, _ := strings.Cut(rest, "```\n")
	r := kvgen(t, t.TempDir(), "help")
	r.want(t, 0, "kvgen help")
	if block != r.stdout {
		t.Errorf("README.md's CLI block is not `kvgen help`:\n%s", udiff.Unified("README.md", "kvgen help", block, r.stdout))
	}
}
