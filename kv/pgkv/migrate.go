package pgkv

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Action is one thing Migrate or CreateIndexes did, or found done.
type Action struct {
	Object string // "table devices", "index devices_owner_idx"
	Did    string // "created", "already there", "rebuilt: …", "dropped: …"
}

func (a Action) String() string { return a.Object + ": " + a.Did }

// errInTransaction is CreateIndexes and DropStaleIndexes over a pgx.Tx.
var errInTransaction = errors.New("pgkv: CREATE and DROP INDEX CONCURRENTLY cannot run inside a transaction: give a pool or a connection, not a pgx.Tx")

// builderPoll is how often CreateIndexes asks whether another session
// still builds an index it needs.
const builderPoll = 200 * time.Millisecond

// CreateIndexes builds the indexes of table's indexed fields that are not
// there, without blocking writes: each is a CREATE INDEX CONCURRENTLY of
// its own, outside any transaction, which waits for the transactions
// already writing the table and lets new writes through meanwhile. An
// INVALID index of one of those names, left by a concurrent build that
// failed or was cancelled, is dropped (DROP INDEX CONCURRENTLY) and built
// again, and so is one that covers another JSON member. An index another
// session of the same role is still building is waited for, then checked;
// a build by another role is not seen and the index is rebuilt after it.
//
// conn is a pool or a connection: over a pgx.Tx it fails at once. Indexes
// are built one after the other, in name order; the error of one stops the
// rest, and the actions done before it are returned with it.
func CreateIndexes(ctx context.Context, conn DBTX, table string, indexes []Index) ([]Action, error) {
	if _, ok := conn.(pgx.Tx); ok {
		return nil, errInTransaction
	}
	sorted := slices.Clone(indexes)
	slices.SortFunc(sorted, func(a, b Index) int { return strings.Compare(a.Name, b.Name) })
	var done []Action
	for _, idx := range sorted {
		did, err := createIndex(ctx, conn, table, idx)
		if err != nil {
			return done, fmt.Errorf("pgkv: index %s of table %s: %w", idx.Name, table, err)
		}
		done = append(done, Action{Object: "index " + idx.Name, Did: did})
	}
	return done, nil
}

// buildAttempts bounds how many times createIndex looks at an index and
// acts on what it found, so that a build that keeps leaving it drifted
// (another role's builds, which it cannot see) ends in an error.
const buildAttempts = 3

// createIndex brings one index to what idx says and says what it did.
func createIndex(ctx context.Context, conn DBTX, table string, idx Index) (string, error) {
	create, err := CreateIndexSQL(table, idx)
	if err != nil {
		return "", err
	}
	did := ""
	for attempt := 0; ; attempt++ {
		have, err := tableIndexes(ctx, conn, table)
		if err != nil {
			return "", err
		}
		d, drifted := compare(table, idx, have)
		if !drifted {
			return cmp.Or(did, "already there"), nil
		}
		if attempt == buildAttempts {
			return "", fmt.Errorf("still not as it should be after %d attempts: %s", attempt, d)
		}
		if d.Kind == IndexInvalid {
			busy, err := waitForBuilder(ctx, conn, idx.Name)
			if err != nil {
				return "", err
			}
			if busy {
				did = "built by another session meanwhile"
				continue // look again at what that session left
			}
		}
		did = "created"
		if d.Kind != IndexMissing {
			did = "rebuilt: it " + rebuiltWhy(d)
			if _, err := conn.Exec(ctx, "DROP INDEX CONCURRENTLY IF EXISTS "+idx.Name); err != nil {
				return "", fmt.Errorf("dropping it to build it again: %w", err)
			}
		}
		if err := build(ctx, conn, create); err != nil {
			return "", err
		}
	}
}

// build runs create, a CREATE INDEX CONCURRENTLY. Without arguments pgx
// sends it by the simple protocol, one statement outside any transaction,
// as CONCURRENTLY needs.
func build(ctx context.Context, conn DBTX, create string) error {
	if _, err := conn.Exec(ctx, create); err != nil {
		return fmt.Errorf("%w (a failed concurrent build leaves the index INVALID: run again to rebuild it)", err)
	}
	return nil
}

