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
	for _, first := range []int{0, 1, 100, 5 * textChunk} {
		arenaStringsKeep(t, arena{firstText: first})
	}
}

func arenaStringsKeep(t *testing.T, a arena) {
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
	for _, first := range []int{0, 1, 7, 5 * listChunk} {
		arenaListsKeep(t, arena{firstLists: first})
	}
}

func arenaListsKeep(t *testing.T, a arena) {
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

// TestArenaSizesFollowTheValuesRead: the first chunks of an arena are about
// the size of what the last values read cut, with room to spare, and a
// value that strays from it resizes them.
func TestArenaSizesFollowTheValuesRead(t *testing.T) {
	var sizes arenaSizes
	read := func(text, elems int) arena {
		var a arena
		sizes.start(&a)
		a.string(bytes.Repeat([]byte{'x'}, text))
		a.list(make([]string, elems))
		sizes.note(&a)
		return a
	}
	if a := read(280, 5); a.firstText != 0 || a.firstLists != 0 {
		t.Fatalf("first value read: first chunks %d, %d; want 0, 0 (the defaults)", a.firstText, a.firstLists)
	}
	a := read(280, 5)
	if a.firstText != 280+280/8 || a.firstLists != 5 || cap(a.text) != 280+280/8 {
		t.Fatalf("after a value of 280 bytes and 5 elements: first chunks %d (cap %d), %d; want %d, 5", a.firstText, cap(a.text), a.firstLists, 280+280/8)
	}
	read(300, 5) // fits: nothing noted
	if a := read(10, 1); a.firstText != 280+280/8 {
		t.Fatalf("a value that fitted changed the size to %d", a.firstText)
	}
	// the small value read last shrinks them
	if a := read(10, 1); a.firstText != 10+10/8 || a.firstLists != 1 {
		t.Fatalf("after a small value: first chunks %d, %d; want %d, 1", a.firstText, a.firstLists, 10+10/8)
	}
}
