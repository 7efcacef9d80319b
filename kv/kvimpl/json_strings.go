package kvimpl

import (
	"sync/atomic"
	"unsafe"
)

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
	// the sizes of the first chunks, from arenaSizes (0: textChunk and
	// listChunk), and how much was cut from all chunks
	firstText, firstLists int
	cutText, cutLists     int
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
		a.text = make([]byte, 0, max(chunkSize(a.cutText, a.firstText, textChunk), len(b)))
	}
	start := len(a.text)
	a.text = append(a.text, b...)
	a.cutText += len(b)
	return unsafe.String(&a.text[start], len(b))
}

// list returns a copy of elems, nil when it is empty.
func (a *arena) list(elems []string) []string {
	if len(elems) == 0 {
		return nil
	}
	if cap(a.lists)-len(a.lists) < len(elems) {
		a.lists = make([]string, 0, max(chunkSize(a.cutLists, a.firstLists, listChunk), len(elems)))
	}
	start := len(a.lists)
	a.lists = append(a.lists, elems...)
	a.cutLists += len(elems)
	return a.lists[start:len(a.lists):len(a.lists)]
}

// chunkSize is the size of the next chunk of an arena that has cut cut
// bytes or elements: first for the first one, when known.
func chunkSize(cut, first, chunk int) int {
	if cut == 0 && first > 0 {
		return first
	}
	return chunk
}

// arenaSizes are about the text and the list elements that the last values
// read of a type cut from their arena, with room to spare, kept by the
// type's Fields: the next value read makes a first chunk of each of that
// size, one allocation each for a usual record instead of a few chunks of
// fixed sizes, and fewer bytes for the collector. They are noted only when
// they stray, so that readers on many cores do not all write them.
type arenaSizes struct{ text, lists atomic.Int64 }

// start sets the sizes of the first chunks of a, a new arena.
func (s *arenaSizes) start(a *arena) {
	a.firstText, a.firstLists = int(s.text.Load()), int(s.lists.Load())
}

// note notes what a, an arena done with, cut.
func (s *arenaSizes) note(a *arena) {
	if n := a.cutText; n > a.firstText || n < a.firstText/2 {
		s.text.Store(int64(n + n/8))
	}
	if n := a.cutLists; n > a.firstLists || n < a.firstLists/2 {
		s.lists.Store(int64(n + n/8))
	}
}
