package kvimpl

import (
	"errors"
	"sync"

	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/internal/wire"
)

// decoder reads one JSON value.
type decoder struct {
	data []byte
	// arena holds the plain strings and the lists of strings read: those
	// of the value read by decodeRecord, its nested objects included
	arena *arena
	// sealer opens the secrets of a stored value (opens); without it they
	// are read as JSON strings, as a request carries them.
	sealer secretSealer
	opens  bool
	// defaults says to set the defaults of the fields absent or read zero
	// (Decode, not UnmarshalJSON)
	defaults bool
}

// newDecoder returns the decoder of data whose secrets are plain JSON strings.
func newDecoder(data []byte) decoder { return decoder{data: data} }

// newStoredDecoder returns the decoder of a stored value whose secrets
// sealer opens, and whose absent fields take their defaults, as Decode reads
// them in every mode.
func newStoredDecoder(data []byte, sealer secretSealer) decoder {
	return decoder{data: data, sealer: sealer, opens: true, defaults: true}
}

// span is where a value is in the decoder's data; plain says that it is a
// string of plain ASCII (wire.Members.Plain).
type span struct {
	start, end int
	plain      bool
}

func wholeSpan(data []byte) span { return span{0, len(data), false} }

func (d *decoder) raw(s span) []byte { return d.data[s.start:s.end] }

// str reads the JSON string at s; a plain one, found so by the scan that
// found its end, is not scanned again.
func (d *decoder) str(s span) (string, error) {
	if s.plain {
		return d.arena.string(d.data[s.start+1 : s.end-1]), nil
	}
	return wire.DecodeString(d.raw(s))
}

// jsonString reads the JSON string raw: into the arena when its text is
// its value, as str reads a string found plain by the scan.
func (d *decoder) jsonString(raw []byte) (string, error) {
	if body, ok := wire.PlainStringBody(raw); ok {
		return d.arena.string(body), nil
	}
	return wire.DecodeString(raw)
}

// Decoder hands the members of an object, one at a time, to the generated
// read method of its type, which puts each in its field with Read, or with
// Keep when the schema does not know it. The method is a switch of static
// calls, handed to the decoder as a function it calls and does not keep,
// so that a record read on the stack stays there.
type Decoder struct {
	d      decoder
	types  []any  // the *Type[T] of each field
	path   string // of the member, when its value holds a secret
	member span   // the member's value
	name   []byte // the member's name, for Keep
	field  int
	// keyAt is the key field, whose value is kept in key
	keyAt int
	key   string
	// zero says to set fields to their zero value, and drop what Keep kept
	zero bool
	// arena is d.arena when the read started at this value, which the
	// reads of its nested objects share
	arena arena
}

// Read reads the member at hand, a value of field, into *p.
func Read[T any](d *Decoder, p *T) error {
	if d.zero {
		var zero T
		*p = zero
		return nil
	}
	t := d.types[d.field].(*Type[T]) // the read method and the table are generated together
	x, err := t.read(&d.d, d.path, d.member)
	if err != nil {
		return err
	}
	if d.d.defaults && t.def != nil && t.isZero(x) {
		x = *t.def
	}
	*p = x
	if d.field == d.keyAt {
		d.key = *any(p).(*string) // the loader keeps the key a string
	}
	return nil
}

// String reads the member at hand, a string, into *p: Read without its
// generic steps, for the commonest field.
func (d *Decoder) String(p *string) error {
	if d.zero {
		*p = ""
		return nil
	}
	x, err := d.d.str(d.member)
	if err != nil {
		return err
	}
	if x == "" && d.d.defaults {
		if t := d.types[d.field].(*Type[string]); t.def != nil {
			x = *t.def
		}
	}
	*p = x
	if d.field == d.keyAt {
		d.key = x
	}
	return nil
}

// Strings reads the member at hand, a list of strings, into *p.
func (d *Decoder) Strings(p *[]string) error {
	if d.zero {
		*p = nil
		return nil
	}
	x, err := readStrings(&d.d, "", d.member)
	*p = x
	return err
}

// Keep keeps the member at hand, which the schema does not know, in u.
func (d *Decoder) Keep(u *Unknown) error {
	if d.zero {
		*u = Unknown{}
		return nil
	}
	u.keep(d.name, d.d.raw(d.member))
	return nil
}

// decoders are Decoders of reads done, each cleared before it is put back.
var decoders = sync.Pool{New: func() any { return new(Decoder) }}

// errSealedValue stops the decoder at a top-level "__encrypted_data__" of
// a stored value: the value is then an envelope (py-key-value's rule),
// which the codec opens and decodes again. Meeting the member while decoding
// spares every other read a search for it.
var errSealedValue = errors.New("kv: the value is sealed as a whole")

// decode reads the object at s with read, the generated read method of
// R's value being read: members by name, null as absent, unknown members
// kept. stored says that the value is a stored record, where a top-level
// "__encrypted_data__" makes it a whole-value envelope.
func (fs *Fields[R]) decode(d decoder, prefix string, s span, stored bool, read func(*Decoder, int) error) error {
	return fs.decodeRecord(d, prefix, s, stored, read, -1, "")
}

