package sqlitekv

import (
	"context"
	"database/sql"
	"database/sql/driver"
)

// DBTX is what sqlc's database/sql code runs statements on: a *sql.DB, a
// *sql.Conn or a *sql.Tx.
type DBTX interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Atomic runs fn over one transaction of the writing connection, begun
// with BEGIN IMMEDIATE: it takes SQLite's write lock first, so no statement
// of fn can fail for want of it (a deferred BEGIN that read first fails
// with "database is locked" when another process wrote meanwhile, whatever
// the busy timeout). The transaction commits when fn returns nil and rolls
// back otherwise; other writers of this process wait meanwhile. fn runs
// once: SQLite aborts no transaction for serialization.
func (db *DB) Atomic(ctx context.Context, fn func(DBTX) error) error {
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	err = fn(conn)
	if err == nil {
		_, err = conn.ExecContext(ctx, "COMMIT")
	}
	if err != nil {
		rollback(ctx, conn)
	}
	return err
}

// rollback ends the transaction of conn, even when ctx is done (a cancelled
// statement is why it is rolled back). A connection whose transaction
// cannot be ended is dropped from the pool, so that no later writer inherits it.
func rollback(ctx context.Context, conn *sql.Conn) {
	if _, err := conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); err != nil && !noTransaction(err) {
		conn.Raw(func(any) error { return driver.ErrBadConn })
	}
}

// noTransaction reports SQLite's error for a ROLLBACK with nothing to roll
// back: a failed COMMIT or an interrupted statement may have ended it.
func noTransaction(err error) bool {
	return err != nil && containsFold(err.Error(), "no transaction is active")
}

var _ DBTX = (*sql.Conn)(nil)
var _ DBTX = (*sql.DB)(nil)
