package wire

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxWriteDepth bounds the nesting of a JSON value a write stores. Python's
// json module recurses once per level and stops at its recursion limit
// (1000 frames, some of them already taken by its caller), so a value nested
// much deeper than this would be stored and never read back by Python.
const maxWriteDepth = 500

var msgNestedTooFar = fmt.Sprintf("is nested more than %d levels deep, which Python cannot read", maxWriteDepth)

// CheckJSON returns the first thing in the JSON text raw, the value at root,
// that a write may not store, and its path: a NUL character (\u0000),
// invalid UTF-8, an unpaired UTF-16 surrogate escape, a number outside the
// range of a 64-bit float (1e400 overflows, 1e-400 underflows to zero),
// nesting more than 500 levels deep, or anything that is not JSON. The path
// goes down to the failing string or number, as in jwks.keys[0].n. msg is ""
// when raw may be stored; an empty raw is an absent value and may.
func CheckJSON(root string, raw []byte) (path, msg string) {
	var f fault
	if checkJSON(raw, 0, &f) {
		return "", ""
	}
	return f.path(root), f.msg
}

// CheckMember is CheckJSON of member name of the object at root (a path, or
// "" for a record), whose value v is JSON text (json.RawMessage,
// json.Number) or a Go value as encoding/json would write it: see
// checkMember.
func CheckMember(root, name string, v any) (path, msg string) {
	var f fault
	if checkMember(name, v, 0, &f) {
		return "", ""
	}
	return f.path(root), f.msg
}

// fault is the first thing found in a value that a write may not store: why,
// and where below the value, gathered only on the way out of the failing
// value so that a valid one costs no allocation.
type fault struct {
	msg string
	out []string // innermost segment first: [3], .name or ["odd name"]
}

// maxPathSegments bounds the path of a fault: a value 500 levels deep must
// not make an error of thousands of segments.
const maxPathSegments = 16

// path returns the path of the fault below root.
func (f *fault) path(root string) string {
	b := []byte(root)
	for i := len(f.out) - 1; i >= 0; i-- {
		if len(f.out)-1-i == maxPathSegments {
			b = append(b, "…"...)
			break
		}
		seg := f.out[i]
		if len(b) == 0 && seg[0] == '.' {
			seg = seg[1:]
		}
		b = append(b, seg...)
	}
	return string(b)
}

// under records that the fault is in segment seg of the value being left.
func (f *fault) under(seg string) { f.out = append(f.out, seg) }

func indexSegment(i int) string { return "[" + strconv.Itoa(i) + "]" }

// memberSegment is the segment of a member: .name, or the name quoted in
// brackets as memberPath writes it.
func memberSegment(name string) string { return MemberPath(".", name) }

// checkJSON reports whether the JSON text raw, a value already depth levels
// deep, may be stored; if not, f says why and where. An empty raw is an
// absent value and may.
func checkJSON(raw []byte, depth int, f *fault) bool {
	if len(raw) == 0 {
		return true
	}
	c := jsonCheck{data: raw, fault: f}
	end := c.value(SkipSpace(raw, 0), depth)
	if end >= 0 && SkipSpace(raw, end) != len(raw) {
		c.fail(msgNotJSON)
		return false
	}
	return end >= 0
}

// jsonCheck walks one JSON text.
type jsonCheck struct {
	data []byte
	*fault
}

func (c *jsonCheck) fail(msg string) int {
	c.msg = msg
	return -1
}

// value checks the value that starts at data[i] and returns its end, or -1.
func (c *jsonCheck) value(i, depth int) int {
	if i >= len(c.data) {
		return c.fail(msgNotJSON)
	}
	switch b := c.data[i]; {
	case b == '"':
		return c.str(i)
	case b == '{' || b == '[':
		if depth >= maxWriteDepth {
			return c.fail(msgNestedTooFar)
		}
		if b == '{' {
			return c.object(i, depth+1)
		}
		return c.array(i, depth+1)
	case b == '-' || (b >= '0' && b <= '9'):
		return c.number(i)
	case b == 't':
		return c.literal(i, "true")
	case b == 'f':
		return c.literal(i, "false")
	case b == 'n':
		return c.literal(i, "null")
	}
	return c.fail(msgNotJSON)
}

func (c *jsonCheck) literal(i int, lit string) int {
	end, err := skipLiteral(c.data, i, lit)
	if err != nil {
		return c.fail(msgNotJSON)
	}
	return end
}

