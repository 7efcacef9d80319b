// Package sqlitekv is the SQLite runtime of kvgen's generated stores: it
// opens a database file as they need it (WAL, a busy timeout, one writer at
// a time, a 0600 file) and holds the small helpers their generated SQLite
// backends share. It uses database/sql only: the application imports the
// driver it likes (modernc.org/sqlite needs no cgo) and names it to Open,
// so a program that uses PostgreSQL alone never compiles a SQLite driver.
package sqlitekv

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"strings"
)

// BusyTimeout is how long, in milliseconds, a statement waits for another
// process's write lock (SQLite's busy_timeout) before it fails with
// "database is locked", named kv.ErrBusy (see Error). Within one process
// writers never meet at the lock: DB lets one write at a time.
const BusyTimeout = 10_000

// DB is a SQLite database as the generated stores use it: a pool of
// read-only connections, which WAL lets read beside a writer, and a pool of
// one connection for every write, so that the writers of this process take
// turns in database/sql's queue instead of meeting at SQLite's lock, where
// one of them would fail with "database is locked" once the busy timeout
// ran out. Writers of other processes wait up to BusyTimeout.
type DB struct {
	read  *sql.DB // query_only connections
	write *sql.DB // one connection
	path  string
}

// Reader is the pool of read-only connections. A write through it fails
// with kv.ErrReadOnly: writes go through Writer.
func (db *DB) Reader() *sql.DB { return db.read }

// Writer is the pool of the one connection that writes.
func (db *DB) Writer() *sql.DB { return db.write }

// Path is the database file.
func (db *DB) Path() string { return db.path }

// Close closes both pools.
func (db *DB) Close() error {
	return errors.Join(db.read.Close(), db.write.Close())
}

// The settings of every connection. synchronous=FULL makes a commit durable
// when it returns, as PostgreSQL's is; NORMAL would lose the last commits on
// a power cut. foreign_keys is on so that a user's own tables in the file
// behave as declared; the store's table has none.
var connPragmas = []string{
	fmt.Sprintf("PRAGMA busy_timeout = %d", BusyTimeout),
	"PRAGMA foreign_keys = ON",
	"PRAGMA synchronous = FULL",
}

// MinVersion is the oldest SQLite the generated queries run on:
// unixepoch('subsec') came in 3.42.0 (->> in 3.38.0, RETURNING in 3.35.0).
const MinVersion = "3.42.0"

// Open opens, creating it if needed, the SQLite database file at path
// through the database/sql driver registered as driverName ("sqlite" for
// modernc.org/sqlite, "sqlite3" for mattn/go-sqlite3). A new file is
// created with mode 0600, and SQLite gives its -wal and -shm files the
// mode of the database. Open puts the database in WAL mode, so that reads
// never wait for a writer, and fails when the file system refuses it (WAL
// needs shared memory: no network file systems) or when the driver's SQLite
// is older than MinVersion. path is a file name, not a URI: ":memory:"
// would give every connection a database of its own (use kv.NewMemory).
// The statements of both pools report SQLite's refusals as an Error named
// for errors.Is (kv.ErrReadOnly, kv.ErrBusy), when the driver's errors say
// SQLite's result code, as modernc.org/sqlite's do.
func Open(ctx context.Context, driverName, path string) (*DB, error) {
	if err := checkPath(path); err != nil {
		return nil, err
	}
	if err := createFile(path); err != nil {
		return nil, err
	}
	base, err := connectorOf(driverName, path)
	if err != nil {
		return nil, err
	}
	db := &DB{
		read: sql.OpenDB(pragmaConnector{Connector: base, pragmas: append(slices.Clip(connPragmas), "PRAGMA query_only = ON"),
			n: namer{path: path, reader: true}}),
		write: sql.OpenDB(pragmaConnector{Connector: base, pragmas: connPragmas, n: namer{path: path}}),
		path:  path,
	}
	db.write.SetMaxOpenConns(1)
	db.write.SetMaxIdleConns(1)
	// Connections are kept: opening one costs far more than a statement.
	readers := max(4, runtime.GOMAXPROCS(0))
	db.read.SetMaxOpenConns(readers)
	db.read.SetMaxIdleConns(readers)
	if err := db.setUp(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlitekv: opening %s: %w", path, err)
	}
	return db, nil
}

