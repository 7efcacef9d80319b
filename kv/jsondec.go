package kv

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// The Decode functions read JSON for the codecs kvgen generates, member by
// member and without reflection. Values come from a JSONB column, so they are
// well-formed in practice; malformed input is still an error, never a panic.

var (
	errSyntax   = errors.New("malformed JSON")
	errNotObj   = errors.New("not a JSON object")
	errNotArray = errors.New("not a JSON array")
)

// TypeError is a JSON value of the wrong kind for its field.
type TypeError struct {
	Want string // "string", "integer", ...
	Got  string // the JSON kind found
}

func (e *TypeError) Error() string { return "want " + e.Want + ", found " + e.Got }

func kindOf(raw []byte) string {
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

func skipSpace(data []byte, i int) int {
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

// Members calls fn with the name and raw value of every member of the JSON
// object data, in order. It stops at fn's first error.
func Members(data []byte, fn func(name string, raw []byte) error) error {
	return Object(data, func(name, raw []byte) error { return fn(string(name), raw) })
}

// Object is Members without an allocation per member: name is the decoded
// member name, valid only during the call (it may share memory with data or
// with a buffer reused for the next name); copy it to keep it. Generated
// decoders switch on string(name), which does not copy.
func Object(data []byte, fn func(name, raw []byte) error) error {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return &TypeError{Want: "object", Got: kindOf(data[i:])}
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return trailing(data, i+1)
	}
	var scratch []byte // names with escapes are unquoted here
	for {
		if i >= len(data) || data[i] != '"' {
			return errSyntax
		}
		end, plain := plainStringEnd(data, i)
		if !plain {
			var err error
			if end, err = skipString(data, i); err != nil {
				return err
			}
		}
		name := data[i+1 : end-1]
		if !plain && !plainString(name) {
			var err error
			if scratch, err = appendUnquoted(scratch[:0], name); err != nil {
				return err
			}
			name = scratch
		}
		i = skipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return errSyntax
		}
		i = skipSpace(data, i+1)
		vend, err := skipValue(data, i, 0)
		if err != nil {
			return FieldErr(string(name), err)
		}
		if err := fn(name, data[i:vend]); err != nil {
			return err
		}
		i = skipSpace(data, vend)
		if i >= len(data) {
			return errSyntax
		}
		if data[i] == '}' {
			return trailing(data, i+1)
		}
		if data[i] != ',' {
			return errSyntax
		}
		i = skipSpace(data, i+1)
	}
}

