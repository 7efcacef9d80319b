package sqlitekv

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kvgen/kvgen/kv"
)

// Error is a refusal of SQLite named for errors.Is: Kind is kv.ErrReadOnly,
// kv.ErrBusy or kv.ErrSerialization, and Err the driver's error, which
// errors.As still finds. It names the statement and the database file, and
// says what to do; it holds no parameter of the statement.
type Error struct {
	Op   string // the generated query's name, as "Put", or the statement's first word, as "BEGIN"
	Path string // the database file
	Kind error
	Why  string
	Err  error
}

func (e *Error) Error() string {
	return fmt.Sprintf("sqlitekv: %s on %s: %s: %v", e.Op, e.Path, e.Why, e.Err)
}

func (e *Error) Is(target error) bool { return target == e.Kind }
func (e *Error) Unwrap() error        { return e.Err }

// SQLite's result codes that Error names: the primary code is the low
// byte, an extended code adds detail above it.
const (
	codeBusy         = 5
	codeBusySnapshot = codeBusy | 2<<8
	codeReadOnly     = 8
)

// coder is the error of a driver that reports SQLite's result code, as
// modernc.org/sqlite's *sqlite.Error does. mattn/go-sqlite3's Error holds
// its code in a field, which no interface reaches: its errors pass unnamed.
type coder interface{ Code() int }

// resultCode is SQLite's result code of err, if its driver says it.
func resultCode(err error) (int, bool) {
	var c coder
	if err == nil || !errors.As(err, &c) {
		return 0, false
	}
	return c.Code(), true
}

// namer names the refusals on the connections of one pool of a database:
// every error of the generated stores comes from a driver connection, and
// this is the one place that sees them all, *sql.Row's included.
type namer struct {
	path   string
	reader bool // the query_only pool, where a write is the caller's mistake
}

// name wraps err in an Error when it is one to name.
func (n namer) name(query string, err error) error {
	kind, why := n.kind(err)
	if kind == nil {
		return err
	}
	return &Error{Op: operation(query), Path: n.path, Kind: kind, Why: why, Err: err}
}

// kind is the name of err and what the caller should do about it.
func (n namer) kind(err error) (kind error, why string) {
	code, ok := resultCode(err)
	switch {
	case !ok:
		return nil, ""
	case code == codeBusySnapshot:
		// SQLite refuses at once, whatever the busy timeout: the transaction
		// read a snapshot that another connection has written over since.
		return kv.ErrSerialization, "the transaction read data another connection has changed since: roll it back and run it again from its start"
	case code&0xff == codeBusy:
		return kv.ErrBusy, "another process kept the database locked beyond the busy timeout, and the statement did not run: try again later"
	case code&0xff == codeReadOnly && n.reader:
		return kv.ErrReadOnly, "a write on a read-only connection of Reader: write through Writer"
	case code&0xff == codeReadOnly:
		return kv.ErrReadOnly, "this process may not write the database (the file or its file system is read-only to it, or it was opened read-only): give the store a file it can write"
	}
	return nil, ""
}

// operation names the statement query in an error: the name sqlc gives it
// in its first line ("-- name: Put :exec"), or else its first word, a
// keyword ("BEGIN"); never a parameter.
func operation(query string) string {
	if rest, ok := strings.CutPrefix(query, "-- name: "); ok {
		if name, _, _ := strings.Cut(rest, " "); isWord(name) {
			return name
		}
	}
	if word, _, _ := strings.Cut(strings.TrimSpace(query), " "); isWord(word) {
		return strings.ToUpper(word)
	}
	return "statement"
}

// isWord reports a short identifier: letters, digits and underscores.
func isWord(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}
