package kvimpl

import (
	"bytes"
	"slices"
	"testing"
)

// TestArenaStringsKeepWhatWasHandedOut: strings of every size, past a chunk
// and larger than one, read the bytes they were cut from after the buffer
// they came from changed and the arena handed out more.
func TestArenaStringsKeepWhatWasHandedOut(t *testing.T) {
	var a arena
	var got []string
	var want []string
	buf := make([]byte, 0, 3*textChunk)
	for n := range 2*textChunk + 3 {
		buf = append(buf[:0], bytes.Repeat([]byte{byte('a' + n%26)}, n%(textChunk+40))...)
		got = append(got, a.string(buf))
		want = append(want, string(buf))
		clear(buf) // the value's text is not the strings'
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("string %d = %q, want %q", i, got[i], want[i])
		}
	}
}

// TestArenaListsKeepWhatWasHandedOut: lists of every length, past a chunk
// and longer than one, keep their elements while more are handed out, and
// an append to one does not write over the next.
func TestArenaListsKeepWhatWasHandedOut(t *testing.T) {
	var a arena
	var got, want [][]string
	var buf []string
	for n := range 3 * listChunk {
		buf = buf[:0]
		for i := range n % (listChunk + 3) {
			buf = append(buf, string(rune('a'+(n+i)%26)))
		}
		got = append(got, a.list(buf))
		want = append(want, append([]string(nil), buf...))
		clear(buf)
	}
	for _, list := range got {
		_ = append(list, "appended") // the caller's own
	}
	for i := range got {
		if len(want[i]) == 0 && got[i] != nil {
			t.Errorf("list %d = %q, want nil", i, got[i])
		}
		if !slices.Equal(got[i], want[i]) {
			t.Fatalf("list %d = %q, want %q", i, got[i], want[i])
		}
	}
}
