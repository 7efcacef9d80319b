package pgkv

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kvgen/kvgen/kv"
)

// SQLSTATE codes of a CREATE … IF NOT EXISTS that lost a race: replicas
// starting at once each create the table, and the losers' catalog inserts
// collide with the winner's (23505 on pg_type, 42P07, or 42710 for the
// table's row type) instead of seeing it exist.
const (
	uniqueViolation  = "23505"
	duplicateTable   = "42P07"
	duplicateObject  = "42710"
	undefinedTable   = "42P01"
	undefinedColumn  = "42703"
	checkTableColumn = "collection, key, value, ttl, created_at, expires_at"
)

// CreateTable creates table and its index on expires_at by running ddl,
// idempotent statements of CREATE … IF NOT EXISTS, in one transaction,
// unless both exist already: then it runs nothing, since even a CREATE
// INDEX IF NOT EXISTS of an index that exists waits for a lock that
// conflicts with every write, and holds up the writes queued behind it
// meanwhile. So replicas may call it at start-up on a live table.
//
// When a concurrent CreateTable wins the race to create them, it runs ddl
// again, for up to RetryFor: the winner has committed, so IF NOT EXISTS
// now sees its objects. No advisory lock is taken, so that the same DDL
// runs on CockroachDB. Over a pgx.Tx a lost race aborted the caller's
// transaction, and the error is returned as it is. The indexes of indexed
// fields are not CreateTable's: CreateIndexes builds them concurrently.
func CreateTable(ctx context.Context, conn DBTX, table, ddl string) error {
	_, err := createTable(ctx, conn, table, ddl)
	return err
}

// createTable is CreateTable, and reports whether it ran ddl.
func createTable(ctx context.Context, conn DBTX, table, ddl string) (bool, error) {
	var exists bool
	err := conn.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL`,
		pgx.QueryExecModeExec, table, ExpiresIndexName(table)).Scan(&exists)
	if err != nil || exists {
		return false, name("CreateTable", err, "")
	}
	_, inTx := conn.(pgx.Tx)
	var retries retries
	for {
		// No arguments: pgx sends ddl by the simple protocol, several
		// statements in one implicit transaction.
		_, err := conn.Exec(ctx, ddl)
		if err == nil || inTx || !lostRace(err) {
			return err == nil, name("CreateTable", err, inTransaction)
		}
		if why, again := retries.wait(ctx); !again {
			return false, name("CreateTable", err, why)
		}
	}
}

func lostRace(err error) bool {
	switch sqlState(err) {
	case uniqueViolation, duplicateTable, duplicateObject, serializationFailure, deadlockDetected:
		return true
	}
	return false
}

// CheckTable reports, with an error that says what to do, when table is
// missing, lacks a column a store uses, has indexes other than the ones
// its indexed fields want (errors.Is(err, ErrIndexDrift), a *DriftError
// saying which), or sits on a server that takes no writes:
// errors.Is(err, kv.ErrReadOnly) then, which a store meant only to read
// from a standby may accept. indexes are those of every indexed field of
// the records stored in table; pkg prefixes the messages.
func CheckTable(ctx context.Context, conn DBTX, pkg, table string, indexes []Index) error {
	_, err := conn.Exec(ctx, "SELECT "+checkTableColumn+" FROM "+table+" LIMIT 0", pgx.QueryExecModeExec)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == undefinedTable || pgErr.Code == undefinedColumn) {
		return fmt.Errorf("%s: table %s is not as the store needs it (%s): run CreateTable or apply DDL", pkg, table, pgErr.Message)
	}
	if err != nil {
		return fmt.Errorf("%s: checking table %s: %w", pkg, table, err)
	}
	drift, err := IndexDrift(ctx, conn, table, indexes)
	if err != nil {
		return fmt.Errorf("%s: %w", pkg, err)
	}
	var driftErr error
	if len(drift) > 0 {
		driftErr = fmt.Errorf("%s: %w", pkg, &DriftError{Table: table, Drift: drift})
	}
	return errors.Join(driftErr, checkWritable(ctx, conn, pkg, table))
}

// checkWritable reports a server that takes no writes as kv.ErrReadOnly.
func checkWritable(ctx context.Context, conn DBTX, pkg, table string) error {
	var readOnly string
	if err := conn.QueryRow(ctx, "SHOW transaction_read_only", pgx.QueryExecModeExec).Scan(&readOnly); err != nil {
		return fmt.Errorf("%s: checking whether the server of table %s takes writes: %w", pkg, table, err)
	}
	if readOnly == "on" {
		return fmt.Errorf("%s: table %s: %w", pkg, table, &Error{Op: "CheckTable", Kind: kv.ErrReadOnly,
			Why: "transaction_read_only is on (a standby, or default_transaction_read_only): give a store that writes a connection to the primary"})
	}
	return nil
}
