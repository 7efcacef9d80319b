package pgkv_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvgen/kvgen/internal/pgtest"
	"github.com/kvgen/kvgen/kv/pgkv"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// devicesDDL is what a generated CreateTable runs for table devices: the
// layout of py-key-value's table and its index on expires_at.
const devicesDDL = `CREATE TABLE IF NOT EXISTS devices (
  collection TEXT NOT NULL, key TEXT NOT NULL, value JSONB NOT NULL, ttl DOUBLE PRECISION,
  created_at TIMESTAMPTZ, expires_at TIMESTAMPTZ, PRIMARY KEY (collection, key));
CREATE INDEX IF NOT EXISTS idx_devices_expires_at ON devices (expires_at) WHERE expires_at IS NOT NULL;`

var ownerIndex = pgkv.Index{Name: "devices_owner_idx", Member: "owner"}

// devices returns a pool on a fresh database holding table devices with
// a few rows.
func devices(t *testing.T) *pgxpool.Pool {
	t.Helper()
	ctx := context.Background()
	pool := pgtest.New(t)
	if err := pgkv.CreateTable(ctx, pool, "devices", devicesDDL); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO devices (collection, key, value)
		SELECT 'c', 'k' || i, jsonb_build_object('owner', 'o' || (i % 7)) FROM generate_series(1, 500) AS i`); err != nil {
		t.Fatal(err)
	}
	return pool
}

// openWriter begins a transaction that has written to devices and is
// still open: a concurrent index build waits for it to end.
func openWriter(t *testing.T, pool *pgxpool.Pool) pgx.Tx {
	t.Helper()
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback(context.Background()) })
	if _, err := tx.Exec(ctx, `INSERT INTO devices (collection, key, value) VALUES ('c', 'open', '{"owner": "w"}')`); err != nil {
		t.Fatal(err)
	}
	return tx
}

// waitUntil polls query, a count, on pool until it is at least 1.
func waitUntil(t *testing.T, pool *pgxpool.Pool, what, query string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		var n int
		if err := pool.QueryRow(ctx, query, args...).Scan(&n); err != nil {
			t.Fatalf("waiting until %s: %v", what, err)
		}
		if n > 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("not %s within 30s", what)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// buildWaits waits until a CREATE INDEX waits for a lock: the concurrent
// build waits so for the transactions that were writing when it started.
func buildWaits(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	waitUntil(t, pool, "an index build waits for the open writer", `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'CREATE INDEX%'`)
}

type actions struct {
	did []pgkv.Action
	err error
}

// TestCreateIndexesDoesNotBlockWrites: CreateIndexes builds an index of a
// live table while a write transaction is open on it; the build waits for
// that transaction, and a write made meanwhile completes before the build
// does. A plain CREATE INDEX would queue that write behind it.
func TestCreateIndexesDoesNotBlockWrites(t *testing.T) {
	ctx := context.Background()
	pool := devices(t)
	writer := openWriter(t, pool)
	done := make(chan actions, 1)
	go func() {
		did, err := pgkv.CreateIndexes(ctx, pool, "devices", []pgkv.Index{ownerIndex})
		done <- actions{did, err}
	}()
	buildWaits(t, pool)

	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := pool.Exec(wctx, `INSERT INTO devices (collection, key, value) VALUES ('c', 'during', '{"owner": "d"}')`); err != nil {
		t.Fatalf("a write during the index build = %v; want it done while the build waits", err)
	}
	select {
	case got := <-done:
		t.Fatalf("the build ended (%v, %v) while a transaction it waits for is open", got.did, got.err)
	default:
	}
	if err := writer.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	got := <-done
	if want := []pgkv.Action{{Object: "index devices_owner_idx", Did: "created"}}; got.err != nil || !slices.Equal(got.did, want) {
		t.Fatalf("CreateIndexes = %v, %v; want %v", got.did, got.err, want)
	}
	assertNoDrift(t, pool, ownerIndex)
	if got, _ := pgkv.CreateIndexes(ctx, pool, "devices", []pgkv.Index{ownerIndex}); len(got) != 1 || got[0].Did != "already there" {
		t.Errorf("CreateIndexes again = %v; want already there", got)
	}
}

func assertNoDrift(t *testing.T, pool *pgxpool.Pool, want ...pgkv.Index) {
	t.Helper()
	if err := pgkv.CheckTable(context.Background(), pool, "devices", "devices", want); err != nil {
		t.Fatalf("CheckTable = %v; want no drift", err)
	}
}

// invalidIndex leaves devices_owner_idx INVALID, as an interrupted
// concurrent build does: the build is cancelled while it waits for an
// open writer.
func invalidIndex(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	writer := openWriter(t, pool)
	create, err := pgkv.CreateIndexSQL("devices", ownerIndex)
	if err != nil {
		t.Fatal(err)
	}
	failed := make(chan error, 1)
	go func() {
		_, err := pool.Exec(ctx, create)
		failed <- err
	}()
	buildWaits(t, pool)
	// Cancelled on the server, not by a context: a cancel request sent as
	// a context ends may lose the race, and the build then finishes.
	if _, err := pool.Exec(ctx, `SELECT pg_cancel_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'CREATE INDEX%'`); err != nil {
		t.Fatal(err)
	}
	var pgErr *pgconn.PgError
	if err := <-failed; !errors.As(err, &pgErr) || pgErr.Code != "57014" {
		t.Fatalf("the cancelled build = %v; want SQLSTATE 57014", err)
	}
	if err := writer.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	var valid bool
	if err := pool.QueryRow(ctx, `SELECT indisvalid FROM pg_index WHERE indexrelid = 'devices_owner_idx'::regclass`).Scan(&valid); err != nil || valid {
		t.Fatalf("after the cancelled build: valid = %v, %v; want an INVALID index", valid, err)
	}
}

// TestCreateIndexesRebuildsInvalid: an interrupted CREATE INDEX
// CONCURRENTLY leaves an INVALID index, which IF NOT EXISTS then skips;
// CheckTable reports it and CreateIndexes rebuilds it.
func TestCreateIndexesRebuildsInvalid(t *testing.T) {
	ctx := context.Background()
	pool := devices(t)
	invalidIndex(t, pool)

	err := pgkv.CheckTable(ctx, pool, "devices", "devices", []pgkv.Index{ownerIndex})
	var drift *pgkv.DriftError
	if !errors.Is(err, pgkv.ErrIndexDrift) || !errors.As(err, &drift) || len(drift.Drift) != 1 || drift.Drift[0].Kind != pgkv.IndexInvalid {
		t.Fatalf("CheckTable over an INVALID index = %v; want one IndexInvalid drift", err)
	}
	for _, want := range []string{"devices_owner_idx", "INVALID", "kvgen migrate", "CreateIndexes"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("CheckTable's error %q does not say %q", err, want)
		}
	}
	got, err := pgkv.CreateIndexes(ctx, pool, "devices", []pgkv.Index{ownerIndex})
	if err != nil || len(got) != 1 || !strings.HasPrefix(got[0].Did, "rebuilt: it was INVALID") {
		t.Fatalf("CreateIndexes over an INVALID index = %v, %v; want it rebuilt", got, err)
	}
	assertNoDrift(t, pool, ownerIndex)
}

// TestConcurrentCreateIndexes: a second CreateIndexes that finds the index
// INVALID while the first still builds it waits for that build instead of
// dropping it, and both succeed.
func TestConcurrentCreateIndexes(t *testing.T) {
	ctx := context.Background()
	pool := devices(t)
	writer := openWriter(t, pool)
	first, second := make(chan actions, 1), make(chan actions, 1)
	start := func(done chan<- actions) {
		did, err := pgkv.CreateIndexes(ctx, pool, "devices", []pgkv.Index{ownerIndex})
		done <- actions{did, err}
	}
	go start(first)
	buildWaits(t, pool)
	go start(second)
	// The second asks who builds the index while the first still waits
	// for the writer: from then on it waits for the first.
	waitUntil(t, pool, "the second CreateIndexes looks for a builder", `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE '%index_relid = to_regclass%'`)
	if err := writer.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		done chan actions
		want string
	}{{first, "created"}, {second, "built by another session meanwhile"}} {
		got := <-c.done
		if got.err != nil || len(got.did) != 1 || got.did[0].Did != c.want {
			t.Errorf("CreateIndexes = %v, %v; want %q", got.did, got.err, c.want)
		}
	}
	assertNoDrift(t, pool, ownerIndex)
}

// TestIndexDrift: CheckTable names each index that differs from the
// indexed fields, and says what to run; a user's own indexes are not
// drift. Migrate then builds, rebuilds, and with DropStale drops.
func TestIndexDrift(t *testing.T) {
	ctx := context.Background()
	pool := devices(t)
	for _, ddl := range []string{
		`CREATE INDEX devices_owner_idx ON devices (collection, (value->>'owner'))`,              // as wanted
		`CREATE INDEX devices_color_idx ON devices (collection, (value->>'color'))`,              // a field no longer indexed
		`CREATE INDEX devices_model_idx ON devices (collection, (value->>'model'))`,              // its json name changed
		`CREATE INDEX devices_custom ON devices (collection, (value->>'custom'))`,                // the user's own
		`CREATE INDEX devices_note_idx ON devices (key)`,                                         // the user's, kvgen's name pattern
		`CREATE INDEX devices_tag_idx ON devices ((value->>'tag'))`,                              // not kvgen's shape
		`CREATE INDEX devices_part_idx ON devices (collection, (value->>'p')) WHERE ttl IS NULL`, // nor this
	} {
		if _, err := pool.Exec(ctx, ddl); err != nil {
			t.Fatal(err)
		}
	}
	want := []pgkv.Index{ownerIndex, {Name: "devices_model_idx", Member: "modelId"}, {Name: "devices_serial_idx", Member: "serial"}}
	err := pgkv.CheckTable(ctx, pool, "devices", "devices", want)
	var drift *pgkv.DriftError
	if !errors.As(err, &drift) || !errors.Is(err, pgkv.ErrIndexDrift) {
		t.Fatalf("CheckTable = %v; want a *pgkv.DriftError", err)
	}
	wantDrift := []pgkv.Drift{
		{Table: "devices", Index: "devices_color_idx", Kind: pgkv.IndexStale, Member: "color"},
		{Table: "devices", Index: "devices_model_idx", Kind: pgkv.IndexMismatched, Member: "modelId", Covers: "model"},
		{Table: "devices", Index: "devices_serial_idx", Kind: pgkv.IndexMissing, Member: "serial"},
	}
	if !slices.Equal(drift.Drift, wantDrift) {
		t.Fatalf("drift:\n got %+v\nwant %+v", drift.Drift, wantDrift)
	}
	for _, say := range []string{"devices_serial_idx", "is missing", "devices_model_idx covers value->>\"model\", not value->>\"modelId\"",
		"devices_color_idx", "DROP INDEX CONCURRENTLY devices_color_idx", "kvgen migrate -drop-stale"} {
		if !strings.Contains(err.Error(), say) {
			t.Errorf("CheckTable's error %q does not say %q", err, say)
		}
	}

	did, err := pgkv.Migrate(ctx, pool, "devices", devicesDDL, want, pgkv.MigrateOptions{})
	wantDid := []string{
		"table devices: already there, with its expiry index",
		"index devices_model_idx: rebuilt: it covered value->>\"model\", not value->>\"modelId\"",
		"index devices_owner_idx: already there",
		"index devices_serial_idx: created",
		"index devices_color_idx: left in place: stale, it covers value->>\"color\", which no indexed field uses any more (-drop-stale drops it)",
	}
	if err != nil || !slices.Equal(strs(did), wantDid) {
		t.Fatalf("Migrate = %v, %q;\nwant %q", err, strs(did), wantDid)
	}
	did, err = pgkv.Migrate(ctx, pool, "devices", devicesDDL, want, pgkv.MigrateOptions{DropStale: true})
	if err != nil || len(did) != 5 || did[4].String() != "index devices_color_idx: dropped: stale, it covered value->>\"color\"" {
		t.Fatalf("Migrate -drop-stale = %v, %q", err, strs(did))
	}
	assertNoDrift(t, pool, want...)
}

func strs(as []pgkv.Action) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return out
}

// TestCreateTableTakesNoLockOnLiveTable: on a table that exists with its
// expiry index, CreateTable runs no DDL, so it neither waits for a
// transaction open on the table nor holds up the writes behind it; a
// CREATE INDEX IF NOT EXISTS of the existing index would wait.
func TestCreateTableTakesNoLockOnLiveTable(t *testing.T) {
	ctx := context.Background()
	pool := devices(t)
	writer := openWriter(t, pool)
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pgkv.CreateTable(cctx, pool, "devices", devicesDDL); err != nil {
		t.Fatalf("CreateTable on a live table = %v; want it done while a writer is open", err)
	}
	if err := writer.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestMigrateCreatesTable: on an empty database Migrate creates the table,
// its expiry index and the field indexes.
func TestMigrateCreatesTable(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	did, err := pgkv.Migrate(ctx, pool, "devices", devicesDDL, []pgkv.Index{ownerIndex}, pgkv.MigrateOptions{})
	want := []string{"table devices: created, with its expiry index (CREATE … IF NOT EXISTS)", "index devices_owner_idx: created"}
	if err != nil || !slices.Equal(strs(did), want) {
		t.Fatalf("Migrate = %v, %q; want %q", err, strs(did), want)
	}
	assertNoDrift(t, pool, ownerIndex)
}

// TestCreateIndexesRefusesTx: CONCURRENTLY cannot run in a transaction, so
// CreateIndexes over a pgx.Tx says so before it runs anything.
func TestCreateIndexesRefusesTx(t *testing.T) {
	ctx := context.Background()
	pool := devices(t)
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := pgkv.CreateIndexes(ctx, tx, "devices", []pgkv.Index{ownerIndex}); err == nil || !strings.Contains(err.Error(), "pgx.Tx") {
		t.Errorf("CreateIndexes over a pgx.Tx = %v; want an error naming pgx.Tx", err)
	}
	if _, err := tx.Exec(ctx, "SELECT 1"); err != nil {
		t.Errorf("the transaction after the refused CreateIndexes: %v", err)
	}
}

// TestCreateIndexSQL: names and members that cannot be written safely in
// the statement are refused, naming the index.
func TestCreateIndexSQL(t *testing.T) {
	got, err := pgkv.CreateIndexSQL("devices", pgkv.Index{Name: "devices_owner_idx", Member: "owner's"})
	if want := `CREATE INDEX CONCURRENTLY IF NOT EXISTS devices_owner_idx ON devices (collection, (value->>'owner''s'))`; err != nil || got != want {
		t.Errorf("CreateIndexSQL = %q, %v; want %q", got, err, want)
	}
	for _, bad := range []struct{ table, name, member string }{
		{"Devices", "devices_owner_idx", "owner"},
		{"devices", "devices owner", "owner"},
		{"devices", strings.Repeat("x", 64), "owner"},
		{"devices", "devices_owner_idx", `own\er`},
		{"devices", "devices_owner_idx", "own\x00er"},
		{"devices", "devices_owner_idx", "own\ner"},
		{"devices", "devices_owner_idx", ""},
		{"devices", "devices_owner_idx", "\xff"},
	} {
		if got, err := pgkv.CreateIndexSQL(bad.table, pgkv.Index{Name: bad.name, Member: bad.member}); err == nil {
			t.Errorf("CreateIndexSQL(%q, %q, %q) = %q; want an error", bad.table, bad.name, bad.member, got)
		}
	}
}
