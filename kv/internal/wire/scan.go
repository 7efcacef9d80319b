package wire

import (
	"encoding/binary"
	"errors"
	"math/bits"
	"unicode/utf8"
)

// The scanner reads JSON member by member and without reflection, for the
// codecs kvgen generates and for the envelope readers. Values come from a
// JSONB column, so they are well-formed in practice; malformed input is
// still an error, never a panic.

// ErrSyntax is malformed JSON.
var ErrSyntax = errors.New("malformed JSON")

// TypeError is a JSON value of the wrong kind for its field.
type TypeError struct {
	Want string // "string", "integer", ...
	Got  string // the JSON kind found
}

func (e *TypeError) Error() string { return "want " + e.Want + ", found " + e.Got }

// KindOf names the kind of the JSON value raw: string, object, array,
// boolean, null, number, or nothing when raw is empty.
func KindOf(raw []byte) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

// IsNull reports whether raw is JSON null (or empty, as for an absent member).
func IsNull(raw []byte) bool {
	return len(raw) == 0 || (len(raw) == 4 && string(raw) == "null")
}

// SkipSpace returns the index of the first byte of data from i on that is
// not JSON white space.
func SkipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// Members reads the members of one JSON object, in order, one per Next:
// Name, and the extent of the value in the data given to NewMembers.
type Members struct {
	// Name is the decoded member name, valid until the next call of Next
	// (it may share memory with the data or with a buffer reused for the
	// next name); copy it to keep it. A switch on string(Name) does not copy.
	Name []byte
	// Start and End delimit the member's value: data[Start:End].
	Start, End int
	// Plain says that the value is a string of plain ASCII (no escape or
	// control character), whose text between the quotes is its value. It is
	// found in the scan that finds the string's end, so that such a string
	// is read in one pass.
	Plain bool

	data    []byte
	i       int
	started bool
	scratch []byte // names with escapes are unquoted here
}

// NewMembers returns the reader of the members of the JSON object data.
// Nothing but white space may follow the object.
func NewMembers(data []byte) Members { return Members{data: data} }

// Next advances to the next member and reports whether there is one. At the
// end of the object, or at its first error, it returns false and the error
// (nil at the end). A value that is not well-formed is an error naming the
// member (FieldErr).
func (m *Members) Next() (bool, error) {
	data, i := m.data, m.i
	if !m.started {
		m.started = true
		i = SkipSpace(data, 0)
		if i >= len(data) || data[i] != '{' {
			return false, &TypeError{Want: "object", Got: KindOf(data[i:])}
		}
		i = SkipSpace(data, i+1)
		if i < len(data) && data[i] == '}' {
			return false, trailing(data, i+1)
		}
	} else {
		i = SkipSpace(data, i)
		if i >= len(data) {
			return false, ErrSyntax
		}
		if data[i] == '}' {
			return false, trailing(data, i+1)
		}
		if data[i] != ',' {
			return false, ErrSyntax
		}
		i = SkipSpace(data, i+1)
	}
	if i >= len(data) || data[i] != '"' {
		return false, ErrSyntax
	}
	end, plain := plainStringEnd(data, i)
	if !plain {
		var err error
		if end, err = skipString(data, i); err != nil {
			return false, err
		}
	}
	m.Name = data[i+1 : end-1]
	if !plain && !plainString(m.Name) {
		var err error
		if m.scratch, err = appendUnquoted(m.scratch[:0], m.Name); err != nil {
			return false, err
		}
		m.Name = m.scratch
	}
	i = SkipSpace(data, end)
	if i >= len(data) || data[i] != ':' {
		return false, ErrSyntax
	}
	i = SkipSpace(data, i+1)
	vend, plain, err := valueEnd(data, i)
	if err != nil {
		return false, FieldErr(string(m.Name), err)
	}
	m.Start, m.End, m.Plain, m.i = i, vend, plain, vend
	return true, nil
}

// Elements reads the elements of one JSON array, in order, one per Next:
// the extent of each in the data given to NewElements.
type Elements struct {
	Index      int // of the current element
	Start, End int // the element is data[Start:End]
	Plain      bool

	data    []byte
	i       int
	started bool
}

// NewElements returns the reader of the elements of the JSON array data.
// Nothing but white space may follow the array.
func NewElements(data []byte) Elements { return Elements{data: data, Index: -1} }

