package kvimpl

import (
	"context"

	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/sqlitekv"
)

// SQLiteDBTX is what sqlc's database/sql code runs statements on: a
// *sql.DB, a *sql.Conn or a *sql.Tx. Every generated package's sqlitedb.DBTX
// is the same interface.
type SQLiteDBTX = sqlitekv.DBTX

// SQLiteBackend returns the kv.Backend a generated NewSQLite builds over db:
// newBackend, the generated adapter of sqlc's SQLite queries, reading on
// db's read-only connections and writing on its writing one. It is a
// kv.AtomicBackend over sqlitekv's BEGIN IMMEDIATE transactions
// (sqlitekv.DB.Atomic), so that a PutMany of more than kv.PutManyChunk keys
// writes its chunks in one transaction, and it runs each Swap, a statement
// per key, in one transaction too.
func SQLiteBackend(db *sqlitekv.DB, newBackend func(r, w SQLiteDBTX) kv.Backend) kv.Backend {
	return &sqliteBackend{Backend: newBackend(db.Reader(), db.Writer()), db: db, newBackend: newBackend}
}

// sqliteBackend is a generated SQLite backend over a database, which can
// begin a transaction.
type sqliteBackend struct {
	kv.Backend
	db         *sqlitekv.DB
	newBackend func(r, w SQLiteDBTX) kv.Backend
}

var _ kv.AtomicBackend = (*sqliteBackend)(nil)

// Atomic calls fn with the generated backend over one transaction of the
// writing connection, reads and writes alike: committed when fn returns
// nil, rolled back otherwise. SQLite aborts no transaction for
// serialization, so fn runs once.
func (b *sqliteBackend) Atomic(ctx context.Context, fn func(kv.Backend) error) error {
	return b.db.Atomic(ctx, func(tx SQLiteDBTX) error {
		return fn(b.newBackend(tx, tx))
	})
}

// Swap runs the generated Swap, a statement per key (SQLiteSwap), in one
// transaction, so that a batch is swapped whole or not at all.
func (b *sqliteBackend) Swap(ctx context.Context, collection string, keys []string, olds, news [][]byte) (int, error) {
	n := 0
	err := b.Atomic(ctx, func(tx kv.Backend) error {
		var err error
		n, err = tx.Swap(ctx, collection, keys, olds, news)
		return err
	})
	return n, err
}