func rebuiltWhy(d Drift) string {
	if d.Kind == IndexInvalid {
		return "was INVALID, left by a concurrent build that did not finish"
	}
	if d.Covers == "" {
		return "was not the index kvgen builds"
	}
	return fmt.Sprintf("covered value->>%q, not value->>%q", d.Covers, d.Member)
}

// waitForBuilder waits while another session builds the index called
// name, and reports whether one did. It sees the builds of the role it
// runs as (pg_stat_progress_create_index hides other roles' targets).
func waitForBuilder(ctx context.Context, conn DBTX, name string) (bool, error) {
	tick := time.NewTicker(builderPoll)
	defer tick.Stop()
	for waited := false; ; waited = true {
		var builders int
		err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_progress_create_index
			WHERE index_relid = to_regclass($1) AND pid <> pg_backend_pid()`, pgx.QueryExecModeExec, name).Scan(&builders)
		if err != nil {
			return false, fmt.Errorf("asking whether another session builds it: %w", err)
		}
		if builders == 0 {
			return waited, nil
		}
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("another session still builds it: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

// DropStaleIndexes drops, concurrently, the indexes IndexDrift reports
// stale: named and shaped as kvgen builds them, for fields of table that
// no indexed field (want) covers any more.
func DropStaleIndexes(ctx context.Context, conn DBTX, table string, want []Index) ([]Action, error) {
	if _, ok := conn.(pgx.Tx); ok {
		return nil, errInTransaction
	}
	drift, err := IndexDrift(ctx, conn, table, want)
	if err != nil {
		return nil, err
	}
	var done []Action
	for _, d := range drift {
		if d.Kind != IndexStale {
			continue
		}
		if _, err := conn.Exec(ctx, "DROP INDEX CONCURRENTLY IF EXISTS "+d.Index); err != nil {
			return done, fmt.Errorf("pgkv: dropping stale index %s of table %s: %w", d.Index, table, err)
		}
		done = append(done, Action{Object: "index " + d.Index, Did: fmt.Sprintf("dropped: stale, it covered value->>%q", d.Member)})
	}
	return done, nil
}

// MigrateOptions configure Migrate.
type MigrateOptions struct {
	// DropStale drops the stale indexes of the table (see IndexStale);
	// without it Migrate reports them and leaves them.
	DropStale bool
}

// Migrate brings table to what its schemas want without blocking writes
// on a live table: it creates the table and its expiry index if either is
// missing (CreateTable with ddl), then the indexes of its indexed fields
// (CreateIndexes), then drops or reports the stale ones. It is what
// `kvgen migrate` runs, and safe to run again: each run does what is left.
func Migrate(ctx context.Context, conn DBTX, table, ddl string, indexes []Index, opts MigrateOptions) ([]Action, error) {
	created, err := createTable(ctx, conn, table, ddl)
	if err != nil {
		return nil, err
	}
	tableDid := "already there, with its expiry index"
	if created {
		tableDid = "created, with its expiry index (CREATE … IF NOT EXISTS)"
	}
	done := []Action{{Object: "table " + table, Did: tableDid}}
	built, err := CreateIndexes(ctx, conn, table, indexes)
	done = append(done, built...)
	if err != nil {
		return done, err
	}
	if opts.DropStale {
		dropped, err := DropStaleIndexes(ctx, conn, table, indexes)
		return append(done, dropped...), err
	}
	drift, err := IndexDrift(ctx, conn, table, indexes)
	for _, d := range drift {
		if d.Kind == IndexStale {
			done = append(done, Action{Object: "index " + d.Index, Did: fmt.Sprintf(
				"left in place: stale, it covers value->>%q, which no indexed field uses any more (-drop-stale drops it)", d.Member)})
		}
	}
	return done, err
}