// Next advances to the next element and reports whether there is one. At
// the end of the array, or at its first error, it returns false and the
// error (nil at the end).
func (e *Elements) Next() (bool, error) {
	data, i := e.data, e.i
	if !e.started {
		e.started = true
		i = SkipSpace(data, 0)
		if i >= len(data) || data[i] != '[' {
			return false, &TypeError{Want: "array", Got: KindOf(data[i:])}
		}
		i = SkipSpace(data, i+1)
		if i < len(data) && data[i] == ']' {
			return false, trailing(data, i+1)
		}
	} else {
		i = SkipSpace(data, i)
		if i >= len(data) {
			return false, ErrSyntax
		}
		if data[i] == ']' {
			return false, trailing(data, i+1)
		}
		if data[i] != ',' {
			return false, ErrSyntax
		}
		i = SkipSpace(data, i+1)
	}
	end, plain, err := valueEnd(data, i)
	if err != nil {
		return false, err
	}
	e.Index++
	e.Start, e.End, e.Plain, e.i = i, end, plain, end
	return true, nil
}

// Object calls fn with the name and raw value of every member of the JSON
// object data, in order, and stops at fn's first error. name is valid only
// during the call (see Members.Name).
func Object(data []byte, fn func(name, raw []byte) error) error {
	return EachMember(data, nil, func(name []byte, _, start, end int, _ bool) (int, error) {
		return -1, fn(name, data[start:end])
	})
}

// EachMember is what Members reads, in one loop that keeps its place in
// registers: fn is called with the name and the extent of the value of each
// member of the JSON object data (and whether the value is a plain string,
// see Members.Plain), and EachMember stops at its first error.
//
// names are the member names the caller knows, each quoted as JSON writes
// it ("client_id") and needing no escape (a schema's field names are
// [a-z_][a-z0-9_]*), so that the text matched is the name; fn returns the index in names of the member it
// expects next, or -1. The next member is matched against that name alone,
// and when it is written so, its name is not scanned and fn gets its index
// as known (else -1): a value written in a known order, as jsonb and the
// codecs write one, is read without a search by name.
func EachMember(data []byte, names []string, fn func(name []byte, known, start, end int, plain bool) (next int, err error)) error {
	i := SkipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return &TypeError{Want: "object", Got: KindOf(data[i:])}
	}
	i = SkipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return trailing(data, i+1)
	}
	var scratch []byte // names with escapes are unquoted here
	expect := -1
	for {
		name, end, known, err := memberName(data, i, names, expect, &scratch)
		if err != nil {
			return err
		}
		i = SkipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return ErrSyntax
		}
		i = SkipSpace(data, i+1)
		vend, plainValue, err := valueEnd(data, i)
		if err != nil {
			return FieldErr(string(name), err)
		}
		if expect, err = fn(name, known, i, vend, plainValue); err != nil {
			return err
		}
		i = SkipSpace(data, vend)
		if i >= len(data) {
			return ErrSyntax
		}
		if data[i] == '}' {
			return trailing(data, i+1)
		}
		if data[i] != ',' {
			return ErrSyntax
		}
		i = SkipSpace(data, i+1)
	}
}

// memberName reads the name of the member at data[i]: unquoted (in
// *scratch when it has escapes), the end of its text, and expect when
// names[expect] is its text.
func memberName(data []byte, i int, names []string, expect int, scratch *[]byte) (name []byte, end, known int, err error) {
	if uint(expect) < uint(len(names)) {
		if q := names[expect]; len(data)-i >= len(q) && string(data[i:i+len(q)]) == q {
			return data[i+1 : i+len(q)-1], i + len(q), expect, nil
		}
	}
	if i >= len(data) || data[i] != '"' {
		return nil, 0, -1, ErrSyntax
	}
	end, plain := plainStringEnd(data, i)
	if !plain {
		if end, err = skipString(data, i); err != nil {
			return nil, 0, -1, err
		}
	}
	name = data[i+1 : end-1]
	if !plain && !plainString(name) {
		if *scratch, err = appendUnquoted((*scratch)[:0], name); err != nil {
			return nil, 0, -1, err
		}
		name = *scratch
	}
	return name, end, -1, nil
}