// Elements calls fn with the index and raw value of every element of the JSON array data.
func Elements(data []byte, fn func(i int, raw []byte) error) error {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '[' {
		return &TypeError{Want: "array", Got: kindOf(data[i:])}
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == ']' {
		return trailing(data, i+1)
	}
	for n := 0; ; n++ {
		end, err := skipValue(data, i, 0)
		if err != nil {
			return err
		}
		if err := fn(n, data[i:end]); err != nil {
			return err
		}
		i = skipSpace(data, end)
		if i >= len(data) {
			return errSyntax
		}
		if data[i] == ']' {
			return trailing(data, i+1)
		}
		if data[i] != ',' {
			return errSyntax
		}
		i = skipSpace(data, i+1)
	}
}

func trailing(data []byte, i int) error {
	if skipSpace(data, i) != len(data) {
		return errSyntax
	}
	return nil
}

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 1000

// skipValue returns the end of the JSON value that starts at data[i].
func skipValue(data []byte, i, depth int) (int, error) {
	if i >= len(data) {
		return 0, errSyntax
	}
	if depth > maxDepth {
		return 0, errors.New("JSON nested too deeply")
	}
	switch c := data[i]; {
	case c == '"':
		return skipString(data, i)
	case c == '{' || c == '[':
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		i = skipSpace(data, i+1)
		if i < len(data) && data[i] == closer {
			return i + 1, nil
		}
		for {
			if c == '{' {
				if i >= len(data) || data[i] != '"' {
					return 0, errSyntax
				}
				end, err := skipString(data, i)
				if err != nil {
					return 0, err
				}
				i = skipSpace(data, end)
				if i >= len(data) || data[i] != ':' {
					return 0, errSyntax
				}
				i = skipSpace(data, i+1)
			}
			end, err := skipValue(data, i, depth+1)
			if err != nil {
				return 0, err
			}
			i = skipSpace(data, end)
			if i >= len(data) {
				return 0, errSyntax
			}
			if data[i] == closer {
				return i + 1, nil
			}
			if data[i] != ',' {
				return 0, errSyntax
			}
			i = skipSpace(data, i+1)
		}
	case c == 't':
		return skipLiteral(data, i, "true")
	case c == 'f':
		return skipLiteral(data, i, "false")
	case c == 'n':
		return skipLiteral(data, i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		j := i + 1
		for j < len(data) {
			switch d := data[j]; {
			case d >= '0' && d <= '9', d == '.', d == 'e', d == 'E', d == '+', d == '-':
				j++
				continue
			}
			break
		}
		return j, nil
	}
	return 0, errSyntax
}

func skipLiteral(data []byte, i int, lit string) (int, error) {
	if len(data)-i < len(lit) || string(data[i:i+len(lit)]) != lit {
		return 0, errSyntax
	}
	return i + len(lit), nil
}

// skipString returns the end of the JSON string that starts at data[i]: the
// first quote that no backslash escapes.
func skipString(data []byte, i int) (int, error) {
	for j := i + 1; ; j += 2 { // a backslash escapes the byte after it
		j = quoteOrBackslash(data, j)
		if j >= len(data) {
			return 0, errSyntax
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

// DecodeString reads a JSON string.
func DecodeString(raw []byte) (string, error) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", &TypeError{Want: "string", Got: kindOf(raw)}
	}
	body := raw[1 : len(raw)-1]
	if plainString(body) {
		return string(body), nil
	}
	out, err := appendUnquoted(make([]byte, 0, len(body)), body)
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// Masks of the word-at-a-time test in plainString: a byte of ones, and the
// top bit of every byte.
const (
	ones = 0x0101010101010101
	tops = 0x8080808080808080
)

// plainString reports whether the body of a JSON string is its own value:
// valid UTF-8 with no escape, quote or control character, so that no
// unquoting is needed. Eight bytes are tested at a time while they are ASCII.
func plainString(body []byte) bool {
	i := 0
	for ; i+8 <= len(body); i += 8 {
		x := binary.LittleEndian.Uint64(body[i:])
		nonASCII := x & tops
		control := (x - ones*0x20) &^ x & tops // a byte below 0x20
		quote, backslash := x^(ones*'"'), x^(ones*'\\')
		quote = (quote - ones) &^ quote & tops // a zero byte in x^'"'...: a '"' in x
		backslash = (backslash - ones) &^ backslash & tops
		if nonASCII|control|quote|backslash != 0 {
			break
		}
	}
	ascii := true
	for ; i < len(body); i++ {
		switch c := body[i]; {
		case c < 0x20, c == '"', c == '\\':
			return false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return ascii || utf8.Valid(body)
}

// appendUnquoted appends the value of the body of a JSON string to out:
// escapes decoded, invalid UTF-8 replaced by U+FFFD as encoding/json does.
func appendUnquoted(out, body []byte) ([]byte, error) {
	for i := 0; i < len(body); {
		c := body[i]
		switch {
		case c == '\\':
			if i+1 >= len(body) {
				return nil, errSyntax
			}
			switch e := body[i+1]; e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, ok := hex4(body, i+2)
				if !ok {
					return nil, errSyntax
				}
				i += 6
				if utf16.IsSurrogate(r) {
					if r2, ok := hex4(body, i+2); ok && i+1 < len(body) && body[i] == '\\' && body[i+1] == 'u' {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							out = utf8.AppendRune(out, dec)
							i += 6
							continue
						}
					}
					r = utf8.RuneError
				}
				out = utf8.AppendRune(out, r)
				continue
			default:
				return nil, errSyntax
			}
			i += 2
		case c == '"' || c < 0x20:
			return nil, errSyntax
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			r, size := utf8.DecodeRune(body[i:])
			if r == utf8.RuneError && size == 1 {
				out = append(out, "\uFFFD"...)
			} else {
				out = append(out, body[i:i+size]...)
			}
			i += size
		}
	}
	return out, nil
}

// DecodeStrings reads a JSON array of strings, null elements as "", and
// an empty array as nil. A failing element is named by IndexErr.
func DecodeStrings(raw []byte) ([]string, error) {
	var buf [16]string // most lists are short: one allocation, of the right size
	out := buf[:0]
	err := Elements(raw, func(i int, elem []byte) error {
		if IsNull(elem) {
			out = append(out, "")
			return nil
		}
		s, err := DecodeString(elem)
		if err != nil {
			return IndexErr(i, err)
		}
		out = append(out, s)
		return nil
	})
	if err != nil || len(out) == 0 {
		return nil, err
	}
	return append([]string(nil), out...), nil
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[i:i+4]), 16, 16)
	return rune(n), err == nil
}

// DecodeInt reads a JSON integer; a float with no fraction (3.0) is accepted,
// as Python may write one.
func DecodeInt(raw []byte) (int64, error) {
	if kindOf(raw) != "number" {
		return 0, &TypeError{Want: "integer", Got: kindOf(raw)}
	}
	if n, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || f != float64(int64(f)) {
		return 0, fmt.Errorf("want integer, found %s", raw)
	}
	return int64(f), nil
}

// DecodeFloat reads a JSON number.
func DecodeFloat(raw []byte) (float64, error) {
	if kindOf(raw) != "number" {
		return 0, &TypeError{Want: "number", Got: kindOf(raw)}
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return 0, errSyntax
	}
	return f, nil
}

// DecodeBool reads a JSON boolean.
func DecodeBool(raw []byte) (bool, error) {
	switch string(raw) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, &TypeError{Want: "boolean", Got: kindOf(raw)}
}

// DecodeTime reads an RFC 3339 JSON string.
func DecodeTime(raw []byte) (time.Time, error) {
	s, err := DecodeString(raw)
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, errors.New("not an RFC 3339 time")
	}
	return t, nil
}

// DecodeUnix reads seconds since the epoch. A fraction, which only another
// writer can have put there, is dropped (rounded down, as time.Unix counts),
// so that the record read is the record AppendUnix writes back.
func DecodeUnix(raw []byte) (time.Time, error) {
	if n, err := DecodeInt(raw); err == nil {
		return time.Unix(n, 0).UTC(), nil
	}
	f, err := DecodeFloat(raw)
	if err != nil || !(f >= -(1<<63) && f < 1<<63) { // int64(f) is undefined out of range
		return time.Time{}, &TypeError{Want: "seconds since the epoch", Got: kindOf(raw)}
	}
	return time.Unix(int64(math.Floor(f)), 0).UTC(), nil
}

// DecodeRaw copies a raw JSON value, keeping null as nil.
func DecodeRaw(raw []byte) json.RawMessage {
	if IsNull(raw) {
		return nil
	}
	return append(json.RawMessage(nil), raw...)
}

// Member is a member of a JSON object that a record's schema does not know;
// generated records keep them so that a read-modify-write loses nothing.
type Member struct {
	Name string
	Raw  json.RawMessage
}

// AppendMembers appends ,"name":raw for every member.
func AppendMembers(b []byte, ms []Member) []byte {
	for _, m := range ms {
		b = append(b, ',')
		b = AppendString(b, m.Name)
		b = append(b, ':')
		b = append(b, m.Raw...)
	}
	return b
}

// PathError is an error at a field path of a value ("cimd_document.redirect_uris[2]").
type PathError struct {
	Path string
	Err  error
}

func (e *PathError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *PathError) Unwrap() error { return e.Err }

// FieldErr puts err under the member name, prefixing the path it already has.
func FieldErr(name string, err error) error {
	if p, ok := err.(*PathError); ok {
		sep := "."
		if len(p.Path) > 0 && p.Path[0] == '[' {
			sep = ""
		}
		return &PathError{Path: name + sep + p.Path, Err: p.Err}
	}
	return &PathError{Path: name, Err: err}
}

// IndexErr puts err under the array index i.
func IndexErr(i int, err error) error {
	idx := "[" + strconv.Itoa(i) + "]"
	if p, ok := err.(*PathError); ok {
		sep := "."
		if len(p.Path) > 0 && p.Path[0] == '[' {
			sep = ""
		}
		return &PathError{Path: idx + sep + p.Path, Err: p.Err}
	}
	return &PathError{Path: idx, Err: err}
}

// DecodeError turns an error of a generated decoder into a *ValueError
// naming the collection, key and field.
func DecodeError(collection, key string, err error) error {
	var ve *ValueError
	if errors.As(err, &ve) {
		return err
	}
	kind := ErrCorrupt
	if errors.Is(err, ErrDecrypt) {
		kind = ErrDecrypt
	}
	field := ""
	if p, ok := err.(*PathError); ok {
		field, err = p.Path, p.Err
	}
	return &ValueError{Kind: kind, Collection: collection, Key: key, Field: field, Err: err}
}
