package pgkv

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
)

// Beginner is a DBTX that can begin a transaction: a *pgxpool.Pool, a
// *pgx.Conn, or a pgx.Tx, where it begins a savepoint.
type Beginner interface {
	DBTX
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Atomic runs fn over one transaction of conn, wrapped as Wrap wraps:
// committed when fn returns nil, rolled back otherwise. When the database
// aborts the transaction for serialization or a deadlock, Atomic runs it
// again from the start, for up to RetryFor, so fn may run more than once
// and must have no effect outside the transaction. Over a pgx.Tx the
// transaction is a savepoint of the caller's, which the failure aborted
// whole: Atomic does not retry it.
func Atomic(ctx context.Context, conn Beginner, fn func(DBTX) error) error {
	_, inTx := conn.(pgx.Tx)
	var retries retries
	for {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error { return fn(Wrap(tx)) })
		if err == nil || !retryable(err) {
			return err
		}
		if inTx {
			return renamed(err, inTransaction)
		}
		if why, again := retries.wait(ctx); !again {
			return renamed(err, "the transaction "+why)
		}
	}
}

// renamed gives a serialization failure the reason it reaches the caller:
// a statement of the transaction named it already, or the commit failed.
func renamed(err error, why string) error {
	var named *Error
	if errors.As(err, &named) {
		return &Error{Op: named.Op, Kind: named.Kind, Why: why, Err: named.Err}
	}
	return name("Commit", err, why)
}
