package kvimpl

import (
	"bytes"
	"testing"
)

// TestStringArenaKeepsWhatItHandedOut: strings of every size, past a chunk
// and larger than one, read the bytes they were cut from after the buffer
// they came from changed and the arena handed out more.
func TestStringArenaKeepsWhatItHandedOut(t *testing.T) {
	var a stringArena
	var got []string
	var want []string
	buf := make([]byte, 0, 3*chunkSize)
	for n := range 2*chunkSize + 3 {
		buf = append(buf[:0], bytes.Repeat([]byte{byte('a' + n%26)}, n%(chunkSize+40))...)
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
