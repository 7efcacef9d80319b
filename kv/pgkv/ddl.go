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

// CreateTable runs ddl, idempotent statements of CREATE … IF NOT EXISTS,
// in one transaction. When a concurrent CreateTable wins the race, it runs
// ddl again, up to Attempts times: the winner has committed, so IF NOT
// EXISTS now sees its objects. No advisory lock is taken, so that the same
// DDL runs on CockroachDB. Over a pgx.Tx a lost race aborted the caller's
// transaction, and the error is returned as it is.
func CreateTable(ctx context.Context, conn DBTX, ddl string) error {
	_, inTx := conn.(pgx.Tx)
	for attempt := 1; ; attempt++ {
		// No arguments: pgx sends ddl by the simple protocol, several
		// statements in one implicit transaction.
		_, err := conn.Exec(ctx, ddl)
		if err == nil || inTx || attempt == Attempts || !lostRace(err) {
			return name("CreateTable", err, fmt.Sprintf("still after %d attempts", attempt))
		}
		if wait(ctx, attempt) != nil {
			return err
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
// missing, lacks a column a store uses, or sits on a server that takes no
// writes: errors.Is(err, kv.ErrReadOnly) then, which a store meant only to
// read from a standby may accept. pkg prefixes the messages.
func CheckTable(ctx context.Context, conn DBTX, pkg, table string) error {
	_, err := conn.Exec(ctx, "SELECT "+checkTableColumn+" FROM "+table+" LIMIT 0", pgx.QueryExecModeExec)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == undefinedTable || pgErr.Code == undefinedColumn) {
		return fmt.Errorf("%s: table %s is not as the store needs it (%s): run CreateTable or apply DDL", pkg, table, pgErr.Message)
	}
	if err != nil {
		return fmt.Errorf("%s: checking table %s: %w", pkg, table, err)
	}
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