// EachElement is what Elements reads, in one loop: fn is called with the
// index and the extent of each element of the JSON array data (and whether
// it is a plain string, see Members.Plain); EachElement stops at fn's
// first error.
func EachElement(data []byte, fn func(index, start, end int, plain bool) error) error {
	i := SkipSpace(data, 0)
	if i >= len(data) || data[i] != '[' {
		return &TypeError{Want: "array", Got: KindOf(data[i:])}
	}
	i = SkipSpace(data, i+1)
	if i < len(data) && data[i] == ']' {
		return trailing(data, i+1)
	}
	for n := 0; ; n++ {
		end, plain, err := valueEnd(data, i)
		if err != nil {
			return err
		}
		if err := fn(n, i, end, plain); err != nil {
			return err
		}
		i = SkipSpace(data, end)
		if i >= len(data) {
			return ErrSyntax
		}
		if data[i] == ']' {
			return trailing(data, i+1)
		}
		if data[i] != ',' {
			return ErrSyntax
		}
		i = SkipSpace(data, i+1)
	}
}

// valueEnd returns the end of the JSON value that starts at data[i], and
// whether it is a plain string: one scan for the usual string.
func valueEnd(data []byte, i int) (int, bool, error) {
	if i >= len(data) {
		return 0, false, ErrSyntax
	}
	switch data[i] {
	case '"':
		if end, plain := plainStringEnd(data, i); plain {
			return end, true, nil
		}
	case '{':
		if n, ok := envelopeLen(data[i:]); ok {
			return i + n, false, nil // a sealed member: its base64 is not scanned twice
		}
	case 'n': // most members of a stored record are optional, and null
		end, err := skipLiteral(data, i, "null")
		return end, false, err
	case '[':
		if end, _, ok := plainList(data, i, nil, false); ok {
			return end, false, nil // the usual list: no recursion, one test per byte
		}
	}
	end, err := SkipValue(data, i)
	return end, false, err
}

// AppendPlainList appends to items the text of each element of the JSON
// array raw (nil for null) when every element is a plain string (see
// Members.Plain) or null, and reports whether it is so: the usual list of
// strings is then read without scanning its elements one by one again.
// Any other array, or malformed one, is left to EachElement, which reads
// or refuses it.
func AppendPlainList(items [][]byte, raw []byte) ([][]byte, bool) {
	i := SkipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '[' {
		return items, false
	}
	end, items, ok := plainList(raw, i, items, true)
	return items, ok && trailing(raw, end) == nil
}

// plainList returns the end of the array at data[i] when its elements are
// all plain strings or null, and, when keep, appends their texts to items
// (nil for null). ok is false for any other array, which SkipValue or
// EachElement then reads or refuses.
func plainList(data []byte, i int, items [][]byte, keep bool) (end int, _ [][]byte, ok bool) {
	i = SkipSpace(data, i+1)
	if i < len(data) && data[i] == ']' {
		return i + 1, items, true
	}
	for i < len(data) {
		var text []byte
		if data[i] == '"' {
			end, plain := plainStringEnd(data, i)
			if !plain {
				return 0, items, false
			}
			text, i = data[i+1:end-1], end
		} else if len(data)-i >= 4 && string(data[i:i+4]) == "null" {
			i += 4
		} else {
			return 0, items, false
		}
		if keep {
			items = append(items, text)
		}
		if i = SkipSpace(data, i); i < len(data) && data[i] == ']' {
			return i + 1, items, true
		}
		if i >= len(data) || data[i] != ',' {
			return 0, items, false
		}
		i = SkipSpace(data, i+1)
	}
	return 0, items, false
}

func trailing(data []byte, i int) error {
	if SkipSpace(data, i) != len(data) {
		return ErrSyntax
	}
	return nil
}

// SkipValue returns the end of the JSON value that starts at data[i].
func SkipValue(data []byte, i int) (int, error) { return skipValue(data, i, 0) }

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 1000

