package pgkv

import (
	"context"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// DefaultWindow is how long after a write ReadWrite sends reads to the
// primary unless ReadWriteOptions say otherwise: far above the lag of a
// streaming standby in good health (milliseconds), short enough that the
// primary does not take the reads of a store that writes now and then.
const DefaultWindow = 2 * time.Second

// ReadWriteOptions configure ReadWrite.
type ReadWriteOptions struct {
	// Window is how long after a write ends the reads go to the primary;
	// zero or less means DefaultWindow. Read-your-writes holds while the
	// replica lags less than Window.
	Window time.Duration
}

// replicaReads are the generated queries that only read, and may read a
// replica: every other statement goes to the primary. Scan is not one: it
// reads rows that re-encryption rewrites next, as they are now.
var replicaReads = map[string]bool{"Get": true, "GetMany": true, "Keys": true, "List": true, "Collections": true}

// ReplicaRead reports whether ReadWrite may send the generated query called
// query (sqlc's name, as "Get" or "FindByOwner") to the replica.
func ReplicaRead(query string) bool {
	return replicaReads[query] || strings.HasPrefix(query, "FindBy")
}

// ReadWrite returns a connection for a generated store's New that sends
// its reads (Get, GetMany, List, Keys, the finders, Collections, and so
// TTL and GetVersion) to replica, a pool on a streaming standby, and
// everything else to primary: writes, transactions (a PutMany of several
// chunks), re-encryption's reads, CheckTable and CreateTable.
//
// Read-your-writes: for Window after any write through it ends, committed
// or not (a write that failed may still have been applied), and while one
// runs, every read goes to the primary too, so that a caller reads what it
// just wrote although the standby lags. The window belongs to the value
// ReadWrite returns: every store built on it, and every goroutine using
// them, reads from the primary after a write of any of them. Another
// process's writes reach its reads when the standby replays them.
//
// Over a pgx.Tx, ReadWrite returns primary itself: a read inside the
// caller's transaction must see that transaction's writes, which no other
// connection does. With a nil replica it returns primary too.
func ReadWrite(primary Beginner, replica DBTX, opts ReadWriteOptions) Beginner {
	if _, inTx := primary.(pgx.Tx); inTx || replica == nil {
		return primary
	}
	window := opts.Window
	if window <= 0 {
		window = DefaultWindow
	}
	return &readWrite{primary: primary, replica: replica, window: window, now: time.Now, start: time.Now()}
}

// readWrite routes by the sqlc name in the statement's first line.
type readWrite struct {
	primary Beginner
	replica DBTX
	window  time.Duration
	now     func() time.Time // time.Now, which tests replace
	start   time.Time        // the origin of primaryUntil, with a monotonic reading
	// primaryUntil is when, in nanoseconds since start, reads may go to
	// the replica again: Window after the end of the last write.
	primaryUntil atomic.Int64
}

// route returns the connection of the statement sql and the function to
// call when it ends: for a write, one that keeps reads on the primary for
// Window from then. A write keeps them there from its start too, since the
// primary may have applied it before it returns.
func (rw *readWrite) route(sql string) (DBTX, func()) {
	switch {
	case !ReplicaRead(operation(sql)):
		rw.wrote()
		return rw.primary, rw.wrote
	case rw.elapsed() < rw.primaryUntil.Load():
		return rw.primary, noop
	}
	return rw.replica, noop
}

func noop() {}

func (rw *readWrite) elapsed() int64 { return int64(rw.now().Sub(rw.start)) }

// wrote keeps reads on the primary for Window from now.
func (rw *readWrite) wrote() {
	until := rw.elapsed() + int64(rw.window)
	for {
		cur := rw.primaryUntil.Load()
		if cur >= until || rw.primaryUntil.CompareAndSwap(cur, until) {
			return
		}
	}
}

func (rw *readWrite) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	conn, done := rw.route(sql)
	defer done()
	return conn.Exec(ctx, sql, args...)
}

func (rw *readWrite) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	conn, done := rw.route(sql)
	rows, err := conn.Query(ctx, sql, args...)
	done()
	if err != nil {
		return rows, err
	}
	return endRows{Rows: rows, done: done}, nil
}

func (rw *readWrite) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	conn, done := rw.route(sql)
	defer done()
	return endRow{Row: conn.QueryRow(ctx, sql, args...), done: done}
}

// Begin begins a transaction on the primary, whose reads are its own; its
// end counts as a write.
func (rw *readWrite) Begin(ctx context.Context) (pgx.Tx, error) {
	rw.wrote()
	tx, err := rw.primary.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return endTx{Tx: tx, done: rw.wrote}, nil
}

// endRow calls done once its statement has run to the end, when scanned.
type endRow struct {
	pgx.Row
	done func()
}

func (r endRow) Scan(dest ...any) error {
	defer r.done()
	return r.Row.Scan(dest...)
}

// endRows calls done when closed.
type endRows struct {
	pgx.Rows
	done func()
}

func (r endRows) Close() {
	r.Rows.Close()
	r.done()
}

// endTx calls done when the transaction ends.
type endTx struct {
	pgx.Tx
	done func()
}

func (t endTx) Commit(ctx context.Context) error {
	defer t.done()
	return t.Tx.Commit(ctx)
}

func (t endTx) Rollback(ctx context.Context) error {
	defer t.done()
	return t.Tx.Rollback(ctx)
}
