package schema

import (
	"fmt"
	"strings"
)

// typeNames are the type names a schema may use, for "did you mean".
var typeNames = []string{
	string(String), string(Int), string(Float), string(Bool), string(URL),
	string(Timestamp), string(Unixtime), string(Enum), string(JSON), string(Object),
	"list<T>",
}

// typeHints map names from other schema languages to ours; they are too far
// from ours in spelling for "did you mean" to find them.
var typeHints = map[string]string{
	"integer": "int", "int64": "int", "long": "int", "number": "float",
	"double": "float", "float64": "float", "boolean": "bool", "str": "string",
	"text": "string", "uri": "url", "datetime": "timestamp", "date": "timestamp",
	"time": "timestamp", "array": "list<T>", "map": "object", "dict": "object",
	"any": "json",
}

// maxTypeDepth bounds list nesting; no record needs more, and it keeps a
// hostile file from recursing without end.
const maxTypeDepth = 8

// parseType parses a type expression such as string or list<list<url>>. It
// returns a message instead of a type when the expression is not valid. An
// enum's values and an object's fields are filled in by the caller.
func parseType(expr string) (*Type, string) {
	return parseTypeDepth(expr, 0)
}

func parseTypeDepth(expr string, depth int) (*Type, string) {
	s := strings.TrimSpace(expr)
	if inner, ok := strings.CutPrefix(s, "list"); ok && (inner == "" || strings.HasPrefix(strings.TrimSpace(inner), "<")) {
		inner = strings.TrimSpace(inner)
		if !strings.HasPrefix(inner, "<") || !strings.HasSuffix(inner, ">") || len(inner) < 3 {
			return nil, fmt.Sprintf("malformed type %q: a list is written list<T>, for example list<string>", expr)
		}
		if depth >= maxTypeDepth {
			return nil, fmt.Sprintf("type %q nests lists deeper than %d", expr, maxTypeDepth)
		}
		elem, msg := parseTypeDepth(inner[1:len(inner)-1], depth+1)
		if msg != "" {
			return nil, msg
		}
		return &Type{Kind: List, Elem: elem}, ""
	}
	switch k := Kind(s); k {
	case String, Int, Float, Bool, URL, Timestamp, Unixtime, Enum, JSON, Object:
		return &Type{Kind: k}, ""
	}
	msg := fmt.Sprintf("unknown type %q", s)
	if hint, ok := typeHints[strings.ToLower(s)]; ok {
		return nil, msg + fmt.Sprintf("; did you mean %q?", hint)
	}
	return nil, msg + didYouMean(s, typeNames)
}

// base is the innermost element type: the type itself unless it is a list.
func (t *Type) base() *Type {
	for t.Kind == List {
		t = t.Elem
	}
	return t
}

// String writes the type as a schema spells it.
func (t *Type) String() string {
	if t.Kind == List {
		return "list<" + t.Elem.String() + ">"
	}
	return string(t.Kind)
}

// isScalar reports whether a value of the type is one JSON string, number or
// boolean, the only values that an expression index can hold.
func (t *Type) isScalar() bool {
	switch t.Kind {
	case String, URL, Enum, Int, Bool, Float, Unixtime, Timestamp:
		return true
	}
	return false
}
