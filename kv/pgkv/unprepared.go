package pgkv

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// DBTX is what sqlc's pgx/v5 code runs statements on: a *pgxpool.Pool, a
// *pgx.Conn or a pgx.Tx.
type DBTX interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Unprepared runs every statement of conn in pgx's QueryExecModeExec,
// whatever the connection's default mode: one round trip on the unnamed
// statement, no named prepared statement on the server. PgBouncer's
// transaction pooling hands a client's statements to any server connection,
// where pgx's default statement cache fails after a redeploy (42P05,
// prepared statement "stmtcache_…" already exists); this mode works there
// and on a direct connection alike, so the generated stores use it always.
func Unprepared(conn DBTX) DBTX { return unprepared{conn} }

type unprepared struct{ conn DBTX }

// mode puts the exec mode first, where pgx looks for it.
func mode(args []any) []any {
	return append([]any{pgx.QueryExecModeExec}, args...)
}

func (u unprepared) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return u.conn.Exec(ctx, sql, mode(args)...)
}

func (u unprepared) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return u.conn.Query(ctx, sql, mode(args)...)
}

func (u unprepared) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return u.conn.QueryRow(ctx, sql, mode(args)...)
}
