package sqlitekv

import (
	"context"
	"database/sql/driver"
	"errors"
)

// namedConn is a driver connection whose statements report their errors
// named (see namer). It passes every optional interface of database/sql
// on to the driver's connection, and where that has none, does what
// database/sql does without it: driver.ErrSkip, or nothing.
type namedConn struct {
	driver.Conn
	n namer
}

var (
	_ driver.ExecerContext      = namedConn{}
	_ driver.QueryerContext     = namedConn{}
	_ driver.ConnPrepareContext = namedConn{}
	_ driver.ConnBeginTx        = namedConn{}
	_ driver.Pinger             = namedConn{}
	_ driver.SessionResetter    = namedConn{}
	_ driver.Validator          = namedConn{}
	_ driver.NamedValueChecker  = namedConn{}
)

func (c namedConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	e, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip // database/sql prepares the statement
	}
	r, err := e.ExecContext(ctx, query, args)
	return r, c.n.name(query, err)
}

// QueryContext names the errors SQLite reports when it runs the statement
// up to its first row, which is when a write with RETURNING takes the
// lock and writes; the rows' own errors pass as they are.
func (c namedConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := c.Conn.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	r, err := q.QueryContext(ctx, query, args)
	return r, c.n.name(query, err)
}

func (c namedConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c namedConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	var s driver.Stmt
	var err error
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		s, err = p.PrepareContext(ctx, query)
	} else {
		s, err = c.Conn.Prepare(query)
	}
	if err != nil {
		return nil, c.n.name(query, err)
	}
	return namedStmt{Stmt: s, conn: c, query: query}, nil
}

func (c namedConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c namedConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	var tx driver.Tx
	var err error
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		tx, err = b.BeginTx(ctx, opts)
	} else if opts != (driver.TxOptions{}) {
		return nil, errors.New("sqlitekv: the driver takes no transaction options")
	} else {
		tx, err = c.Conn.Begin() //nolint:staticcheck // a driver without ConnBeginTx
	}
	if err != nil {
		return nil, c.n.name("BEGIN", err)
	}
	return namedTx{Tx: tx, n: c.n}, nil
}

func (c namedConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c namedConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c namedConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c namedConn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.Conn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip // database/sql converts the value as it would without us
}

// namedTx names the failure of its COMMIT.
type namedTx struct {
	driver.Tx
	n namer
}

func (t namedTx) Commit() error { return t.n.name("COMMIT", t.Tx.Commit()) }

// namedStmt is a prepared statement whose runs report their errors named.
// Like namedConn it passes on the optional interfaces but one:
// ColumnConverter, which database/sql has deprecated and no SQLite driver
// implements.
type namedStmt struct {
	driver.Stmt
	conn  namedConn
	query string
}

var (
	_ driver.StmtExecContext   = namedStmt{}
	_ driver.StmtQueryContext  = namedStmt{}
	_ driver.NamedValueChecker = namedStmt{}
)

func (s namedStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	var r driver.Result
	var err error
	if e, ok := s.Stmt.(driver.StmtExecContext); ok {
		r, err = e.ExecContext(ctx, args)
	} else if values, verr := positional(args); verr != nil {
		return nil, verr
	} else {
		r, err = s.Stmt.Exec(values) //nolint:staticcheck // a driver without StmtExecContext
	}
	return r, s.conn.n.name(s.query, err)
}

func (s namedStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	var r driver.Rows
	var err error
	if q, ok := s.Stmt.(driver.StmtQueryContext); ok {
		r, err = q.QueryContext(ctx, args)
	} else if values, verr := positional(args); verr != nil {
		return nil, verr
	} else {
		r, err = s.Stmt.Query(values) //nolint:staticcheck // a driver without StmtQueryContext
	}
	return r, s.conn.n.name(s.query, err)
}

// CheckNamedValue is the statement's checker, or else its connection's,
// which database/sql asks only when the statement has none.
func (s namedStmt) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := s.Stmt.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return s.conn.CheckNamedValue(nv)
}

// positional is args for a driver that takes no names, as database/sql
// would pass them to it.
func positional(args []driver.NamedValue) ([]driver.Value, error) {
	values := make([]driver.Value, len(args))
	for i, a := range args {
		if a.Name != "" {
			return nil, errors.New("sqlitekv: the driver takes no named parameters")
		}
		values[i] = a.Value
	}
	return values, nil
}
