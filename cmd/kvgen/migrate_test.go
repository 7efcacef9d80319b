package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvgen/kvgen/internal/pgtest"
)

// indexedSchema has two indexed fields: devices_model_id_idx and
// devices_owner_idx on table devices.
const indexedSchema = "../../generator/testdata/golden/indexed/schema/schema.yaml"

// migrate runs kvgen migrate on the database dsn.
func migrate(t *testing.T, dsn string, args ...string) result {
	t.Helper()
	cmd := exec.Command(kvgenBin, append([]string{"migrate"}, args...)...)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dsn)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return result{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
}

func (r result) wantOut(t *testing.T, what string, lines ...string) {
	t.Helper()
	r.want(t, 0, what)
	if got := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n"); strings.Join(got, "\n") != strings.Join(lines, "\n") {
		t.Errorf("%s printed:\n%s\nwant:\n%s", what, r.stdout, strings.Join(lines, "\n"))
	}
}

// TestMigrate: kvgen migrate creates the table and builds the field
// indexes, does nothing the second time, rebuilds an index an interrupted
// concurrent build left INVALID, and reports a stale index, which
// -drop-stale drops. Every run says what it did.
func TestMigrate(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.URL(t)
	migrate(t, dsn, indexedSchema).wantOut(t, "migrate of a new database",
		"kvgen: migrate: table devices: created, with its expiry index (CREATE … IF NOT EXISTS)",
		"kvgen: migrate: index devices_model_id_idx: created",
		"kvgen: migrate: index devices_owner_idx: created")
	migrate(t, dsn, indexedSchema).wantOut(t, "migrate again",
		"kvgen: migrate: table devices: already there, with its expiry index",
		"kvgen: migrate: index devices_model_id_idx: already there",
		"kvgen: migrate: index devices_owner_idx: already there")

	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	interruptBuild(t, pool, "devices_owner_idx")
	if _, err := pool.Exec(ctx, `CREATE INDEX devices_color_idx ON devices (collection, (value->>'color'))`); err != nil {
		t.Fatal(err)
	}
	migrate(t, dsn, indexedSchema).wantOut(t, "migrate over an INVALID and a stale index",
		"kvgen: migrate: table devices: already there, with its expiry index",
		"kvgen: migrate: index devices_model_id_idx: already there",
		"kvgen: migrate: index devices_owner_idx: rebuilt: it was INVALID, left by a concurrent build that did not finish",
		`kvgen: migrate: index devices_color_idx: left in place: stale, it covers value->>"color", which no indexed field uses any more (-drop-stale drops it)`)
	migrate(t, dsn, "-drop-stale", indexedSchema).wantOut(t, "migrate -drop-stale",
		"kvgen: migrate: table devices: already there, with its expiry index",
		"kvgen: migrate: index devices_model_id_idx: already there",
		"kvgen: migrate: index devices_owner_idx: already there",
		`kvgen: migrate: index devices_color_idx: dropped: stale, it covered value->>"color"`)
	var valid bool
	if err := pool.QueryRow(ctx, `SELECT bool_and(indisvalid) FROM pg_index WHERE indrelid = 'devices'::regclass`).Scan(&valid); err != nil || !valid {
		t.Errorf("after migrate, every index of devices valid = %v, %v", valid, err)
	}

	r := migrate(t, "", indexedSchema)
	r.want(t, 2, "migrate without DATABASE_URL")
	if !strings.Contains(r.stderr, "$DATABASE_URL is not set") {
		t.Errorf("migrate without DATABASE_URL said %q", r.stderr)
	}
}

// interruptBuild drops index and starts building it again concurrently
// while a writer holds the table, then cancels the build, which leaves the
// index INVALID.
func interruptBuild(t *testing.T, pool *pgxpool.Pool, index string) {
	t.Helper()
	ctx := context.Background()
	if _, err := pool.Exec(ctx, "DROP INDEX "+index); err != nil {
		t.Fatal(err)
	}
	writer, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Rollback(ctx)
	if _, err := writer.Exec(ctx, `INSERT INTO devices (collection, key, value) VALUES ('c', 'k', '{}')`); err != nil {
		t.Fatal(err)
	}
	failed := make(chan error, 1)
	go func() {
		_, err := pool.Exec(ctx, "CREATE INDEX CONCURRENTLY "+index+" ON devices (collection, (value->>'owner'))")
		failed <- err
	}()
	// Cancelled on the server, not by the context: a cancel request sent
	// as the context ends may lose the race, and the build then finishes.
	deadline := time.Now().Add(30 * time.Second)
	for cancelled := 0; cancelled == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the concurrent build never waited for the writer")
		}
		if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE pg_cancel_backend(pid)) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'CREATE INDEX%'`).Scan(&cancelled); err != nil {
			t.Fatal(err)
		}
	}
	var pgErr *pgconn.PgError
	if err := <-failed; !errors.As(err, &pgErr) || pgErr.Code != "57014" {
		t.Fatalf("the cancelled build = %v; want SQLSTATE 57014", err)
	}
}
