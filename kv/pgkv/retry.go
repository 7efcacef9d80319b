package pgkv

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kvgen/kvgen/kv"
)

// RetryFor bounds how long a statement, or an Atomic transaction, keeps
// running again after the database first aborts it with a serialization
// failure or a deadlock (and CreateTable when a concurrent one wins the race). A bound
// on time rather than on attempts: under heavy contention one writer can
// lose many rounds in a row while the others get through, and it wins once
// they are done; a count small enough to give up quickly when the database
// is idle starves it then. The caller's context cuts retrying short sooner.
const RetryFor = 10 * time.Second

// The first retry waits up to backoffBase; each further one up to twice as
// long as the one before, but never more than backoffMax: short enough that
// a statement waiting out a busy moment tries often.
const (
	backoffBase = 5 * time.Millisecond
	backoffMax  = 100 * time.Millisecond
)

// Wrap returns conn as the generated stores run it: every statement
// unprepared (see Unprepared), and the errors a caller must tell apart
// named for errors.Is (kv.ErrReadOnly, kv.ErrSerialization).
//
// Over a pool or a connection each statement is its own transaction, which
// the database rolls back whole when it reports a serialization failure or
// a deadlock; so the statement runs again after a random wait, for up to
// RetryFor. That is safe for every statement, conditional writes
// included: the new attempt reads the state the winner left. A statement
// over a pgx.Tx is not retried, since its failure aborted the caller's
// whole transaction; nor is any other error, such as a lost connection,
// after which a write may or may not have been applied. Reads are read
// whole before they are returned (see Query), as sqlc's code collects
// them anyway.
func Wrap(conn DBTX) DBTX {
	_, inTx := conn.(pgx.Tx)
	return wrapped{conn: Unprepared(conn), inTx: inTx}
}

type wrapped struct {
	conn DBTX
	inTx bool // the caller's transaction: a failed statement aborted it
}

func (w wrapped) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	var tag pgconn.CommandTag
	err := w.run(ctx, sql, func() (err error) {
		tag, err = w.conn.Exec(ctx, sql, args...)
		return err
	})
	return tag, err
}

func (w wrapped) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return row{w: w, ctx: ctx, sql: sql, args: args}
}

// row runs its statement when scanned, where pgx reports its error.
type row struct {
	w    wrapped
	ctx  context.Context
	sql  string
	args []any
}

func (r row) Scan(dest ...any) error {
	return r.w.run(r.ctx, r.sql, func() error {
		return r.w.conn.QueryRow(r.ctx, r.sql, r.args...).Scan(dest...)
	})
}

// Query reads the whole result before the caller sees a row: under
// serializable isolation the database may report the failure after the
// last row, when the statement commits, and only a result no caller has
// seen can be read again. In the caller's transaction nothing is retried,
// and the rows stream as they come.
func (w wrapped) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if w.inTx {
		rows, err := w.conn.Query(ctx, sql, args...)
		if err != nil {
			return nil, name(operation(sql), err, inTransaction)
		}
		return namedRows{Rows: rows, op: operation(sql)}, nil
	}
	var out pgx.Rows
	err := w.run(ctx, sql, func() (err error) {
		out, err = readAll(w.conn.Query(ctx, sql, args...))
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// namedRows names the failure its Err reports.
type namedRows struct {
	pgx.Rows
	op string
}

func (r namedRows) Err() error { return name(r.op, r.Rows.Err(), inTransaction) }

// run runs fn, the statement sql, again while the database aborts it for
// serialization and the statement owns its transaction.
func (w wrapped) run(ctx context.Context, sql string, fn func() error) error {
	var retries retries
	for {
		err := fn()
		if err == nil || !retryable(err) {
			return name(operation(sql), err, "")
		}
		if w.inTx {
			return name(operation(sql), err, inTransaction)
		}
		if why, again := retries.wait(ctx); !again {
			return name(operation(sql), err, why)
		}
	}
}

// inTransaction is why a statement inside a transaction is not retried.
const inTransaction = "inside a transaction, which it aborted: roll the transaction back and run it again from its start"

// retryFor is RetryFor, which a test of giving up shortens.
var retryFor = RetryFor

const cutShort = "retrying was cut short by the context"

// retries is what one statement or transaction has spent on running again
// since its first failure, from which RetryFor counts: how long the first
// attempt took (a large PutMany waiting for a lock) is not held against it.
type retries struct {
	start   time.Time // the first failure
	attempt int       // attempts made so far
}

// wait sleeps before the next attempt a random time whose bound doubles
// with each attempt, so that transactions that collided do not collide
// again in step. It reports false, and why, when there is to be no next
// attempt: the sleep would end past RetryFor, or ctx ended it.
func (r *retries) wait(ctx context.Context) (why string, again bool) {
	if r.attempt == 0 {
		r.start, r.attempt = time.Now(), 1
	}
	if ctx.Err() != nil {
		return cutShort, false
	}
	d := rand.N(min(backoffBase<<min(r.attempt-1, 20), backoffMax))
	if time.Since(r.start)+d > retryFor {
		return fmt.Sprintf("still after %d attempts in %v", r.attempt, time.Since(r.start).Round(time.Millisecond)), false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return cutShort, false
	case <-t.C:
		r.attempt++
		return "", true
	}
}

// SQLSTATE codes that Wrap tells apart.
const (
	serializationFailure = "40001"
	deadlockDetected     = "40P01"
	readOnlyTransaction  = "25006"
)

func sqlState(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

func retryable(err error) bool {
	code := sqlState(err)
	return code == serializationFailure || code == deadlockDetected
}

// Error is a database error named for errors.Is: Kind is kv.ErrReadOnly or
// kv.ErrSerialization, Err the *pgconn.PgError. It says which operation
// failed and what to do; it holds no parameter.
type Error struct {
	Op   string // the generated query's name, as "Put"
	Kind error
	Why  string
	Err  error
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("pgkv: %s: %s, %s", e.Op, strings.TrimPrefix(e.Kind.Error(), "kv: "), e.Why)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Is(target error) bool { return target == e.Kind }
func (e *Error) Unwrap() error        { return e.Err }

// name wraps err in an Error when it is one to name; why says why a
// serialization failure was not retried.
func name(op string, err error, why string) error {
	switch sqlState(err) {
	case readOnlyTransaction:
		return &Error{Op: op, Kind: kv.ErrReadOnly, Err: err,
			Why: "it takes no writes (a standby, or default_transaction_read_only): give the store a connection to the primary"}
	case serializationFailure, deadlockDetected:
		return &Error{Op: op, Kind: kv.ErrSerialization, Why: why, Err: err}
	}
	return err
}

// operation is the name sqlc gives the statement in its first line,
// "-- name: Put :exec", or "statement" for SQL of another origin.
func operation(sql string) string {
	rest, ok := strings.CutPrefix(sql, "-- name: ")
	if !ok {
		return "statement"
	}
	if name, _, ok := strings.Cut(rest, " "); ok && name != "" && !strings.ContainsAny(name, "\n\r") {
		return name
	}
	return "statement"
}
