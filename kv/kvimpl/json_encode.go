package kvimpl

import (
	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/internal/wire"
)

// encoder writes one record as JSON.
type encoder struct {
	secrets secretForm
	sealer  secretSealer // seals them, for sealSecrets
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
		var err error
		if b, err = f.write(e, prefix, b, r); err != nil {
			return b, wire.FieldErr(f.name, err)
		}
	}
	b = fs.unknown(r).append(b)
	return append(b, '}'), nil
}

// writeSecret writes a secret as the encoder's secretForm says.
func writeSecret(e *encoder, path string, b []byte, v kv.Secret) ([]byte, error) {
	switch e.secrets {
	case redactSecrets:
		return wire.AppendString(b, kv.Redacted), nil
	case sealSecrets:
		return e.sealer.Seal(b, path, string(v))
	}
	return wire.AppendString(b, string(v)), nil
}
