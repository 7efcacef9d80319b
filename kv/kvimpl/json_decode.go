package kvimpl

import (
	"errors"

	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/internal/wire"
)

// decoder reads one JSON value into a record.
type decoder struct {
	data []byte
	// text is data as a string, made once: a string read from data is a
	// slice of it (one allocation per value instead of one per string),
	// which keeps the whole value alive as long as one of its strings.
	text string
	// sealer opens the secrets of a stored value (opens); without it they
	// are read as JSON strings, as a request carries them.
	sealer Sealer
	opens  bool
}

// newDecoder returns the decoder of data whose secrets are plain JSON strings.
func newDecoder(data []byte) *decoder {
	return &decoder{data: data, text: string(data)}
}

// newStoredDecoder returns the decoder of a stored value whose secrets sealer opens.
func newStoredDecoder(data []byte, sealer Sealer) *decoder {
	return &decoder{data: data, text: string(data), sealer: sealer, opens: true}
}

// span is where a value is in the decoder's data; plain says that it is a
// string of plain ASCII (wire.Members.Plain).
type span struct {
	start, end int
	plain      bool
}

func wholeSpan(data []byte) span { return span{0, len(data), false} }

func (d *decoder) raw(s span) []byte { return d.data[s.start:s.end] }

// str reads the JSON string at s, as a slice of text when its text is its value.
func (d *decoder) str(s span) (string, error) {
	if s.plain || wire.IsPlainString(d.raw(s)) {
		return d.text[s.start+1 : s.end-1], nil
	}
	return wire.DecodeString(d.raw(s))
}

// errSealedValue stops the decoder at a top-level "__encrypted_data__" of
// a stored value: the value is then an envelope (py-key-value's rule),
// which the codec opens and decodes again. Meeting the member while decoding
// spares every other read a search for it.
var errSealedValue = errors.New("kv: the value is sealed as a whole")

// read decodes the object at s into r: members by name, null as absent,
// unknown members kept. stored says that r is a stored record, where a
// top-level "__encrypted_data__" makes the value a whole-value envelope.
func (fs *Fields[R]) read(d *decoder, prefix string, s span, r *R, stored bool) error {
	m := wire.NewMembers(d.raw(s))
	next, after := 0, len(fs.list)
	for {
		ok, err := m.Next()
		if !ok {
			return err
		}
		v := span{s.start + m.Start, s.start + m.End, m.Plain}
		i := fs.find(m.Name, next, fs.jsonbNext[after])
		if i < 0 {
			if stored && string(m.Name) == wire.DataKey {
				return errSealedValue
			}
			fs.unknown(r).keep(m.Name, d.raw(v))
			continue
		}
		next, after = i+1, i
		if wire.IsNull(d.raw(v)) {
			continue
		}
		if err := fs.list[i].read(d, prefix, v, r); err != nil {
			return wire.FieldErr(fs.list[i].name, err)
		}
	}
}

func readString(d *decoder, _ string, s span, v *string) error {
	x, err := d.str(s)
	if err != nil {
		return err
	}
	*v = x
	return nil
}

// readStrings is readList of strings: the commonest list, read into a
// slice of the right size, its strings slices of the decoder's text.
func readStrings(d *decoder, _ string, s span, v *[]string) error {
	var buf [8]string // most lists are short: one allocation, of the right size
	out := buf[:0]
	e := wire.NewElements(d.raw(s))
	for {
		ok, err := e.Next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		es := span{s.start + e.Start, s.start + e.End, e.Plain}
		if wire.IsNull(d.raw(es)) {
			out = append(out, "")
			continue
		}
		x, err := d.str(es)
		if err != nil {
			return wire.IndexErr(e.Index, err)
		}
		out = append(out, x)
	}
	*v = nil
	if len(out) > 0 {
		*v = append([]string(nil), out...)
	}
	return nil
}

// readList reads a JSON array of elem; a null element is a zero value.
func readList[T any](d *decoder, path string, s span, v *[]T, elem Type[T]) error {
	var out []T
	e := wire.NewElements(d.raw(s))
	for {
		ok, err := e.Next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		es := span{s.start + e.Start, s.start + e.End, e.Plain}
		var x T
		if !wire.IsNull(d.raw(es)) {
			if err := elem.read(d, elementPath(elem.secrets, path, e.Index), es, &x); err != nil {
				return wire.IndexErr(e.Index, err)
			}
		}
		out = append(out, x)
	}
	*v = out
	return nil
}

// readSecret reads a secret: a JSON string, or an envelope that the
// decoder's sealer opens, bound to path.
func readSecret(d *decoder, path string, s span, v *kv.Secret) error {
	if !d.opens {
		x, err := d.str(s)
		*v = kv.Secret(x)
		return err
	}
	x, err := d.sealer.Open(path, d.raw(s))
	*v = kv.Secret(x)
	return err
}