func (c *jsonCheck) object(i, depth int) int {
	i = SkipSpace(c.data, i+1)
	if i < len(c.data) && c.data[i] == '}' {
		return i + 1
	}
	for {
		if i >= len(c.data) || c.data[i] != '"' {
			return c.fail(msgNotJSON)
		}
		name := i + 1
		end := c.str(i)
		if end < 0 {
			if end, err := skipString(c.data, i); err == nil {
				c.under(segment(c.data[name : end-1]))
			} else {
				c.under(segment(c.data[name:]))
			}
			return -1
		}
		i = SkipSpace(c.data, end)
		if i >= len(c.data) || c.data[i] != ':' {
			return c.fail(msgNotJSON)
		}
		if i = c.value(SkipSpace(c.data, i+1), depth); i < 0 {
			c.under(segment(c.data[name : end-1]))
			return -1
		}
		if i = SkipSpace(c.data, i); i >= len(c.data) {
			return c.fail(msgNotJSON)
		}
		switch c.data[i] {
		case '}':
			return i + 1
		case ',':
			i = SkipSpace(c.data, i+1)
		default:
			return c.fail(msgNotJSON)
		}
	}
}

func (c *jsonCheck) array(i, depth int) int {
	i = SkipSpace(c.data, i+1)
	if i < len(c.data) && c.data[i] == ']' {
		return i + 1
	}
	for n := 0; ; n++ {
		if i = c.value(i, depth); i < 0 {
			c.under(indexSegment(n))
			return -1
		}
		if i = SkipSpace(c.data, i); i >= len(c.data) {
			return c.fail(msgNotJSON)
		}
		switch c.data[i] {
		case ']':
			return i + 1
		case ',':
			i = SkipSpace(c.data, i+1)
		default:
			return c.fail(msgNotJSON)
		}
	}
}

// segment is the path segment of a member whose name is written as name
// (escapes as written: a name that failed the check is shown undecoded),
// cut short as memberPath cuts it.
func segment(name []byte) string {
	if len(name) > maxPathName+1 {
		name = name[:maxPathName+1]
	}
	return memberSegment(string(name))
}

// str checks the JSON string that starts at data[i] and returns its end.
// Plain ASCII is skipped eight bytes at a time.
func (c *jsonCheck) str(i int) int {
	data := c.data
	for j := i + 1; ; {
		for ; j+8 <= len(data); j += 8 {
			x := binary.LittleEndian.Uint64(data[j:])
			quote, backslash := x^(ones*'"'), x^(ones*'\\')
			if flagged := (x | (x-ones*0x20)&^x | (quote-ones)&^quote | (backslash-ones)&^backslash) & tops; flagged != 0 {
				j += bits.TrailingZeros64(flagged) / 8
				break
			}
		}
		if j >= len(data) {
			return c.fail(msgNotJSON)
		}
		switch b := data[j]; {
		case b == '"':
			return j + 1
		case b == '\\':
			next, msg := escapeEnd(data, j)
			if msg != "" {
				return c.fail(msg)
			}
			j = next
		case b < 0x20:
			return c.fail(msgNotJSON)
		case b < utf8.RuneSelf:
			j++
		default:
			r, size := utf8.DecodeRune(data[j:])
			if r == utf8.RuneError && size == 1 {
				return c.fail(MsgInvalidUTF8) // surrogates in UTF-8 form included
			}
			j += size
		}
	}
}

// escapeEnd checks the escape at data[j] (a backslash) and returns the index
// after it: after both halves of a surrogate pair.
func escapeEnd(data []byte, j int) (int, string) {
	if j+1 >= len(data) {
		return 0, msgNotJSON
	}
	switch data[j+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return j + 2, ""
	case 'u':
	default:
		return 0, msgNotJSON
	}
	r, ok := hexRune(data, j+2)
	switch {
	case !ok:
		return 0, msgNotJSON
	case r == 0:
		return 0, msgNUL
	case r >= 0xdc00 && r <= 0xdfff:
		return 0, msgSurrogate // a low half with no high half before it
	case r < 0xd800 || r > 0xdbff:
		return j + 6, ""
	}
	if j+7 < len(data) && data[j+6] == '\\' && data[j+7] == 'u' {
		if low, ok := hexRune(data, j+8); ok && low >= 0xdc00 && low <= 0xdfff {
			return j + 12, ""
		}
	}
	return 0, msgSurrogate
}

