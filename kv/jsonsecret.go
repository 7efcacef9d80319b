package kv

import "fmt"

// SecretWriter appends a sensitive string value to JSON being built.
type SecretWriter func(b []byte, plain string) ([]byte, error)

// SecretReader reads a sensitive string value from its stored JSON.
type SecretReader func(raw []byte) (string, error)

// PlainSecret writes the value as a JSON string.
func PlainSecret(b []byte, plain string) ([]byte, error) { return AppendString(b, plain), nil }

// RedactSecret writes "[REDACTED]" in place of the value.
func RedactSecret(b []byte, _ string) ([]byte, error) { return AppendString(b, Redacted), nil }

// SealSecret writes the value as an envelope: the Fernet token of its JSON.
func SealSecret(e Encrypter) SecretWriter {
	return func(b []byte, plain string) ([]byte, error) {
		env, err := Seal(e, AppendString(nil, plain))
		if err != nil {
			return b, err
		}
		return append(b, env...), nil
	}
}

// PlainSecretReader reads a JSON string.
func PlainSecretReader(raw []byte) (string, error) { return DecodeString(raw) }

// OpenSecret reads an envelope, or a plain JSON string written before
// encryption was turned on, which it counts in plaintext (when e is set).
func OpenSecret(e Encrypter, plaintext *PlaintextCounter) SecretReader {
	return func(raw []byte) (string, error) {
		if !IsEnvelope(raw) {
			s, err := DecodeString(raw)
			if err == nil && e != nil && plaintext != nil {
				plaintext.Add()
			}
			return s, err
		}
		if e == nil {
			return "", fmt.Errorf("%w: encrypted, and the store has no key", ErrDecrypt)
		}
		plain, err := Open(e, raw)
		if err != nil {
			return "", fmt.Errorf("%w: %v", ErrDecrypt, err)
		}
		return DecodeString(plain)
	}
}

// DecodeHashed reads a stored digest.
func DecodeHashed(raw []byte) (Hashed, error) {
	s, err := DecodeString(raw)
	if err != nil {
		return Hashed{}, err
	}
	return ParseHashed(s)
}

// EncodeError turns an error of a generated encoder into a validation error
// when it names a field whose value JSON cannot hold (NaN, invalid raw JSON).
func EncodeError(err error) error {
	if p, ok := err.(*PathError); ok && (p.Err == errNotFinite || p.Err == errRawJSON) {
		return &ValidationError{Problems: []FieldProblem{{Path: p.Path, Message: p.Err.Error()}}}
	}
	return err
}
