package kv

import (
	"net/url"
	"strconv"
	"strings"
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

// CheckText returns why s cannot be stored as a JSON string in PostgreSQL
// (jsonb refuses the NUL character), or "" when it can.
func CheckText(s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		return "contains a NUL character, which PostgreSQL cannot store"
	}
	return ""
}

// CheckURL returns why s is not an absolute URL, or "" when it is one.
// The message never repeats s: URLs can carry credentials.
func CheckURL(s string) string {
	if strings.ContainsAny(s, " \t\r\n") {
		return "not a URL: contains white space"
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "not a URL"
	case u.Scheme == "":
		return "not an absolute URL: no scheme"
	case u.Host == "" && u.Opaque == "" && u.Path == "":
		return "not an absolute URL: nothing after the scheme"
	}
	return ""
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
