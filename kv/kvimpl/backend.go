package kvimpl

import (
	"context"

	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/pgkv"
)

// DBTX is what sqlc's pgx/v5 code runs statements on: a *pgxpool.Pool, a
// *pgx.Conn or a pgx.Tx. Every generated package's db.DBTX is the same
// interface.
type DBTX = pgkv.DBTX

// Backend returns the kv.Backend a generated New builds over conn:
// newBackend, the generated adapter of sqlc's queries, over conn as
// pgkv.Wrap runs it (unprepared, retried on serialization failures). When
// conn can begin a transaction (a pool, a connection, or a pgx.Tx, where it
// begins a savepoint), the backend is a kv.AtomicBackend, so that a PutMany
// of more than kv.PutManyChunk keys writes its chunks in one transaction;
// over any other DBTX it is one statement.
func Backend(conn DBTX, newBackend func(DBTX) kv.Backend) kv.Backend {
	b := newBackend(pgkv.Wrap(conn))
	if c, ok := conn.(pgkv.Beginner); ok {
		return &atomicBackend{Backend: b, conn: c, newBackend: newBackend}
	}
	return b
}

// atomicBackend is a generated backend over a connection that can begin a
// transaction.
type atomicBackend struct {
	kv.Backend
	conn       pgkv.Beginner
	newBackend func(DBTX) kv.Backend
}

var _ kv.AtomicBackend = (*atomicBackend)(nil)

// Atomic calls fn with the generated backend over one transaction of
// b.conn: committed when fn returns nil, rolled back otherwise, and run
// again when the database aborts it for serialization (pgkv.Atomic).
func (b *atomicBackend) Atomic(ctx context.Context, fn func(kv.Backend) error) error {
	return pgkv.Atomic(ctx, b.conn, func(tx DBTX) error {
		return fn(b.newBackend(tx))
	})
}
