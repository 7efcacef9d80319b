package kv

import (
	"errors"
	"strconv"
	"strings"

	"github.com/kvgen/kvgen/kv/internal/wire"
)

// Problems collects the failing fields of a record during validation.
type Problems []FieldProblem

// Add records a problem at path.
func (p *Problems) Add(path, message string) {
	*p = append(*p, FieldProblem{Path: path, Message: message})
}

// Err returns a *ValidationError, or nil when there is no problem.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	return &ValidationError{Problems: p}
}

// Index returns the path of element i of the list at path.
func Index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// CheckMembers reports the members that a record or object kept without
// knowing them (written by a newer schema or another program, or sent in a
// request) whose name or value a write may not store (see CheckJSON).
// prefix is the path of the object with a trailing dot, or "".
func CheckMembers(p *Problems, prefix string, extra []Member) {
	for _, m := range extra {
		if path, msg := wire.CheckMember(strings.TrimSuffix(prefix, "."), m.Name, m.Raw); msg != "" {
			p.Add(path, msg)
		}
	}
}

// CheckUnknown reports members that a record kept without knowing them
// (written by a newer schema, or sent in a request) whose names belong to
// the encryption envelope: stored, they would make every reader, Python's
// included, take the whole value for an envelope, and the record could no
// longer be read.
func CheckUnknown(p *Problems, extra []Member) {
	for _, m := range extra {
		if m.Name == wire.DataKey || m.Name == wire.VersionKey {
			p.Add(m.Name, "is reserved for the encryption envelope")
		}
	}
}

// errKeyMismatch is why a stored record whose key field names another key
// than its row's is not read: a row copied or moved under another key must
// not be served as the record of that key.
var errKeyMismatch = errors.New("the record's key field differs from the key of its row")

// KeyMismatch is the error of reading, under key, a record whose key field
// (field) holds another key: a *ValueError, errors.Is(err, ErrCorrupt),
// naming collection, key and field but not the key the record holds.
func KeyMismatch(collection, key, field string) error {
	return &ValueError{Kind: ErrCorrupt, Collection: collection, Key: key, Field: field, Err: errKeyMismatch}
}
