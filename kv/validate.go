package kv

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
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

// What a write may not store: what PostgreSQL's jsonb refuses (none and
// fields mode store the value as jsonb) or Python's json module cannot read
// back (py-key-value reads every value with it, the plaintext of value mode
// included). Every write checks for these before anything is stored, in
// every mode and over every backend, so that no write makes a row that one
// of the table's readers cannot read. The messages never quote the value.
const (
	msgNUL          = "contains a NUL character, which PostgreSQL cannot store"
	msgInvalidUTF8  = "contains invalid UTF-8, which PostgreSQL cannot store"
	msgSurrogate    = `contains an unpaired UTF-16 surrogate (\ud800 to \udfff), which neither PostgreSQL nor Python can store`
	msgNumberRange  = "holds a number outside the range of a 64-bit float, which Python cannot read back"
	msgNotJSON      = "not valid JSON"
	msgNotJSONValue = "cannot be represented as JSON"
)

// CheckText returns why s cannot be stored as a JSON string, or "" when it
// can: a NUL character, or bytes that are not UTF-8 (which include the
// UTF-8 form of a lone surrogate).
func CheckText(s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		return msgNUL
	}
	if !utf8.ValidString(s) {
		return msgInvalidUTF8
	}
	return ""
}

// CheckMembers reports the members that a record or object kept without
// knowing them (written by a newer schema or another program, or sent in a
// request) whose name or value a write may not store (see CheckJSON).
// prefix is the path of the object with a trailing dot, or "".
func CheckMembers(p *Problems, prefix string, extra []Member) {
	for _, m := range extra {
		var f fault
		if !checkMember(m.Name, m.Raw, 0, &f) {
			p.Add(f.path(strings.TrimSuffix(prefix, ".")), f.msg)
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
		if m.Name == envelopeDataKey || m.Name == envelopeVersionKey {
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

// memberPath is the path of member name of the object at prefix (empty, or
// ending in a dot). A name that would not read back from a dotted path (it
// holds a dot, a bracket, a quote, a control character or non-ASCII, or it
// is long) is quoted in brackets, and cut short: a path names, it does not
// echo.
func memberPath(prefix, name string) string {
	if plainName(name) {
		return prefix + name
	}
	return strings.TrimSuffix(prefix, ".") + quotedName(name)
}

// maxPathName bounds a member name quoted in a path.
const maxPathName = 64

func plainName(name string) bool {
	if name == "" || len(name) > maxPathName {
		return false
	}
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c <= ' ', c >= 0x7f, c == '.', c == '[', c == ']', c == '"', c == '\\':
			return false
		}
	}
	return true
}

func quotedName(name string) string {
	cut := ""
	if len(name) > maxPathName {
		name, cut = name[:maxPathName], "…"
	}
	return "[" + strconv.Quote(name) + cut + "]"
}