// checkPath refuses what is not the name of a database file.
func checkPath(path string) error {
	switch {
	case path == "":
		return errors.New("sqlitekv: no database file given")
	case path == ":memory:" || strings.HasPrefix(path, "file:"):
		return fmt.Errorf("sqlitekv: %q is not a file name: give the path of a database file (kv.NewMemory keeps records in memory)", path)
	}
	return nil
}

// createFile creates path with mode 0600 when it does not exist, so that
// SQLite, which would create it 0644, finds it; an existing file keeps its
// mode, which is its owner's to choose.
func createFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sqlitekv: creating the database file: %w", err)
	}
	return f.Close()
}

// setUp turns WAL on, which the file keeps, and checks the SQLite version.
func (db *DB) setUp(ctx context.Context) error {
	var mode string
	if err := db.write.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode); err != nil {
		return err
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("the database stays in journal mode %q, not WAL: is it on a network file system?", mode)
	}
	var version string
	if err := db.read.QueryRowContext(ctx, "SELECT sqlite_version()").Scan(&version); err != nil {
		return err
	}
	if olderThan(version, MinVersion) {
		return fmt.Errorf("the driver's SQLite is %s; the store needs %s or later", version, MinVersion)
	}
	return nil
}

// olderThan compares dotted versions numerically.
func olderThan(version, minimum string) bool {
	var a, b [3]int
	fmt.Sscanf(version, "%d.%d.%d", &a[0], &a[1], &a[2])
	fmt.Sscanf(minimum, "%d.%d.%d", &b[0], &b[1], &b[2])
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// connectorOf returns the connector of the driver registered as name.
func connectorOf(name, dsn string) (driver.Connector, error) {
	probe, err := sql.Open(name, dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlitekv: %w (import a SQLite driver, such as _ \"modernc.org/sqlite\", and name it)", err)
	}
	d := probe.Driver()
	probe.Close() // it opened no connection
	if dc, ok := d.(driver.DriverContext); ok {
		return dc.OpenConnector(dsn)
	}
	return dsnConnector{driver: d, dsn: dsn}, nil
}

// dsnConnector is the connector of a driver that has none of its own.
type dsnConnector struct {
	driver driver.Driver
	dsn    string
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.driver.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.driver }

// pragmaConnector runs pragmas on every connection it opens: they are
// settings of a connection, not of the file, and database/sql opens
// connections whenever it likes. The connections it returns name their
// refusals with n (see namedConn).
type pragmaConnector struct {
	driver.Connector
	pragmas []string
	n       namer
}

func (c pragmaConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range c.pragmas {
		if err := execDriver(ctx, conn, p); err != nil {
			conn.Close()
			return nil, fmt.Errorf("sqlitekv: %s: %w", p, err)
		}
	}
	return namedConn{Conn: conn, n: c.n}, nil
}

// execDriver runs a statement without arguments on a driver connection.
func execDriver(ctx context.Context, conn driver.Conn, query string) error {
	if ec, ok := conn.(driver.ExecerContext); ok {
		_, err := ec.ExecContext(ctx, query, nil)
		if !errors.Is(err, driver.ErrSkip) {
			return err
		}
	}
	stmt, err := conn.Prepare(query)
	if err != nil {
		return err
	}
	defer stmt.Close()
	if sc, ok := stmt.(driver.StmtExecContext); ok {
		_, err = sc.ExecContext(ctx, nil)
		return err
	}
	_, err = stmt.Exec(nil) // a driver without StmtExecContext
	return err
}
