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

	"github.com/kvgen/kvgen/generator"
)

// kvgenBin is the kvgen command built once for the tests of this package.
var kvgenBin string

func TestMain(m *testing.M) {
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
	requires := regexp.MustCompile(`(?s)require \(.*?\n\)\n`).FindAllString(string(goMod), -1)
	dir := t.TempDir()
	mod := "module example.com/server\n\ngo 1.26.0\n\ntool " + generator.SQLCTool + "\n\n" + strings.Join(requires, "\n")
	write(t, dir, "go.mod", mod)
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
	for _, frag := range []string{"+CREATE INDEX IF NOT EXISTS oauth_clients_software_version_idx", "+-- name: FindBySoftwareVersion :many"} {
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
	kvgen(t, dir, "generate", "schema/oauth_clients.yaml").want(t, 0, "generate with stale files")
	if exists(dir, "generated/oauthclients/extra.go") || exists(dir, "queries/old.queries.sql") {
		t.Error("stale files were not deleted")
	}
	if !exists(dir, "generated/oauthclients/mine.go") {
		t.Error("a hand-written file was deleted")
	}
	kvgen(t, dir, "check", "schema/oauth_clients.yaml").want(t, 0, "check after deleting stale files")
}

func TestUsageErrors(t *testing.T) {
	dir := tempModule(t)
	for _, args := range [][]string{
		nil,
		{"frobnicate"},
		{"generate"},
		{"check", "-out"},
		{"generate", "-nope", "x.yaml"},
		{"init", "extra.yaml"},
		{"keygen", "extra"},
	} {
		r := kvgen(t, dir, args...)
		r.want(t, 2, fmt.Sprintf("kvgen %q", args))
		if !strings.Contains(r.stderr, "usage:") {
			t.Errorf("kvgen %q printed no usage:\n%s", args, r.stderr)
		}
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
	if !strings.Contains(string(gen), "\npackage server\n") || !strings.Contains(string(gen), "\n//go:generate go tool kvgen generate schema/oauth_clients.yaml\n") {
		t.Errorf("kvgen.go:\n%s", gen)
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

func mustRead(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
