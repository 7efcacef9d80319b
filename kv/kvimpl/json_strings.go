package kvimpl

import "unsafe"

// strings is where the plain strings of one value read are copied to: a
// few chunks instead of an allocation per string, which was the larger part
// of the cost of reading a record. A string is cut from a chunk with
// unsafe.String, as strings.Builder does: the bytes of a chunk handed out
// are never written again (a chunk is only appended to, and dropped when
// full), so the strings are immutable as Go requires. A record's strings
// keep their chunks alive, a few hundred bytes.
type stringArena struct {
	chunk []byte
}

// chunkSize is the size of a chunk: a usual record's strings fit in one or two.
const chunkSize = 256

// string returns a string of the bytes b.
func (a *stringArena) string(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if cap(a.chunk)-len(a.chunk) < len(b) {
		a.chunk = make([]byte, 0, max(chunkSize, len(b)))
	}
	start := len(a.chunk)
	a.chunk = append(a.chunk, b...)
	return unsafe.String(&a.chunk[start], len(b))
}
