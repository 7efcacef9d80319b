package kvimpl

import (
	"cmp"

	"github.com/kvgen/kvgen/kv/internal/wire"
)

// Field is one member of the record or object type R: its JSON name, where
// its value lives in R and the Type of that value. Required and Optional
// make one; NewFields puts them in the order they are written.
type Field[R any] struct {
	name   string
	member string // what precedes the value when written: ,"name":
	typ    any    // the *Type[T] of the field's Go type T, for Read
	// defJSON is read in place of an absent member, for the defaults of
	// the field: its default, or {} for a required object
	defJSON string
	secrets bool
	room    int
	write   func(e *encoder, prefix string, b []byte, r *R) ([]byte, error) // after member
	check   func(p *problems, prefix string, r *R)
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
		typ:     &t,
		defJSON: t.defJSON,
		secrets: t.hasSecrets(),
		room:    t.room,
		write:   fieldWrite(name, at, t, required),
		check:   fieldCheck(name, at, t, required),
	}
	if required && t.object {
		f.defJSON = "{}"
	}
	return f
}

// fieldWrite writes the value of a field: as it is when the field is
// required, has no default and a type not written as null when zero
// (direct); else its zero is absent, written as null or as its default
// (here rather than set on the caller's value, which a write must not
// change). Strings, the commonest values, are written without a call
// through their Type.
func fieldWrite[R, T any](name string, at func(*R) *T, t Type[T], required bool) func(e *encoder, prefix string, b []byte, r *R) ([]byte, error) {
	direct := required && t.defJSON == "" && !t.nullable
	absent := cmp.Or(t.defJSON, "null")
	if str, ok := any(at).(func(*R) *string); ok && t.strings {
		return func(_ *encoder, _ string, b []byte, r *R) ([]byte, error) {
			if v := *str(r); direct || v != "" {
				return wire.AppendString(b, v), nil
			}
			return append(b, absent...), nil
		}
	}
	return func(e *encoder, prefix string, b []byte, r *R) ([]byte, error) {
		v := *at(r)
		if !direct && t.isZero(v) {
			return append(b, absent...), nil
		}
		return t.write(e, fieldPath(t.hasSecrets(), prefix, name), b, v)
	}
}

// fieldCheck is the validation of one field: required, then what its type checks.
func fieldCheck[R, T any](name string, at func(*R) *T, t Type[T], required bool) func(p *problems, prefix string, r *R) {
	mustHave := required && t.defJSON == "" && t.required != ""
	return func(p *problems, prefix string, r *R) {
		v := *at(r)
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
