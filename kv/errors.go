package kv

import (
	"errors"
	"fmt"
	"strings"
)

// Errors to test with errors.Is. No error of this package carries a secret,
// a key or a plaintext: only collection, key and field names.
var (
	ErrInvalidTTL     = errors.New("kv: invalid ttl: must be zero (no expiry) or positive")
	ErrInvalidKey     = errors.New("kv: invalid key")
	ErrLengthMismatch = errors.New("kv: keys and values differ in length")
	ErrInvalid        = errors.New("kv: invalid record")
	ErrDecrypt        = errors.New("kv: cannot decrypt")
	ErrCorrupt        = errors.New("kv: corrupt stored value")
	// ErrUndeclared is a row with sealed members in a collection that no
	// schema given to ReencryptTable declares: which members are sealed is
	// the schema's to say, so the row is refused rather than guessed at.
	ErrUndeclared = errors.New("kv: sealed members in a collection no schema declares")
	// ErrReadOnly is a write refused by a server that takes none: a hot
	// standby, default_transaction_read_only, a read-only transaction.
	// On SQLite it is a write to a database this process may only read:
	// a file or file system it may not write, or a read-only open.
	ErrReadOnly = errors.New("kv: the server is read-only")
	// ErrSerialization is a statement the database aborted to keep
	// transactions serializable or to break a deadlock (SQLSTATE 40001,
	// 40P01). A store that owns its transactions has retried it already;
	// over the caller's transaction it cannot, and the caller must roll
	// back and run the whole transaction again.
	ErrSerialization = errors.New("kv: serialization failure")
	// ErrBusy is a statement that waited out SQLite's busy timeout for a
	// lock another process held, and did not run: nothing of it was
	// written. The caller may try it again later; when it keeps failing,
	// some process holds the database's write lock too long (a long
	// transaction, a backup, a sqlite3 shell left inside BEGIN).
	ErrBusy = errors.New("kv: the database is busy")
)

// ValidationError lists every failing field of a record; errors.Is(err, ErrInvalid).
type ValidationError struct {
	Problems []FieldProblem
}

// FieldProblem is one failing field: Path is the JSON path ("redirect_uris[1]").
type FieldProblem struct {
	Path    string
	Message string // never contains the field's value
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Path + ": " + p.Message
	}
	return "kv: invalid record: " + strings.Join(parts, "; ")
}

func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Paths returns the failing field paths in order.
func (e *ValidationError) Paths() []string {
	out := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p.Path
	}
	return out
}

// ValueError is a stored value that cannot be read: errors.Is(err, ErrDecrypt)
// or errors.Is(err, ErrCorrupt), per Kind. Field is "" when the whole value is at fault.
type ValueError struct {
	Kind       error // ErrDecrypt, ErrCorrupt or ErrUndeclared
	Collection string
	Key        string
	Field      string
	Err        error // the cause; never holds plaintext
}

func (e *ValueError) Error() string {
	var b strings.Builder
	b.WriteString(e.Kind.Error())
	fmt.Fprintf(&b, ": collection %q key %q", e.Collection, e.Key)
	if e.Field != "" {
		fmt.Fprintf(&b, " field %q", e.Field)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *ValueError) Is(target error) bool { return target == e.Kind }
func (e *ValueError) Unwrap() error        { return e.Err }

// KeyError is a collection or key that no store accepts; errors.Is(err, ErrInvalidKey).
type KeyError struct {
	Collection string // quoted only when printable, truncated when long
	Key        string
	Reason     string
}

func (e *KeyError) Error() string {
	return fmt.Sprintf("kv: invalid key %s in collection %s: %s", short(e.Key), short(e.Collection), e.Reason)
}

func (e *KeyError) Is(target error) bool { return target == ErrInvalidKey }

// short quotes s for an error message, cut to a readable length.
func short(s string) string {
	const max = 64
	if len(s) > max {
		return fmt.Sprintf("%q… (%d bytes)", s[:max], len(s))
	}
	return fmt.Sprintf("%q", s)
}
