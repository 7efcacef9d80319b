package kvimpl

// Field is one member of the record or object type R: its JSON name, where
// its value lives in R and the Type of that value. Required and Optional
// make one; NewFields puts them in the order they are written.
type Field[R any] struct {
	name   string
	member string // what precedes the value when written: ,"name":
	// direct says that the value is written as it is even when zero: a
	// required value without a default, of a type not written as null.
	direct   bool
	absent   string // written in place of an absent value: null, or the default
	secrets  bool
	room     int
	read     func(d *decoder, prefix string, s span, r *R) error
	write    func(e *encoder, prefix string, b []byte, r *R) ([]byte, error)
	isZero   func(r *R) bool
	check    func(p *problems, prefix string, r *R)
	defaults func(r *R) // nil when there are none to set
}

// Required is a field that the schema requires: a zero value is a problem
// (but for numbers, booleans and objects, whose zero is a value).
func Required[R, T any](name string, at func(*R) *T, t Type[T]) Field[R] {
	return newField(name, at, t, true)
}

// Optional is a field that may be absent: its zero value (nil for a
// Pointer) is written as null, or as its default.
func Optional[R, T any](name string, at func(*R) *T, t Type[T]) Field[R] {
	return newField(name, at, t, false)
}

func newField[R, T any](name string, at func(*R) *T, t Type[T], required bool) Field[R] {
	f := Field[R]{
		name:    name,
		direct:  required && t.defJSON == "" && !t.nullable,
		absent:  "null",
		secrets: t.secrets,
		room:    t.room,
		read: func(d *decoder, prefix string, s span, r *R) error {
			return t.read(d, fieldPath(t.secrets, prefix, name), s, at(r))
		},
		write: func(e *encoder, prefix string, b []byte, r *R) ([]byte, error) {
			return t.write(e, fieldPath(t.secrets, prefix, name), b, at(r))
		},
		isZero: func(r *R) bool { return t.isZero(at(r)) },
		check:  fieldCheck(name, at, t, required),
	}
	if t.defJSON != "" {
		f.absent = t.defJSON
	}
	if t.def != nil || t.defaults != nil {
		f.defaults = func(r *R) {
			v := at(r)
			if t.def != nil && t.isZero(v) {
				*v = *t.def
			}
			if t.defaults != nil {
				t.defaults(v)
			}
		}
	}
	return f
}

// fieldCheck is the validation of one field: required, then what its type checks.
func fieldCheck[R, T any](name string, at func(*R) *T, t Type[T], required bool) func(p *problems, prefix string, r *R) {
	mustHave := required && t.defJSON == "" && t.required != ""
	return func(p *problems, prefix string, r *R) {
		v := at(r)
		if mustHave && t.isZero(v) {
			p.add(prefix+name, t.required)
		}
		switch {
		case t.msg != nil:
			if msg := t.msg(v, !required); msg != "" {
				p.add(prefix+name, msg)
			}
		case t.check != nil:
			t.check(p, prefix+name, v, !required)
		}
	}
}

// fieldPath is the path of member name of the object at prefix, for the
// binding of the secrets in its value; "" when it holds none.
func fieldPath(secrets bool, prefix, name string) string {
	if !secrets {
		return ""
	}
	return prefix + name
}
