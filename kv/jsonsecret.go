package kv

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
)

// SecretWriter appends the sensitive string value of the top-level member
// field to JSON being built.
type SecretWriter func(b []byte, field, plain string) ([]byte, error)

// SecretReader reads the sensitive string value of the top-level member
// field from its stored JSON.
type SecretReader func(field string, raw []byte) (string, error)

// PlainSecret writes the value as a JSON string.
func PlainSecret(b []byte, _, plain string) ([]byte, error) { return AppendString(b, plain), nil }

// RedactSecret writes "[REDACTED]" in place of the value.
func RedactSecret(b []byte, _, _ string) ([]byte, error) { return AppendString(b, Redacted), nil }

// PlainSecretReader reads a JSON string.
func PlainSecretReader(_ string, raw []byte) (string, error) { return DecodeString(raw) }

// Sealer seals and opens the sensitive members of the value stored under
// Key in Collection; its Seal and Open are a generated codec's SecretWriter
// and SecretReader. Seal writes an envelope bound to Collection, Key and the
// member's name (encryption: fields), which Open verifies: a token copied
// from another record or member is ErrDecrypt.
//
// Open also reads what was stored before: a plain JSON string, written
// before encryption was turned on, and a token sealed before members were
// bound. Where the schema expects an envelope (Expect), it counts such a
// member in Plaintext, or with Strict refuses it as ErrDecrypt. Inside a
// value sealed as a whole, members are plain by design: Expect is false.
type Sealer struct {
	Encrypter  Encrypter
	Collection string
	Key        string
	Expect     bool
	Plaintext  *PlaintextCounter
	Strict     bool
}

// Seal is a SecretWriter.
func (s Sealer) Seal(b []byte, field, plain string) ([]byte, error) {
	plaintext := binding{s.Collection, s.Key, field}.appendHeader(make([]byte, 0, len(boundPrefix)+digestBytes+len(plain)+2))
	env, err := Seal(s.Encrypter, AppendString(plaintext, plain))
	if err != nil {
		return b, err
	}
	return append(b, env...), nil
}

// Open is a SecretReader.
func (s Sealer) Open(field string, raw []byte) (string, error) {
	token, ok := fastEnvelopeToken(raw) // the usual shape: one scan instead of IsEnvelope's and envelopeToken's
	if !ok && !IsEnvelope(raw) {
		v, err := DecodeString(raw)
		if err != nil || s.Encrypter == nil {
			return v, err
		}
		if err := s.unexpected("plaintext where the schema expects an envelope"); err != nil {
			return "", err
		}
		return v, nil
	}
	if s.Encrypter == nil {
		return "", fmt.Errorf("%w: encrypted, and the store has no key", ErrDecrypt)
	}
	if !ok {
		var err error
		if token, err = envelopeToken(raw); err != nil {
			return "", fmt.Errorf("%w: %v", ErrDecrypt, err)
		}
	}
	plain, err := decryptToken(s.Encrypter, token)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrDecrypt, err)
	}
	value, bound, err := binding{s.Collection, s.Key, field}.open(plain)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrDecrypt, err)
	}
	if !bound {
		if err := s.unexpected("sealed without its binding to the record: run Reencrypt"); err != nil {
			return "", err
		}
	}
	return DecodeString(value)
}

