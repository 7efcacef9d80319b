package kv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/kvgen/kvgen/kv/internal/wire"
)

// The envelope is py-key-value's FernetEncryptionWrapper format:
//
//	{"__encrypted_data__": "<standard padded base64 of the Fernet token>", "__encryption_version__": 1}
//
// It holds a whole value (encryption: value) or one member (encryption: fields).

// Seal encrypts plaintext (the compact JSON of a value) with e and returns
// the envelope holding it.
func Seal(e Encrypter, plaintext []byte) ([]byte, error) { return wire.Seal(e, plaintext) }

// IsEnvelope reports whether raw is a JSON object with an
// "__encrypted_data__" member: what Python's wrapper takes for encrypted,
// and anything else for plaintext.
func IsEnvelope(raw []byte) bool { return wire.IsEnvelope(raw) }

// Open returns the plaintext inside the envelope raw. A missing or unknown
// version, data that is not standard base64 and a token that does not
// decrypt are errors; they never carry plaintext or key material.
func Open(e Encrypter, raw []byte) ([]byte, error) { return wire.Open(e, raw) }

// Reseal re-encrypts the envelopes of raw, the value stored under key in
// collection, under e's first key, and reports whether it changed anything.
// It opens envelopes only where a schema puts them: a value sealed as a
// whole (a top-level "__encrypted_data__", py-key-value's rule, in every
// mode), and the members at the sealed paths fields (encryption: fields:
// client_secret, upstream.access_token, tokens[].secret), each sealed bound
// to collection, key and its place. An envelope-shaped object anywhere else
// is data that a client sent (a jwks may hold one) and is left as it is, as
// is plaintext: Reencrypt rotates keys, it does not encrypt data written
// before encryption was turned on. A member sealed before members were
// bound is sealed again with its binding; the other bytes of the value are
// kept. When e has an IsPrimary(token) method (KeyRing does), what is
// already under the first key (and bound) is left alone.
func Reseal(e Encrypter, collection, key string, raw []byte, fields []string) ([]byte, bool, error) {
	if IsEnvelope(raw) {
		return resealValue(e, raw)
	}
	if len(fields) == 0 || !bytes.Contains(raw, []byte(`"`+wire.DataKey+`"`)) {
		return raw, false, nil
	}
	if i := wire.SkipSpace(raw, 0); i == len(raw) || raw[i] != '{' || !json.Valid(raw) {
		return nil, false, errNotObject
	}
	var edits []edit
	for _, path := range parseSealedPaths(fields) {
		err := sealedAt(raw, 0, path, "", func(start, end int, place string) error {
			value := raw[start:end]
			if !IsEnvelope(value) || slices.ContainsFunc(edits, func(e edit) bool { return e.start == start }) {
				return nil
			}
			sealed, ok, err := resealField(e, wire.Binding{Collection: collection, Key: key, Field: place}, value)
			if err != nil {
				return &memberError{Field: place, Err: err}
			}
			if ok {
				edits = append(edits, edit{start, end, sealed})
			}
			return nil
		})
		if err != nil {
			return nil, false, err
		}
	}
	if len(edits) == 0 {
		return raw, false, nil
	}
	slices.SortFunc(edits, func(a, b edit) int { return a.start - b.start })
	return splice(raw, edits), true, nil
}

// resealValue reseals a value sealed as a whole.
func resealValue(e Encrypter, raw []byte) ([]byte, bool, error) {
	token, err := wire.Token(raw)
	if err != nil {
		return nil, false, err
	}
	if isPrimary(e, token) {
		return raw, false, nil
	}
	plaintext, err := wire.Decrypt(e, token)
	if err != nil {
		return nil, false, err
	}
	sealed, err := Seal(e, plaintext)
	if err != nil {
		return nil, false, err
	}
	return sealed, true, nil
}

// resealField reseals a member sealed at b, binding it if it was sealed
// before members were bound.
func resealField(e Encrypter, b wire.Binding, raw []byte) ([]byte, bool, error) {
	token, err := wire.Token(raw)
	if err != nil {
		return nil, false, err
	}
	plaintext, err := wire.Decrypt(e, token)
	if err != nil {
		return nil, false, err
	}
	value, bound, err := b.Open(plaintext)
	if err != nil {
		return nil, false, err
	}
	if bound && isPrimary(e, token) {
		return raw, false, nil
	}
	sealed, err := Seal(e, b.Seal(value))
	if err != nil {
		return nil, false, err
	}
	return sealed, true, nil
}

// isPrimary reports whether e says token was made with its first key.
func isPrimary(e Encrypter, token []byte) bool {
	p, ok := e.(interface{ IsPrimary(token []byte) bool })
	return ok && p.IsPrimary(token)
}

// memberError is a failure inside one member of a value.
type memberError struct {
	Field string
	Err   error
}

func (e *memberError) Error() string { return fmt.Sprintf("member %q: %v", e.Field, e.Err) }
func (e *memberError) Unwrap() error { return e.Err }

// errNotObject is a value that Reseal cannot look into.
var errNotObject = errors.New("value is not a JSON object")
