package kvimpl

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/internal/wire"
)

// Type is how a value of Go type T is read, written and checked: one for
// each type of the schema language, and List, Object and Pointer to compose
// them. Its functions take and return values, never a pointer into the
// record, so that a record read on the stack stays there (see Read).
type Type[T any] struct {
	read   func(d *decoder, path string, s span) (T, error)
	write  func(e *encoder, path string, b []byte, v T) ([]byte, error)
	isZero func(v T) bool
	// msg returns why a value may not be stored (at its own path), or "";
	// check reports the problems of a value that has parts (at their paths).
	// optional says that the zero value stands for "absent".
	msg   func(v T, optional bool) string
	check func(p *problems, path string, v T, optional bool)
	// in works on a value in place, in memory that is not the record's
	// (an element of a list, the object a Pointer points to): an object's,
	// which is large. nil for other types.
	in *inPlace[T]

	required string // the problem of a required value left zero; "" when zero is a value
	nullable bool   // written as null when zero, required or not
	def      *T     // the default, set on a read that lacks the value (Pointer sets a copy)
	defJSON  string // the default as written in place of an absent value; "" when there is none
	strings  bool   // a string as String reads and writes it
	object   bool   // an Object: an absent required one is read as {}, for its defaults
	room     int    // bytes to make room for when writing it, beyond 32
	// secretAt are where its secrets are, as paths from the value: "" for
	// the value itself, ".name" for a member of an object, "[]" and then an
	// element's paths for a list (see Record.sensitive)
	secretAt []string
}

// hasSecrets reports whether the value holds a secret: its paths are then
// built, to bind each secret's envelope to its place.
func (t *Type[T]) hasSecrets() bool { return len(t.secretAt) > 0 }

// inPlace are the functions of an object type that work on it in place.
type inPlace[T any] struct {
	read  func(d *decoder, path string, s span, v *T) error
	write func(e *encoder, path string, b []byte, v *T) ([]byte, error)
	check func(p *problems, path string, v *T)
}

// Default returns t with a default: written in place of an absent value,
// and set on a record read without it.
func (t Type[T]) Default(v T) Type[T] {
	t.def = &v
	b, err := t.write(&encoder{}, "", nil, v)
	if err != nil {
		panic("kvimpl: a default that cannot be written: " + err.Error()) // the loader admits none
	}
	t.defJSON = string(b)
	return t
}

func zero[T comparable](v T) bool {
	var z T
	return v == z
}

var stringType = Type[string]{
	read:     func(d *decoder, _ string, s span) (string, error) { return d.str(s) },
	write:    func(_ *encoder, _ string, b []byte, v string) ([]byte, error) { return wire.AppendString(b, v), nil },
	isZero:   zero[string],
	msg:      func(v string, _ bool) string { return wire.CheckText(v) },
	required: "required",
	strings:  true,
}

// URL is a string holding a URL of one of the forms allowed.
func URL(allowed kv.URLSchemes) Type[string] {
	t := stringType
	t.msg = func(v string, optional bool) string {
		if optional && v == "" {
			return ""
		}
		return kv.CheckURL(v, allowed)
	}
	return t
}

// Enum is a string holding one of values.
func Enum(values ...string) Type[string] {
	t := stringType
	problem := "must be one of: " + strings.Join(values, ", ")
	t.msg = func(v string, optional bool) string {
		if (optional && v == "") || slices.Contains(values, v) {
			return ""
		}
		return problem
	}
	return t
}

var intType = Type[int64]{
	read:   scalar(wire.DecodeInt),
	write:  func(_ *encoder, _ string, b []byte, v int64) ([]byte, error) { return wire.AppendInt(b, v), nil },
	isZero: zero[int64],
}

var floatType = Type[float64]{
	read:   scalar(wire.DecodeFloat),
	write:  func(_ *encoder, _ string, b []byte, v float64) ([]byte, error) { return wire.AppendFloat(b, v) },
	isZero: zero[float64],
}

var boolType = Type[bool]{
	read:   scalar(wire.DecodeBool),
	write:  func(_ *encoder, _ string, b []byte, v bool) ([]byte, error) { return wire.AppendBool(b, v), nil },
	isZero: zero[bool],
}

var timestampType = Type[time.Time]{
	read:     scalar(wire.DecodeTime),
	write:    func(_ *encoder, _ string, b []byte, v time.Time) ([]byte, error) { return wire.AppendTime(b, v), nil },
	isZero:   time.Time.IsZero,
	required: "required",
}

var unixtimeType = Type[time.Time]{
	read:     scalar(wire.DecodeUnix),
	write:    func(_ *encoder, _ string, b []byte, v time.Time) ([]byte, error) { return wire.AppendUnix(b, v), nil },
	isZero:   time.Time.IsZero,
	required: "required",
}

var jsonType = Type[json.RawMessage]{
	read:     func(d *decoder, _ string, s span) (json.RawMessage, error) { return wire.DecodeRaw(d.raw(s)), nil },
	write:    func(_ *encoder, _ string, b []byte, v json.RawMessage) ([]byte, error) { return wire.AppendRaw(b, v) },
	isZero:   func(v json.RawMessage) bool { return len(v) == 0 },
	check:    checkJSON,
	required: "required",
	nullable: true,
}

// secretMsg refuses, besides what no text may hold, the placeholder that
// MarshalJSON and fmt write in place of a secret: a record that went through
// encoding/json and back holds it instead of its secret, which a write would
// otherwise replace for good.
func secretMsg(v kv.Secret, _ bool) string {
	if v == kv.Redacted {
		return "is " + kv.Redacted + ", the placeholder written in place of a secret (by MarshalJSON, fmt, slog): the secret was lost on the way; set the real one"
	}
	return wire.CheckText(string(v))
}

var secretType = Type[kv.Secret]{
	read:     readSecret,
	write:    writeSecret,
	isZero:   zero[kv.Secret],
	msg:      secretMsg,
	required: "required",
	nullable: true,
	secretAt: []string{""},
	room:     256, // an envelope of a short secret is about 200 bytes
}

var hashedType = Type[kv.Hashed]{
	read: func(d *decoder, _ string, s span) (kv.Hashed, error) {
		text, err := d.str(s)
		if err != nil {
			return kv.Hashed{}, err
		}
		return kv.ParseHashed(text)
	},
	write: func(_ *encoder, _ string, b []byte, v kv.Hashed) ([]byte, error) {
		return wire.AppendString(b, v.Digest()), nil
	},
	isZero:   kv.Hashed.IsZero,
	required: "required",
	nullable: true,
}

// scalar makes the read of a type from the Decode function of its kind.
func scalar[T any](decode func(raw []byte) (T, error)) func(d *decoder, _ string, s span) (T, error) {
	return func(d *decoder, _ string, s span) (T, error) { return decode(d.raw(s)) }
}

// childPrefix is the path prefix of the members of the value at path, as
// the bindings of secrets need it: built only for values that hold one.
func childPrefix(secrets bool, path, sep string) string {
	if !secrets {
		return ""
	}
	return path + sep
}
