package kvimpl

import (
	"fmt"

	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/internal/wire"
)

// secretSealer seals and opens the secrets of the value stored under Key in
// Collection. Seal writes an envelope bound to Collection, Key and the
// secret's path in the value (encryption: fields), which openTo verifies: a
// token copied from another record or member is kv.ErrDecrypt.
//
// openTo also reads what was stored before: a plain JSON string, written
// before encryption was turned on, and a token sealed before members were
// bound. Where the schema expects an envelope (Expect), it counts such a
// secret in Plaintext, or with Strict refuses it as kv.ErrDecrypt. Inside a
// value sealed as a whole, secrets are plain by design: Expect is false.
type secretSealer struct {
	Encrypter  kv.Encrypter
	Collection string
	Key        string
	Expect     bool
	Plaintext  *kv.PlaintextCounter
	Strict     bool
}

// Seal appends the envelope of the secret plain at path to b.
func (s secretSealer) Seal(b []byte, path, plain string) ([]byte, error) {
	place := wire.Binding{Collection: s.Collection, Key: s.Key, Field: path}
	plaintext := place.AppendHeader(make([]byte, 0, wire.HeaderLen+len(plain)+2))
	env, err := wire.Seal(s.Encrypter, wire.AppendString(plaintext, plain))
	if err != nil {
		return b, err
	}
	return append(b, env...), nil
}

// openTo reads the secret at path from raw, its stored JSON, the secret's
// JSON string read by str: a read copies it into its arena.
func (s secretSealer) openTo(path string, raw []byte, str func([]byte) (string, error)) (string, error) {
	if len(raw) > 0 && raw[0] == '"' { // plaintext: never an envelope
		return s.plain(raw, str)
	}
	o := openings.Get().(*opening) // no defer: open has too many returns for a cheap one
	v, err := s.open(o, path, raw, str)
	o.done()
	return v, err
}

// open is openTo of what is no JSON string, with the buffers of o.
func (s secretSealer) open(o *opening, path string, raw []byte, str func([]byte) (string, error)) (string, error) {
	token, ok := wire.AppendToken(o.token[:0], raw)
	if ok {
		o.token = token[:0] // grown, for the next one
	}
	if !ok && !wire.IsEnvelope(raw) {
		return s.plain(raw, str)
	}
	if s.Encrypter == nil {
		return "", fmt.Errorf("%w: encrypted, and the store has no key", kv.ErrDecrypt)
	}
	if !ok {
		var err error
		if token, err = wire.Token(raw); err != nil {
			return "", fmt.Errorf("%w: %v", kv.ErrDecrypt, err)
		}
	}
	plain, toBuf, err := wire.DecryptTo(s.Encrypter, o.plain[:0], token)
	if err != nil {
		return "", fmt.Errorf("%w: %v", kv.ErrDecrypt, err)
	}
	if toBuf {
		o.plain = plain[:0] // grown, for the next one
	}
	value, bound, err := wire.Binding{Collection: s.Collection, Key: s.Key, Field: path}.Open(plain)
	if err != nil {
		return "", fmt.Errorf("%w: %v", kv.ErrDecrypt, err)
	}
	if !bound {
		if err := s.unexpected("sealed without its binding to the record: run Reencrypt"); err != nil {
			return "", err
		}
	}
	return str(value) // a copy: the plaintext is cleared
}

// plain reads, with str, a secret stored as a JSON string (or something
// else that is no envelope, which str refuses).
func (s secretSealer) plain(raw []byte, str func([]byte) (string, error)) (string, error) {
	v, err := str(raw)
	if err != nil || s.Encrypter == nil {
		return v, err
	}
	if err := s.unexpected("plaintext where the schema expects an envelope"); err != nil {
		return "", err
	}
	return v, nil
}

// unexpected handles a secret in a form older than the schema expects:
// counted, or refused when Strict. It says what is wrong, never the value.
func (s secretSealer) unexpected(what string) error {
	if !s.Expect {
		return nil
	}
	if s.Strict {
		return fmt.Errorf("%w: %s (strict)", kv.ErrDecrypt, what)
	}
	s.Plaintext.Add()
	return nil
}
