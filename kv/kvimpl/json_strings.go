package kvimpl

import "unsafe"

// arena is where the plain strings and the lists of strings of one value
// read are copied to: a few chunks instead of an allocation for each, which
// was the larger part of the cost of reading a record. A string is cut from
// a chunk with unsafe.String, as strings.Builder does: the bytes of a chunk
// handed out are never written again (a chunk is only appended to, and
// dropped when full), so the strings are immutable as Go requires. A list
// is a window of its chunk with no room beyond it, so that an append to it
// copies. A record's strings and lists keep their chunks alive, a few
// hundred bytes.
type arena struct {
	text  []byte
	lists []string
}

// Chunk sizes: a usual record's strings fit in one or two chunks, its lists
// in one.
const (
	textChunk = 256
	listChunk = 16
)

// string returns a string of the bytes b.
func (a *arena) string(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if cap(a.text)-len(a.text) < len(b) {
		a.text = make([]byte, 0, max(textChunk, len(b)))
	}
	start := len(a.text)
	a.text = append(a.text, b...)
	return unsafe.String(&a.text[start], len(b))
}

// list returns a copy of elems, nil when it is empty.
func (a *arena) list(elems []string) []string {
	if len(elems) == 0 {
		return nil
	}
	if cap(a.lists)-len(a.lists) < len(elems) {
		a.lists = make([]string, 0, max(listChunk, len(elems)))
	}
	start := len(a.lists)
	a.lists = append(a.lists, elems...)
	return a.lists[start:len(a.lists):len(a.lists)]
}