// decodeRecord is decode that also gives the key field at keyAt (-1: none)
// the key when it has none, or fails with errKeyMismatch, and sets the
// defaults of the fields (d.defaults).
func (fs *Fields[R]) decodeRecord(d decoder, prefix string, s span, stored bool, read func(*Decoder, int) error, keyAt int, key string) error {
	dec := decoders.Get().(*Decoder) // zero: cleared before it was put back
	dec.d, dec.types, dec.keyAt = d, fs.types, keyAt
	if dec.d.arena == nil {
		dec.d.arena = &dec.arena
		fs.arenaSizes.start(&dec.arena)
	}
	defer func() {
		if dec.d.arena == &dec.arena {
			fs.arenaSizes.note(&dec.arena)
		}
		*dec = Decoder{} // its chunk is the strings': never written again
		decoders.Put(dec)
	}()
	var seen bitset
	seen.init(len(fs.list))
	// the last field read, and whether the members follow jsonb's order
	// rather than the schema's (as written): the field after last in that
	// order is expected next, and tried first when it is not
	last, jsonb := -1, false
	err := wire.EachMember(d.raw(s), fs.quoted, func(name []byte, known, start, end int, plain bool) (int, error) {
		at := span{s.start + start, s.start + end, plain}
		i := known
		if i < 0 { // not the one expected: the order may have changed
			i = fs.find(name, last+1, fs.jsonbAfter[last+1])
			jsonb = i >= 0 && i != last+1 && i == fs.jsonbAfter[last+1]
		}
		if i >= 0 {
			last = i
		}
		expect := last + 1
		if jsonb {
			expect = fs.jsonbAfter[last+1]
		}
		if i < 0 {
			if stored && string(name) == wire.DataKey {
				return -1, errSealedValue
			}
			dec.field, dec.member, dec.name = -1, at, name
			return expect, read(dec, -1)
		}
		if wire.IsNull(dec.d.raw(at)) {
			return expect, nil
		}
		seen.set(i)
		if err := fs.readField(dec, read, i, prefix, at); err != nil {
			return -1, wire.FieldErr(fs.list[i].name, err)
		}
		return expect, nil
	})
	if err != nil {
		return err
	}
	return fs.finish(dec, read, prefix, &seen, keyAt, key)
}

// zero sets every field of the value that read reads to its zero value,
// and drops the members it kept.
func (fs *Fields[R]) zero(read func(*Decoder, int) error) {
	dec := &Decoder{zero: true}
	for i := -1; i < len(fs.list); i++ {
		dec.field = i
		_ = read(dec, i) // Read and Keep cannot fail while zeroing
	}
}

// readField reads the member at at as field i.
func (fs *Fields[R]) readField(dec *Decoder, read func(*Decoder, int) error, i int, prefix string, at span) error {
	f := &fs.list[i]
	dec.field, dec.member = i, at
	if f.secrets || dec.path != "" { // a pointer written only when it changes: the Decoder is on the heap
		dec.path = fieldPath(f.secrets, prefix, f.name)
	}
	return read(dec, i)
}

// finish gives a record read its key, and reads the defaults of the fields
// not read (see Field.defJSON).
func (fs *Fields[R]) finish(dec *Decoder, read func(*Decoder, int) error, prefix string, seen *bitset, keyAt int, key string) error {
	if keyAt >= 0 && (!seen.has(keyAt) || dec.key == "") {
		if err := fs.readText(dec, read, keyAt, prefix, wire.AppendString(nil, key)); err != nil {
			return err
		}
	} else if keyAt >= 0 && dec.key != key {
		return errKeyMismatch
	}
	for _, i := range fs.defaulted {
		if f := &fs.list[i]; dec.d.defaults && !seen.has(i) {
			if err := fs.readText(dec, read, i, prefix, []byte(f.defJSON)); err != nil {
				return wire.FieldErr(f.name, err)
			}
		}
	}
	return nil
}

// readText reads text, a JSON value, as field i.
func (fs *Fields[R]) readText(dec *Decoder, read func(*Decoder, int) error, i int, prefix string, text []byte) error {
	saved := dec.d.data
	dec.d.data = text
	err := fs.readField(dec, read, i, prefix, wholeSpan(text))
	dec.d.data = saved
	return err
}

// bitset is a set of field indexes.
type bitset struct {
	small uint64
	large []bool
}

func (b *bitset) init(n int) {
	if n > 64 {
		b.large = make([]bool, n)
	}
}

func (b *bitset) set(i int) {
	if b.large != nil {
		b.large[i] = true
	} else {
		b.small |= 1 << i
	}
}

func (b *bitset) has(i int) bool {
	if b.large != nil {
		return b.large[i]
	}
	return b.small&(1<<i) != 0
}

// readStrings is readList of strings: the commonest list, read into a
// slice of the right size.
func readStrings(d *decoder, _ string, s span) ([]string, error) {
	var buf [8]string // most lists are short: one allocation, of the right size
	out := buf[:0]
	var texts [8][]byte
	if plain, ok := wire.AppendPlainList(texts[:0], d.raw(s)); ok {
		for _, text := range plain {
			out = append(out, d.arena.string(text)) // null is nil: ""
		}
		return d.arena.list(out), nil
	}
	err := wire.EachElement(d.raw(s), func(i, start, end int, plain bool) error {
		es := span{s.start + start, s.start + end, plain}
		if wire.IsNull(d.raw(es)) {
			out = append(out, "")
			return nil
		}
		x, err := d.str(es)
		if err != nil {
			return wire.IndexErr(i, err)
		}
		out = append(out, x)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d.arena.list(out), nil
}

// readSecret reads a secret: a JSON string, or an envelope that the
// decoder's sealer opens, bound to path.
func readSecret(d *decoder, path string, s span) (kv.Secret, error) {
	if !d.opens {
		x, err := d.str(s)
		return kv.Secret(x), err
	}
	x, err := d.sealer.openTo(path, d.raw(s), d.jsonString)
	return kv.Secret(x), err
}
