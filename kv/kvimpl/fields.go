package kvimpl

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/kvgen/kvgen/kv/internal/wire"
)

// Fields are the members of the record or object type R, in the order they
// are written; unknown says where R keeps the members its schema does not
// know. Generated code declares one per type, and reads, writes and checks
// through it; a value is read by the type's read method (see Read).
type Fields[R any] struct {
	list    []Field[R]
	types   []any    // the *Type[T] of each field, for Read
	quoted  []string // the name of each field as JSON writes it, for wire.EachMember
	unknown func(*R) *Unknown
	index   map[string]int // of list, by name
	// jsonbAfter[i+1] is the field that follows list[i] in the order jsonb
	// returns members (shorter names first, then bytewise), jsonbAfter[0]
	// the first, len(list) none: with the field after the last one read in
	// schema order (as written), the two guesses at the next member that
	// spare a lookup by name.
	jsonbAfter []int
	// defaulted are the fields with a defJSON, in order: those that
	// Fields.finish reads when absent, without walking the others
	defaulted []int
	secretAt  []string // where, as paths from the object, in the order of the fields
	room      int      // bytes to make room for when writing a record, by the fields' types
	// written is about the length of the last records written (see
	// writeBuffered), which is closer than room
	written atomic.Int64
	// arenaSizes are about what the last records read cut from their arena
	arenaSizes arenaSizes
	// works are the *work[R] of calls done: a record handed through the
	// accessors of a table leaves the stack, so the copy a write works on
	// is reused rather than allocated each time.
	works sync.Pool
}

// work is the state of one write or check: the record worked on, its
// encoder, the problems found.
type work[R any] struct {
	r R
	e encoder
	p problems
}

// NewFields returns the table of the fields of R.
func NewFields[R any](unknown func(*R) *Unknown, fields ...Field[R]) *Fields[R] {
	fs := &Fields[R]{list: fields, unknown: unknown, index: make(map[string]int, len(fields)), room: 2}
	for i := range fields {
		f := &fs.list[i]
		fs.types = append(fs.types, f.typ)
		fs.quoted = append(fs.quoted, string(wire.AppendString(nil, f.name)))
		f.member = "," + fs.quoted[i] + ":"
		fs.index[f.name] = i
		for _, p := range f.typ.(secretPaths).secretPaths() {
			fs.secretAt = append(fs.secretAt, f.name+p)
		}
		fs.room += len(f.member) + 32 + f.room
		if f.defJSON != "" {
			fs.defaulted = append(fs.defaulted, i)
		}
	}
	if len(fields) > 0 {
		fs.list[0].member = "{" + fs.list[0].member[1:]
	}
	fs.jsonbAfter = jsonbOrder(fields)
	return fs
}

// hasSecrets reports whether a field holds a secret, at any depth.
func (fs *Fields[R]) hasSecrets() bool { return len(fs.secretAt) > 0 }

// secretPaths is what NewFields asks of the *Type[T] of a field, which
// Field keeps as an any: where its secrets are, not kept in Field, whose
// size tells in a read (Fields.find walks them).
type secretPaths interface{ secretPaths() []string }

func (t *Type[T]) secretPaths() []string { return t.secretAt }

// jsonbOrder returns Fields.jsonbAfter.
func jsonbOrder[R any](fields []Field[R]) []int {
	order := make([]int, len(fields))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		x, y := fields[a].name, fields[b].name
		return cmp.Or(cmp.Compare(len(x), len(y)), cmp.Compare(x, y))
	})
	after := make([]int, len(fields)+1)
	prev := -1
	for _, i := range order {
		after[prev+1] = i
		prev = i
	}
	after[prev+1] = len(fields) // past the last: no guess
	return after
}

// find returns the index of the field named name, trying the two guesses
// before a lookup; -1 when R has no such field.
func (fs *Fields[R]) find(name []byte, guess1, guess2 int) int {
	if guess1 < len(fs.list) && fs.list[guess1].name == string(name) {
		return guess1
	}
	if guess2 < len(fs.list) && fs.list[guess2].name == string(name) {
		return guess2
	}
	if i, ok := fs.index[string(name)]; ok {
		return i
	}
	return -1
}

func (fs *Fields[R]) getWork() *work[R] {
	if w, ok := fs.works.Get().(*work[R]); ok {
		return w
	}
	return new(work[R])
}

// putWork clears w, so that it holds nothing of the call, and keeps it.
func (fs *Fields[R]) putWork(w *work[R]) {
	var zero R
	w.r, w.e, w.p = zero, encoder{}, w.p[:0]
	fs.works.Put(w)
}

// check reports the problems of r, the object at prefix ("" or a path
// ending in a dot): its fields in order, then the members it kept.
func (fs *Fields[R]) check(p *problems, prefix string, r *R) {
	for i := range fs.list {
		fs.list[i].check(p, prefix, r)
	}
	fs.unknown(r).check(p, prefix)
}

// Marshal writes r as it is stored, with its secrets redacted: a record or
// object printed or logged as JSON never shows a secret (MarshalJSON).
func (fs *Fields[R]) Marshal(r R) ([]byte, error) {
	w := fs.getWork()
	defer fs.putWork(w)
	w.r, w.e = r, encoder{secrets: redactSecrets}
	return fs.writeBuffered(&w.e, &w.r)
}

// writeBuffered writes r into a buffer of about the length of the last
// records written: one allocation for a usual record, instead of doubling
// from nothing, and not much larger (the buffer is the value stored). The
// length is noted only when it strays, so that writers on many cores do
// not all write it.
func (fs *Fields[R]) writeBuffered(e *encoder, r *R) ([]byte, error) {
	size := int(fs.written.Load())
	if size == 0 {
		size = fs.room
	}
	b, err := fs.append(e, "", make([]byte, 0, size+size/8), r)
	if n := len(b); err == nil && (n > size || n < size*3/4) {
		fs.written.Store(int64(n))
	}
	return b, err
}

// Unmarshal reads, with read, the type's read method, JSON whose secrets
// are plain strings, as an API request carries it (UnmarshalJSON), into a
// zero value. It sets no default.
func (fs *Fields[R]) Unmarshal(data []byte, read func(*Decoder, int) error) error {
	return fs.decode(newDecoder(data), "", wholeSpan(data), false, read)
}
