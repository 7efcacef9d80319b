package kvimpl

import (
	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/internal/wire"
)

// encoder writes one record as JSON.
type encoder struct {
	secrets secretForm
	sealer  Sealer // seals them, for sealSecrets
}

// secretForm is how an encoder writes secrets.
type secretForm int

const (
	plainSecrets  secretForm = iota // as JSON strings: the plaintext a whole-value envelope holds
	redactSecrets                   // as "[REDACTED]": MarshalJSON
	sealSecrets                     // each as an envelope bound to its place (encryption: fields)
)

// append writes r, the object at prefix: every field in order, absent ones
// as null (as the Python writer does) or as their default, then the
// members kept from the read.
func (fs *Fields[R]) append(e *encoder, prefix string, b []byte, r *R) ([]byte, error) {
	for i := range fs.list {
		f := &fs.list[i]
		b = append(b, f.member...)
		if !f.direct && f.isZero(r) {
			// the default is written here rather than set on the caller's
			// value, which a write must not change
			b = append(b, f.absent...)
			continue
		}
		var err error
		if b, err = f.write(e, prefix, b, r); err != nil {
			return b, wire.FieldErr(f.name, err)
		}
	}
	b = fs.unknown(r).append(b)
	return append(b, '}'), nil
}

// writeList writes a JSON array; a failing element fails the field.
func writeList[T any](e *encoder, path string, b []byte, v []T, elem Type[T]) ([]byte, error) {
	b = append(b, '[')
	for i := range v {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = elem.write(e, elementPath(elem.secrets, path, i), b, &v[i]); err != nil {
			return b, err
		}
	}
	return append(b, ']'), nil
}

// writeSecret writes a secret as the encoder's secretForm says.
func writeSecret(e *encoder, path string, b []byte, v *kv.Secret) ([]byte, error) {
	switch e.secrets {
	case redactSecrets:
		return wire.AppendString(b, kv.Redacted), nil
	case sealSecrets:
		return e.sealer.Seal(b, path, string(*v))
	}
	return wire.AppendString(b, string(*v)), nil
}

// elementPath is the path of element i of the list at path, for the
// bindings of the secrets in it; "" when it holds none.
func elementPath(secrets bool, path string, i int) string {
	if !secrets {
		return ""
	}
	return index(path, i)
}
