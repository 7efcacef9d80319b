package wire

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// DecodeString reads a JSON string.
func DecodeString(raw []byte) (string, error) {
	if body, ok := PlainStringBody(raw); ok {
		return string(body), nil
	}
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", &TypeError{Want: "string", Got: KindOf(raw)}
	}
	body := raw[1 : len(raw)-1]
	out, err := appendUnquoted(make([]byte, 0, len(body)), body)
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// PlainStringBody returns the text between the quotes of raw when raw is a
// JSON string whose text is its value (see plainString), so that a caller
// can copy it where it likes; ok is false for anything else, which
// DecodeString reads or refuses.
func PlainStringBody(raw []byte) (body []byte, ok bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' || !plainString(raw[1:len(raw)-1]) {
		return nil, false
	}
	return raw[1 : len(raw)-1], true
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
				return nil, ErrSyntax
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
					return nil, ErrSyntax
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
				return nil, ErrSyntax
			}
			i += 2
		case c == '"' || c < 0x20:
			return nil, ErrSyntax
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
	e := NewElements(raw)
	for {
		ok, err := e.Next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		elem := raw[e.Start:e.End]
		if IsNull(elem) {
			out = append(out, "")
			continue
		}
		s, err := DecodeString(elem)
		if err != nil {
			return nil, IndexErr(e.Index, err)
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return append([]string(nil), out...), nil
}

// IsPlainString reports whether raw is a JSON string whose text between the
// quotes is its value (no escape, valid UTF-8), so that it can be read as a
// slice of the text that holds it.
func IsPlainString(raw []byte) bool {
	return len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' && plainString(raw[1:len(raw)-1])
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
	if KindOf(raw) != "number" {
		return 0, &TypeError{Want: "integer", Got: KindOf(raw)}
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
	if KindOf(raw) != "number" {
		return 0, &TypeError{Want: "number", Got: KindOf(raw)}
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return 0, ErrSyntax
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
	return false, &TypeError{Want: "boolean", Got: KindOf(raw)}
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
		return time.Time{}, &TypeError{Want: "seconds since the epoch", Got: KindOf(raw)}
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
