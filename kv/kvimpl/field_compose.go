package kvimpl

import "github.com/kvgen/kvgen/kv/internal/wire"

// Pointer is an optional value whose zero is a value (a number, a boolean)
// or an object: nil is absent.
func Pointer[T any](t Type[T]) Type[*T] {
	p := Type[*T]{
		read:     func(d *decoder, path string, s span) (*T, error) { return readNew(t, d, path, s) },
		write:    func(e *encoder, path string, b []byte, v *T) ([]byte, error) { return writeAt(t, e, path, b, v) },
		isZero:   func(v *T) bool { return v == nil },
		secretAt: t.secretAt,
		room:     t.room,
		defJSON:  t.defJSON,
	}
	if t.msg != nil {
		p.msg = func(v *T, optional bool) string {
			if v == nil {
				return ""
			}
			return t.msg(*v, optional)
		}
	}
	if t.check != nil {
		p.check = func(pr *problems, path string, v *T, optional bool) {
			if v != nil {
				checkAt(t, pr, path, v, optional)
			}
		}
	}
	return p
}

// readNew reads a value of t into new memory.
func readNew[T any](t Type[T], d *decoder, path string, s span) (*T, error) {
	x := new(T)
	if t.in != nil {
		return x, t.in.read(d, path, s, x)
	}
	var err error
	*x, err = t.read(d, path, s)
	return x, err
}

// writeAt and checkAt work on v in place when t can.
func writeAt[T any](t Type[T], e *encoder, path string, b []byte, v *T) ([]byte, error) {
	if t.in != nil {
		return t.in.write(e, path, b, v)
	}
	return t.write(e, path, b, *v)
}

func checkAt[T any](t Type[T], p *problems, path string, v *T, optional bool) {
	if t.in != nil {
		t.in.check(p, path, v)
		return
	}
	t.check(p, path, *v, optional)
}

// Object is a nested object of the record: fields are its members, read
// its generated read method.
func Object[O any](fields *Fields[O], read func(*O, *Decoder, int) error) Type[O] {
	in := &inPlace[O]{
		read: func(d *decoder, path string, s span, o *O) error {
			return fields.decode(*d, childPrefix(fields.hasSecrets(), path, "."), s, false, func(dec *Decoder, field int) error {
				return read(o, dec, field)
			})
		},
		write: func(e *encoder, path string, b []byte, o *O) ([]byte, error) {
			return fields.append(e, childPrefix(fields.hasSecrets(), path, "."), b, o)
		},
		check: func(p *problems, path string, o *O) { fields.check(p, path+".", o) },
	}
	return Type[O]{
		read: func(d *decoder, path string, s span) (O, error) {
			o := new(O) // a member read twice is replaced, not merged
			err := in.read(d, path, s, o)
			return *o, err
		},
		write:    func(e *encoder, path string, b []byte, o O) ([]byte, error) { return in.write(e, path, b, &o) },
		isZero:   func(O) bool { return false }, // a required object is never absent
		check:    func(p *problems, path string, o O, _ bool) { in.check(p, path, &o) },
		in:       in,
		secretAt: prefixed(".", fields.secretAt),
		object:   true, // an absent required one is read as {}, for the defaults of its fields
	}
}

// List is a JSON array of values of elem; null elements are zero values.
func List[E any](elem Type[E]) Type[[]E] {
	l := Type[[]E]{
		read:     func(d *decoder, path string, s span) ([]E, error) { return readList(d, path, s, elem) },
		write:    func(e *encoder, path string, b []byte, v []E) ([]byte, error) { return writeList(e, path, b, v, elem) },
		isZero:   func(v []E) bool { return len(v) == 0 },
		required: "required: at least one value",
		nullable: true,
		secretAt: prefixed("[]", elem.secretAt),
	}
	if read, ok := any(readStrings).(func(d *decoder, path string, s span) ([]E, error)); ok && elem.strings {
		l.read = read // the commonest list, without a call per element
	}
	switch {
	case elem.msg != nil:
		l.check = func(p *problems, path string, v []E, _ bool) {
			for i := range v {
				if msg := elem.msg(v[i], false); msg != "" {
					p.add(index(path, i), msg)
				}
			}
		}
	case elem.check != nil:
		l.check = func(p *problems, path string, v []E, _ bool) {
			for i := range v {
				checkAt(elem, p, index(path, i), &v[i], false)
			}
		}
	}
	return l
}

// readList reads a JSON array of elem; a null element is a zero value.
func readList[E any](d *decoder, path string, s span, elem Type[E]) ([]E, error) {
	var out []E
	e := wire.NewElements(d.raw(s))
	for {
		ok, err := e.Next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return out, nil
		}
		es := span{s.start + e.Start, s.start + e.End, e.Plain}
		var x E
		out = append(out, x)
		if wire.IsNull(d.raw(es)) {
			continue
		}
		p, at := elementPath(elem.hasSecrets(), path, e.Index), &out[len(out)-1]
		if elem.in != nil {
			err = elem.in.read(d, p, es, at)
		} else {
			*at, err = elem.read(d, p, es)
		}
		if err != nil {
			return nil, wire.IndexErr(e.Index, err)
		}
	}
}

// writeList writes a JSON array; a failing element fails the field.
func writeList[E any](e *encoder, path string, b []byte, v []E, elem Type[E]) ([]byte, error) {
	b = append(b, '[')
	for i := range v {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = writeAt(elem, e, elementPath(elem.hasSecrets(), path, i), b, &v[i]); err != nil {
			return b, err
		}
	}
	return append(b, ']'), nil
}

// elementPath is the path of element i of the list at path, for the
// bindings of the secrets in it; "" when it holds none.
func elementPath(secrets bool, path string, i int) string {
	if !secrets {
		return ""
	}
	return index(path, i)
}

// prefixed is each of paths after prefix.
func prefixed(prefix string, paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = prefix + p
	}
	return out
}