// unexpected handles a member in a form older than the schema expects:
// counted, or refused when Strict. It says what is wrong, never the value.
func (s Sealer) unexpected(what string) error {
	if !s.Expect {
		return nil
	}
	if s.Strict {
		return fmt.Errorf("%w: %s (strict)", ErrDecrypt, what)
	}
	s.Plaintext.Add()
	return nil
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

// The envelope readers below are the reflection-free fast paths of
// IsEnvelope and envelopeToken (envelope.go): a record is read on every Get,
// and parsing it into a map[string]json.RawMessage cost more than decrypting it.

// envelopeKeyTail is the envelope's data member name and its closing quote:
// searching for it, then checking the quote before it, is three times faster
// than searching for the quoted name, whose first byte is everywhere in JSON.
var envelopeKeyTail = []byte(envelopeDataKey + `"`)

// hasEnvelopeMember reports whether raw, a JSON object, has the member
// "__encrypted_data__" at its top level and is valid JSON: what IsEnvelope
// learnt from json.Unmarshal into a map, after a search for the quoted name.
// A value without the name, or a record with sealed fields, whose envelopes
// are nested, is told apart without a scan (envelopeNameAtTop); only a value
// that has the member is scanned and validated.
func hasEnvelopeMember(raw []byte) bool {
	if !envelopeNameAtTop(raw) {
		return false
	}
	found := false
	err := Object(raw, func(name, _ []byte) error {
		found = found || string(name) == envelopeDataKey
		return nil
	})
	if err != nil || !found {
		return false
	}
	return Object(raw, func(_, value []byte) error {
		if !validJSON(value) {
			return errSyntax
		}
		return nil
	}) == nil
}

// envelopeNameAtTop reports whether "__encrypted_data__" occurs in raw as a
// member name at the top level, as far as a scan that follows only strings
// and brackets can tell; a name with escapes counts, since it may spell it.
// For valid JSON a false is exact; a true, or input that is not valid JSON,
// is left to hasEnvelopeMember's full scan.
//
// The usual case is told without a scan: in a record with sealed fields,
// each occurrence opens a nested envelope, right after its "{". In valid
// JSON a quote that follows a "{" (and white space) opens a member name of
// the object that "{" opens, which is nested unless the "{" begins raw.
func envelopeNameAtTop(raw []byte) bool {
	last, nested := -1, true
	for from := 0; ; { // forward: bytes.LastIndex is many times slower here
		k := bytes.Index(raw[from:], envelopeKeyTail)
		if k < 0 {
			break
		}
		at := from + k
		from = at + 1
		if at == 0 || raw[at-1] != '"' {
			continue // not the whole name: not a candidate
		}
		last = at
		open := at - 2 // before the opening quote
		for open > 0 && isSpace(raw[open]) {
			open--
		}
		nested = nested && open > 0 && raw[open] == '{'
	}
	if last < 1 || nested {
		return false
	}
	depth := 0
	for i := 0; i < last; i++ {
		switch raw[i] {
		case '"':
			end, err := skipString(raw, i)
			if err != nil {
				return true
			}
			if depth == 1 {
				name := raw[i+1 : end-1]
				colon := skipSpace(raw, end)
				if colon < len(raw) && raw[colon] == ':' && (string(name) == envelopeDataKey || bytes.IndexByte(name, '\\') >= 0) {
					return true
				}
			}
			i = end - 1
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		}
	}
	return false
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// validJSON reports whether raw, one value as Object hands it out, is valid
// JSON. Object has already checked literals and the extent of strings;
// strings and numbers are checked here without encoding/json, nested values
// with it.
func validJSON(raw []byte) bool {
	switch kindOf(raw) {
	case "string":
		body := raw[1 : len(raw)-1]
		if plainString(body) {
			return true
		}
		_, err := appendUnquoted(nil, body)
		return err == nil
	case "number":
		return validNumber(raw)
	case "object", "array":
		return json.Valid(raw)
	}
	return true // true, false, null: Object matched them exactly
}

// validNumber reports whether raw is a JSON number:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(raw []byte) bool {
	i := 0
	digits := func() int {
		start := i
		for i < len(raw) && raw[i] >= '0' && raw[i] <= '9' {
			i++
		}
		return i - start
	}
	if i < len(raw) && raw[i] == '-' {
		i++
	}
	switch n := digits(); {
	case n == 0, n > 1 && raw[i-n] == '0':
		return false
	}
	if i < len(raw) && raw[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(raw) && (raw[i] == 'e' || raw[i] == 'E') {
		i++
		if i < len(raw) && (raw[i] == '+' || raw[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(raw)
}

// fastEnvelopeToken returns the Fernet token of an envelope in the shape
// that Seal and py-key-value write: the two members once each, the data a
// string without escapes, the version the integer 1. ok is false for any
// other shape, which envelopeToken then reads with encoding/json, to accept
// it or to name what is wrong with it.
func fastEnvelopeToken(raw []byte) (token []byte, ok bool) {
	var data, version []byte
	err := Object(raw, func(name, value []byte) error {
		switch {
		case string(name) == envelopeDataKey && data == nil:
			data = value
		case string(name) == envelopeVersionKey && version == nil:
			version = value
		default:
			return errSyntax // another member, or one twice: not this shape
		}
		return nil
	})
	if err != nil || string(version) != "1" || len(data) < 2 || data[0] != '"' {
		return nil, false
	}
	text := data[1 : len(data)-1]
	// Decode refuses every byte outside the base64 alphabet but the line
	// breaks, which it skips and a JSON string cannot hold unescaped.
	token = make([]byte, base64.StdEncoding.DecodedLen(len(text)))
	n, err := base64.StdEncoding.Decode(token, text)
	if err != nil || bytes.IndexByte(text, '\n') >= 0 || bytes.IndexByte(text, '\r') >= 0 {
		return nil, false
	}
	return token[:n], true
}
