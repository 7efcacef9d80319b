package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aymanbagabas/go-udiff"
	"github.com/jackc/pgx/v5"

	"github.com/kvgen/kvgen/kv"

	"github.com/kvgen/kvgen/generator"
	"github.com/kvgen/kvgen/internal/pgtest"
)

// scratchModulePath is the module path of the server repo the workflow test makes.
const scratchModulePath = "example.com/scratchserver"

// The clients the workflow writes. Their secrets must never be in the table in plaintext.
const (
	clientA = "client-a"
	clientB = "client-b"
	secretA = "secret-of-client-a-0123456789"
	secretB = "secret-of-client-b-9876543210"
)

// TestWorkflowInAnotherModule does what a user of kvgen does in their own
// server repo (docs/design.md §8), in a scratch module whose kvgen tool is this
// checkout: kvgen init, go generate, go build, a program on the generated
// store writing to PostgreSQL; then a field added to the schema (kvgen check
// fails naming it, go generate fixes it, rows written before still read) and
// a field removed (it survives in the rows rewritten through the typed store).
// Everything runs offline, from the module cache and GOCACHE.
func TestWorkflowInAnotherModule(t *testing.T) {
	steps := newStepLog(t)
	repo, err := generator.FindModule(".")
	if err != nil {
		t.Fatal(err)
	}
	m := newScratchModule(t, repo.Dir)
	steps.done("scratch module with kvgen and sqlc as tools (replace => " + repo.Dir + ")")

	// kvgen init scaffolds, go generate runs its //go:generate line, the result builds.
	initOut := m.must("kvgen init", "go", "tool", "kvgen", "init")
	for _, p := range []string{
		"schema/oauth_clients.yaml", "kvgen.go", "sqlc.yaml",
		"queries/oauth_clients.schema.sql", "queries/oauthclients.queries.sql",
		"generated/oauthclients/record.go", "generated/oauthclients/store.go", "generated/oauthclients/db/db.go",
	} {
		if !exists(m.dir, p) {
			t.Errorf("kvgen init did not write %s; it printed:\n%s", p, initOut)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	steps.done("go tool kvgen init")
	scaffolded := m.snapshot()
	m.must("go generate after init", "go", "generate", "./...")
	if diff := diffSnapshots(scaffolded, m.snapshot()); diff != "" {
		t.Fatalf("go generate right after kvgen init changed the module:\n%s", diff)
	}
	steps.done("go generate ./... (no change after init)")
	m.must("go build after init", "go", "build", "./...")
	steps.done("go build ./...")

	// A program on the generated store writes client A to PostgreSQL.
	m.writeFile("cmd/probe/main.go", mustRead(t, filepath.Join("testdata", "workflow", "probe", "main.go")))
	key := strings.TrimSpace(m.must("kvgen keygen", "go", "tool", "kvgen", "keygen"))
	dsn := pgtest.URL(t)
	steps.done("PostgreSQL database and encryption key")
	probe := m.probe(dsn, key)
	probe.put(map[string]any{
		"client_id":        clientA,
		"client_name":      "Client A",
		"redirect_uris":    []string{"https://a.example/callback"},
		"client_secret":    secretA,
		"software_id":      "scratch-probe",
		"software_version": "1.0.0",
	})
	a := probe.get(clientA, "ClientName")
	a.wantTyped(t, "ClientName", "Client A")
	a.wantUntyped(t, "client_secret", secretA)
	a.wantUntyped(t, "software_version", "1.0.0")
	steps.done("probe built; client A written and read back")

	// Add a field: check exits 1 naming it, go generate fixes it.
	schemaText := mustRead(t, filepath.Join(m.dir, "schema", "oauth_clients.yaml"))
	withTenant := replaceOnce(t, schemaText, "\nfields:\n",
		"\nfields:\n  tenant:\n    type: string\n    description: Tenant the client was registered for.\n")
	m.writeFile("schema/oauth_clients.yaml", withTenant)
	r := m.run("", nil, "go", "tool", "kvgen", "check", "schema/oauth_clients.yaml")
	r.want(t, 1, "kvgen check after adding a field")
	if !regexp.MustCompile(`(?m)^\+\s*Tenant\s+string\b`).MatchString(r.stdout) || !strings.Contains(r.stdout, `"tenant"`) {
		t.Errorf("the diff of kvgen check does not name the new field tenant:\n%s", r.stdout)
	}
	for _, frag := range []string{"changed  generated/oauthclients/record.go", "go generate ./..."} {
		if !strings.Contains(r.stderr, frag) {
			t.Errorf("the summary of kvgen check lacks %q:\n%s", frag, r.stderr)
		}
	}
	steps.done("field tenant added; kvgen check exits 1 naming it")
	m.must("go generate after adding a field", "go", "generate", "./...")
	m.run("", nil, "go", "tool", "kvgen", "check", "schema/oauth_clients.yaml").wantClean(t, "kvgen check after go generate")
	m.must("go build after adding a field", "go", "build", "./...")
	steps.done("go generate fixes it (check exits 0); go build")

	probe = m.probe(dsn, key)
	a = probe.get(clientA, "ClientName", "Tenant")
	a.wantTyped(t, "ClientName", "Client A")
	a.wantTyped(t, "Tenant", "") // written before the field existed
	a.wantUntyped(t, "client_secret", secretA)
	if v, ok := a.Untyped["tenant"]; ok {
		t.Errorf("client A, written before tenant existed, reads with tenant %v", v)
	}
	probe.put(map[string]any{
		"client_id":        clientB,
		"client_name":      "Client B",
		"redirect_uris":    []string{"https://b.example/callback"},
		"client_secret":    secretB,
		"software_id":      "scratch-probe",
		"software_version": "2.0.0",
		"tenant":           "acme",
	})
	b := probe.get(clientB, "ClientName", "Tenant")
	b.wantTyped(t, "Tenant", "acme")
	b.wantUntyped(t, "software_version", "2.0.0")
	steps.done("probe rebuilt; client A (old row) reads, client B written with tenant")

	// Remove a field: rows rewritten through the typed store keep its value.
	withoutVersion := removeTopLevelField(t, withTenant, "software_version")
	m.writeFile("schema/oauth_clients.yaml", withoutVersion)
	r = m.run("", nil, "go", "tool", "kvgen", "check", "schema/oauth_clients.yaml")
	r.want(t, 1, "kvgen check after removing a field")
	if !regexp.MustCompile(`(?m)^-\s*SoftwareVersion\s+string\b`).MatchString(r.stdout) {
		t.Errorf("the diff of kvgen check does not name the removed field software_version:\n%s", r.stdout)
	}
	m.must("go generate after removing a field", "go", "generate", "./...")
	m.run("", nil, "go", "tool", "kvgen", "check", "schema/oauth_clients.yaml").wantClean(t, "kvgen check after go generate")
	m.must("go build after removing a field", "go", "build", "./...")
	steps.done("field software_version removed; check exits 1, go generate fixes it; go build")

	probe = m.probe(dsn, key)
	res := probe.run("get", clientB, "SoftwareVersion")
	if res.code == 0 || !strings.Contains(res.stderr, "no field SoftwareVersion") {
		t.Errorf("the regenerated Client still has the field SoftwareVersion: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	probe.mustRun(nil, "rename", clientB, "Client B, renamed")
	b = probe.get(clientB, "ClientName", "Tenant")
	b.wantTyped(t, "ClientName", "Client B, renamed")
	b.wantTyped(t, "Tenant", "acme")
	b.wantUntyped(t, "software_version", "2.0.0")
	b.wantUntyped(t, "client_secret", secretB)
	a = probe.get(clientA, "ClientName")
	a.wantUntyped(t, "software_version", "1.0.0")

	// The row itself, as PostgreSQL holds it.
	rowB := storedValue(t, dsn, key, clientB)
	for member, want := range map[string]string{"client_name": "Client B, renamed", "software_version": "2.0.0", "tenant": "acme"} {
		if got := rowB.object[member]; got != want {
			t.Errorf("the stored row of client B has %s = %#v, want %q:\n%s", member, got, want, rowB.text)
		}
	}
	for id, secret := range map[string]string{clientA: secretA, clientB: secretB} {
		if row := storedValue(t, dsn, key, id); strings.Contains(row.text, secret) {
			t.Errorf("the stored row of %s holds its client_secret in plaintext:\n%s", id, row.text)
		}
	}
	steps.done("client B rewritten through the typed store; software_version survives in its row")
	steps.total()
}

// scratchModule is the server repo of the workflow, in a temporary directory.
type scratchModule struct {
	t   *testing.T
	dir string
	env []string // of every command: offline, this repo's module cache and build cache
	bin string   // where the probe is built, outside the module
}

// newScratchModule makes the module as `go mod init` and `go get -tool`
// would, offline: kvgen required and replaced by this checkout, kvgen and
// sqlc declared as tools, every other requirement at this repository's
// version, and this repository's go.sum, so the module cache serves it all.
// (go mod tidy cannot run offline: it resolves the imports of the tests of
// sqlc's dependencies, whose modules the cache does not hold.)
func newScratchModule(t *testing.T, repoDir string) *scratchModule {
	t.Helper()
	m := &scratchModule{t: t, dir: t.TempDir(), env: childEnv(), bin: t.TempDir()}
	m.must("go mod init", "go", "mod", "init", scratchModulePath)
	edit := []string{
		"mod", "edit",
		"-require=github.com/kvgen/kvgen@v0.0.0",
		"-replace=github.com/kvgen/kvgen=" + repoDir,
		"-tool=github.com/kvgen/kvgen/cmd/kvgen",
		"-tool=" + generator.SQLCTool,
	}
	for _, req := range requirements(t, repoDir) {
		edit = append(edit, "-require="+req)
	}
	m.must("go mod edit", "go", edit...)
	m.writeFile("go.sum", mustRead(t, filepath.Join(repoDir, "go.sum")))
	return m
}

// childEnv is the test's environment for the go commands and the probe:
// offline, with the user's HOME, GOPATH and GOCACHE, and without the
// variables the probe is given explicitly (the test's DATABASE_URL is the
// harness's admin DSN).
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "DATABASE_URL", "KVGEN_ENCRYPTION_KEYS", "GOFLAGS", "GOPROXY", "GOWORK":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
}

// requirements returns the requirements of the module at dir as path@version.
func requirements(t *testing.T, dir string) []string {
	t.Helper()
	out, err := exec.Command("go", "mod", "edit", "-json", filepath.Join(dir, "go.mod")).Output()
	if err != nil {
		t.Fatalf("go mod edit -json of %s: %v", dir, err)
	}
	var mod struct {
		Require []struct{ Path, Version string }
	}
	if err := json.Unmarshal(out, &mod); err != nil {
		t.Fatalf("go mod edit -json of %s: %v", dir, err)
	}
	if len(mod.Require) == 0 {
		t.Fatalf("%s/go.mod requires nothing", dir)
	}
	reqs := make([]string, len(mod.Require))
	for i, r := range mod.Require {
		reqs[i] = r.Path + "@" + r.Version
	}
	return reqs
}

func (m *scratchModule) writeFile(name, content string) {
	m.t.Helper()
	write(m.t, m.dir, name, content)
}

// run runs a command in the module with extraEnv added, stdin as its input.
func (m *scratchModule) run(stdin string, extraEnv []string, name string, args ...string) result {
	m.t.Helper()
	cmd := exec.CommandContext(m.t.Context(), name, args...)
	cmd.Dir = m.dir
	cmd.Env = append(append([]string(nil), m.env...), extraEnv...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		m.t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return result{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
}

// must runs a command that has to succeed and returns its standard output.
func (m *scratchModule) must(what, name string, args ...string) string {
	m.t.Helper()
	r := m.run("", nil, name, args...)
	if r.code != 0 {
		m.t.Fatalf("%s (%s %s in %s): exit %d\nstdout:\n%s\nstderr:\n%s", what, name, strings.Join(args, " "), m.dir, r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

func (r result) wantClean(t *testing.T, what string) {
	t.Helper()
	r.want(t, 0, what)
	if r.stdout+r.stderr != "" {
		t.Fatalf("%s printed:\n%s%s", what, r.stdout, r.stderr)
	}
}

// snapshot returns the files of the module by their slash paths, except
// go.mod and go.sum, which the go command (not kvgen) may touch under -mod=mod.
func (m *scratchModule) snapshot() map[string]string {
	m.t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(m.dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(m.dir, p)
		if err != nil {
			return err
		}
		if rel == "go.mod" || rel == "go.sum" {
			return nil
		}
		data, err := os.ReadFile(p)
		files[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		m.t.Fatal(err)
	}
	return files
}

func diffSnapshots(before, after map[string]string) string {
	var b strings.Builder
	for p, old := range before {
		if now, ok := after[p]; !ok {
			fmt.Fprintf(&b, "deleted %s\n", p)
		} else if now != old {
			b.WriteString(udiff.Unified("before/"+p, "after/"+p, old, now))
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			fmt.Fprintf(&b, "added %s\n", p)
		}
	}
	return b.String()
}

// probeProgram is cmd/probe of the scratch module (testdata/workflow/probe),
// built against the generated store of the moment.
type probeProgram struct {
	m   *scratchModule
	bin string
	env []string
}

// probe builds cmd/probe anew and returns it set up for the database dsn and
// the Fernet key.
func (m *scratchModule) probe(dsn, key string) *probeProgram {
	m.t.Helper()
	bin := filepath.Join(m.bin, "probe")
	m.must("go build of the probe", "go", "build", "-o", bin, "./cmd/probe")
	return &probeProgram{m: m, bin: bin, env: []string{"DATABASE_URL=" + dsn, "KVGEN_ENCRYPTION_KEYS=" + key}}
}

func (p *probeProgram) run(args ...string) result {
	p.m.t.Helper()
	return p.m.run("", p.env, p.bin, args...)
}

func (p *probeProgram) mustRun(stdin []byte, args ...string) string {
	p.m.t.Helper()
	r := p.m.run(string(stdin), p.env, p.bin, args...)
	if r.code != 0 {
		p.m.t.Fatalf("probe %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// put stores a client, given as its JSON members, through the typed store.
func (p *probeProgram) put(client map[string]any) {
	p.m.t.Helper()
	data, err := json.Marshal(client)
	if err != nil {
		p.m.t.Fatal(err)
	}
	p.mustRun(data, "put")
}

// probeRead is what `probe get` prints: the asked Go fields of the typed
// record and the untyped view of the stored object.
type probeRead struct {
	ID      string         `json:"-"`
	Typed   map[string]any `json:"typed"`
	Untyped map[string]any `json:"untyped"`
}

func (p *probeProgram) get(id string, fields ...string) probeRead {
	p.m.t.Helper()
	out := p.mustRun(nil, append([]string{"get", id}, fields...)...)
	read := probeRead{ID: id}
	if err := json.Unmarshal([]byte(out), &read); err != nil {
		p.m.t.Fatalf("probe get %s printed no JSON (%v):\n%s", id, err, out)
	}
	return read
}

func (r probeRead) wantTyped(t *testing.T, field string, want any) {
	t.Helper()
	if got, ok := r.Typed[field]; !ok || got != want {
		t.Errorf("%s read through the typed store: %s = %#v, want %#v", r.ID, field, got, want)
	}
}

func (r probeRead) wantUntyped(t *testing.T, member string, want any) {
	t.Helper()
	if got, ok := r.Untyped[member]; !ok || got != want {
		t.Errorf("%s in the untyped view: %s = %#v, want %#v", r.ID, member, got, want)
	}
}

// storedRow is the value column of a row: as stored, and as the JSON object
// it seals (the scaffolded schema is encryption: value).
type storedRow struct {
	text   string
	object map[string]any
}

func storedValue(t *testing.T, dsn, fernetKey, key string) storedRow {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connecting to the workflow's database: %v", err)
	}
	defer conn.Close(ctx)
	var row storedRow
	if err := conn.QueryRow(ctx, "SELECT value::text FROM oauth_clients WHERE key = $1", key).Scan(&row.text); err != nil {
		t.Fatalf("reading the row of %s: %v", key, err)
	}
	ring, err := kv.ParseKeys(fernetKey)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := kv.Open(ring, []byte(row.text))
	if err != nil {
		t.Fatalf("the row of %s is not sealed as a whole with the workflow's key: %v", key, err)
	}
	if err := json.Unmarshal(plain, &row.object); err != nil {
		t.Fatalf("the row of %s is not a JSON object (%v)", key, err)
	}
	return row
}

func replaceOnce(t *testing.T, s, old, new string) string {
	t.Helper()
	if n := strings.Count(s, old); n != 1 {
		t.Fatalf("the scaffolded schema holds %q %d times, want once", old, n)
	}
	return strings.Replace(s, old, new, 1)
}

// removeTopLevelField deletes a field of the record (indented by two spaces,
// its properties by four) from a schema, leaving nested fields of that name.
func removeTopLevelField(t *testing.T, schemaText, name string) string {
	t.Helper()
	block := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(name) + `:\n(?:    .*\n)+`)
	if n := len(block.FindAllStringIndex(schemaText, -1)); n != 1 {
		t.Fatalf("the schema holds the field %s %d times, want once", name, n)
	}
	return block.ReplaceAllString(schemaText, "")
}

// stepLog logs each step of a long test with its duration.
type stepLog struct {
	t           *testing.T
	start, last time.Time
	n           int
}

func newStepLog(t *testing.T) *stepLog {
	now := time.Now()
	return &stepLog{t: t, start: now, last: now}
}

func (l *stepLog) done(what string) {
	l.t.Helper()
	now := time.Now()
	l.n++
	l.t.Logf("step %d (%.1fs): %s", l.n, now.Sub(l.last).Seconds(), what)
	l.last = now
}

func (l *stepLog) total() {
	l.t.Helper()
	l.t.Logf("workflow done in %.1fs", time.Since(l.start).Seconds())
}