// skipValue returns the end of the JSON value that starts at data[i].
func skipValue(data []byte, i, depth int) (int, error) {
	if i >= len(data) {
		return 0, ErrSyntax
	}
	if depth > maxDepth {
		return 0, errors.New("JSON nested too deeply")
	}
	switch c := data[i]; {
	case c == '"':
		return skipString(data, i)
	case c == '{' || c == '[':
		return skipContainer(data, i, depth)
	case c == 't':
		return skipLiteral(data, i, "true")
	case c == 'f':
		return skipLiteral(data, i, "false")
	case c == 'n':
		return skipLiteral(data, i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		return skipNumber(data, i), nil
	}
	return 0, ErrSyntax
}

// skipContainer returns the end of the object or array that starts at
// data[i], at depth.
func skipContainer(data []byte, i, depth int) (int, error) {
	object := data[i] == '{'
	closer := byte(']')
	if object {
		closer = '}'
	}
	i = SkipSpace(data, i+1)
	if i < len(data) && data[i] == closer {
		return i + 1, nil
	}
	for {
		if object {
			if i >= len(data) || data[i] != '"' {
				return 0, ErrSyntax
			}
			end, err := skipString(data, i)
			if err != nil {
				return 0, err
			}
			i = SkipSpace(data, end)
			if i >= len(data) || data[i] != ':' {
				return 0, ErrSyntax
			}
			i = SkipSpace(data, i+1)
		}
		end, err := skipValue(data, i, depth+1)
		if err != nil {
			return 0, err
		}
		i = SkipSpace(data, end)
		if i >= len(data) {
			return 0, ErrSyntax
		}
		if data[i] == closer {
			return i + 1, nil
		}
		if data[i] != ',' {
			return 0, ErrSyntax
		}
		i = SkipSpace(data, i+1)
	}
}

// skipNumber returns the end of the number that starts at data[i]: the
// bytes a number can hold, which validNumber or the number's reader checks.
func skipNumber(data []byte, i int) int {
	j := i + 1
	for j < len(data) {
		switch d := data[j]; {
		case d >= '0' && d <= '9', d == '.', d == 'e', d == 'E', d == '+', d == '-':
			j++
			continue
		}
		break
	}
	return j
}

func skipLiteral(data []byte, i int, lit string) (int, error) {
	if len(data)-i < len(lit) || string(data[i:i+len(lit)]) != lit {
		return 0, ErrSyntax
	}
	return i + len(lit), nil
}

// skipString returns the end of the JSON string that starts at data[i]: the
// first quote that no backslash escapes.
func skipString(data []byte, i int) (int, error) {
	for j := i + 1; ; j += 2 { // a backslash escapes the byte after it
		j = quoteOrBackslash(data, j)
		if j >= len(data) {
			return 0, ErrSyntax
		}
		if data[j] == '"' {
			return j + 1, nil
		}
	}
}

// plainStringEnd returns the end of the JSON string that starts at data[i]
// when it is plain ASCII (no escape, control character or byte above 0x7f):
// the usual member name, recognised in one pass. plain is false otherwise,
// and end is then meaningless.
func plainStringEnd(data []byte, i int) (end int, plain bool) {
	j := i + 1
	for ; j+8 <= len(data); j += 8 {
		x := binary.LittleEndian.Uint64(data[j:])
		quote, backslash := x^(ones*'"'), x^(ones*'\\')
		flagged := (x | (x-ones*0x20)&^x | (quote-ones)&^quote | (backslash-ones)&^backslash) & tops
		if flagged != 0 {
			j += bits.TrailingZeros64(flagged) / 8
			return j + 1, data[j] == '"'
		}
	}
	for ; j < len(data); j++ {
		switch c := data[j]; {
		case c == '"':
			return j + 1, true
		case c < 0x20, c == '\\', c >= utf8.RuneSelf:
			return 0, false
		}
	}
	return 0, false
}

// quoteOrBackslash returns the index of the first quote or backslash in
// data from j on, or len(data). It tests eight bytes at a time: the lowest
// flagged byte of a word is the first match.
func quoteOrBackslash(data []byte, j int) int {
	for ; j+8 <= len(data); j += 8 {
		x := binary.LittleEndian.Uint64(data[j:])
		quote, backslash := x^(ones*'"'), x^(ones*'\\')
		if found := ((quote-ones)&^quote | (backslash-ones)&^backslash) & tops; found != 0 {
			return j + bits.TrailingZeros64(found)/8
		}
	}
	for ; j < len(data); j++ {
		if c := data[j]; c == '"' || c == '\\' {
			return j
		}
	}
	return len(data)
}