// hexRune reads the four hex digits at data[i].
func hexRune(data []byte, i int) (rune, bool) {
	if i+4 > len(data) {
		return 0, false
	}
	var r rune
	for _, c := range data[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// number checks the JSON number that starts at data[i] and returns its end.
func (c *jsonCheck) number(i int) int {
	end, _ := skipValue(c.data, i, 0) // the bytes a number may hold; the grammar is checked next
	raw := c.data[i:end]
	switch {
	case !validNumber(raw):
		return c.fail(msgNotJSON)
	case !inFloat64Range(raw):
		return c.fail(msgNumberRange)
	}
	return end
}

// maxNumberLen bounds how long a number a write stores may be written: no
// 64-bit float needs more digits, and PostgreSQL's numeric holds no more
// than 16383 digits after the point.
const maxNumberLen = 1000

// inFloat64Range reports whether the JSON number raw is one that Python
// reads back as the same number and PostgreSQL's jsonb stores: a magnitude
// a 64-bit float holds (about 5e-324 to 1.8e308), not infinity or a nonzero
// number read as zero, or a zero with an exponent within ±1000.
func inFloat64Range(raw []byte) bool {
	e := bytes.IndexAny(raw, "eE")
	switch {
	case e < 0 && len(raw) < 300:
		return true // fewer than 300 digits and no exponent: far inside the range
	case len(raw) > maxNumberLen:
		return false
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	switch {
	case err != nil:
		return false // beyond ±1.8e308
	case f != 0:
		return true
	}
	mantissa, exp := raw, 0
	if e >= 0 {
		mantissa = raw[:e]
		if exp, err = strconv.Atoi(string(raw[e+1:])); err != nil {
			return false
		}
	}
	return bytes.IndexAny(mantissa, "123456789") < 0 && exp >= -1000 && exp <= 1000 // a zero, not an underflow
}

// checkMember reports whether member name of an object, and its value v
// depth levels deep, may be stored; if not, f says why and where below the
// object. It is the rule of CheckJSON over Go values. encoding/json would
// quietly replace invalid UTF-8 in a Go string, so the strings of the values
// that JSON decodes to (and of []string and map[string]string) are checked
// before it sees them; a value of another type is checked as the JSON that
// encoding/json writes for it.
func checkMember(name string, v any, depth int, f *fault) bool {
	if msg := CheckText(name); msg != "" {
		f.msg = "member name " + msg
	} else if checkAny(v, depth, f) {
		return true
	}
	f.under(memberSegment(name))
	return false
}

// checkAny is checkMember's walk of a value.
func checkAny(v any, depth int, f *fault) bool {
	switch v := v.(type) {
	case nil, bool, float64, int, int64:
		return true
	case string:
		f.msg = CheckText(v)
		return f.msg == ""
	case json.Number:
		return checkJSON([]byte(v), depth, f)
	case json.RawMessage:
		return checkJSON(v, depth, f)
	}
	if depth >= maxWriteDepth {
		f.msg = msgNestedTooFar
		return false
	}
	switch v := v.(type) {
	case []any:
		return checkElements(v, depth, f)
	case []string:
		return checkElements(v, depth, f)
	case map[string]any:
		return checkObject(v, depth, f)
	case map[string]string:
		return checkObject(v, depth, f)
	}
	data, err := MarshalCompact(v)
	if err != nil {
		f.msg = MsgNotJSONValue
		return false
	}
	return checkJSON(data, depth, f)
}

func checkElements[E any](list []E, depth int, f *fault) bool {
	for i, e := range list {
		if !checkAny(e, depth+1, f) {
			f.under(indexSegment(i))
			return false
		}
	}
	return true
}

// checkObject walks the members in sorted order, as encoding/json writes
// them, so that the fault reported is the same on every run.
func checkObject[E any](m map[string]E, depth int, f *fault) bool {
	for _, name := range slices.Sorted(maps.Keys(m)) {
		if !checkMember(name, m[name], depth+1, f) {
			return false
		}
	}
	return true
}

// What a write may not store: what PostgreSQL's jsonb refuses (none and
// fields mode store the value as jsonb) or Python's json module cannot read
// back (py-key-value reads every value with it, the plaintext of value mode
// included). Every write checks for these before anything is stored, in
// every mode and over every backend, so that no write makes a row that one
// of the table's readers cannot read. The messages never quote the value.
const (
	msgNUL          = "contains a NUL character, which PostgreSQL cannot store"
	MsgInvalidUTF8  = "contains invalid UTF-8, which PostgreSQL cannot store"
	msgSurrogate    = `contains an unpaired UTF-16 surrogate (\ud800 to \udfff), which neither PostgreSQL nor Python can store`
	msgNumberRange  = "holds a number outside the range of a 64-bit float, which Python cannot read back"
	msgNotJSON      = "not valid JSON"
	MsgNotJSONValue = "cannot be represented as JSON"
)

// CheckText returns why s cannot be stored as a JSON string, or "" when it
// can: a NUL character, or bytes that are not UTF-8 (which include the
// UTF-8 form of a lone surrogate).
func CheckText(s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		return msgNUL
	}
	if !utf8.ValidString(s) {
		return MsgInvalidUTF8
	}
	return ""
}

// MemberPath is the path of member name of the object at prefix (empty, or
// ending in a dot). A name that would not read back from a dotted path (it
// holds a dot, a bracket, a quote, a control character or non-ASCII, or it
// is long) is quoted in brackets, and cut short: a path names, it does not
// echo.
func MemberPath(prefix, name string) string {
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

// MarshalCompact is json.Marshal without the HTML escaping of <, > and &,
// which Python's json.dumps does not do either.
func MarshalCompact(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
