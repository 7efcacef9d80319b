package kv

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// The envelope is py-key-value's FernetEncryptionWrapper format:
//
//	{"__encrypted_data__": "<standard padded base64 of the Fernet token>", "__encryption_version__": 1}
//
// It holds a whole value (encryption: value) or one member (encryption: fields).
const (
	envelopeDataKey    = "__encrypted_data__"
	envelopeVersionKey = "__encryption_version__"
	envelopeVersion    = 1
)

var envelopeDataKeyQuoted = []byte(`"` + envelopeDataKey + `"`)

// Seal encrypts plaintext (the compact JSON of a value) with e and returns
// the envelope holding it.
func Seal(e Encrypter, plaintext []byte) ([]byte, error) {
	if e == nil {
		return nil, errors.New("kv: no Encrypter configured")
	}
	token, err := e.Encrypt(plaintext)
	if err != nil {
		return nil, fmt.Errorf("kv: encrypt: %w", err)
	}
	data := base64.StdEncoding.EncodeToString(token)
	out := make([]byte, 0, len(data)+64)
	out = append(out, `{"`+envelopeDataKey+`":"`...)
	out = append(out, data...)
	out = append(out, `","`+envelopeVersionKey+`":1}`...)
	return out, nil
}

// IsEnvelope reports whether raw is a JSON object with an
// "__encrypted_data__" member: what Python's wrapper takes for encrypted,
// and anything else for plaintext. It parses raw only when the member name
// occurs in it (see hasEnvelopeMember).
func IsEnvelope(raw []byte) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return false
	}
	return hasEnvelopeMember(raw)
}

// Open returns the plaintext inside the envelope raw. A missing or unknown
// version, data that is not standard base64 and a token that does not
// decrypt are errors; they never carry plaintext or key material.
func Open(e Encrypter, raw []byte) ([]byte, error) {
	token, err := envelopeToken(raw)
	if err != nil {
		return nil, err
	}
	return decryptToken(e, token)
}

func decryptToken(e Encrypter, token []byte) ([]byte, error) {
	if e == nil {
		return nil, errors.New("encrypted, and no Encrypter is configured")
	}
	plaintext, err := e.Decrypt(token)
	if err != nil {
		return nil, fmt.Errorf("decrypt: %w", err)
	}
	return plaintext, nil
}

// envelopeToken checks the envelope raw and returns its Fernet token.
func envelopeToken(raw []byte) ([]byte, error) {
	if token, ok := fastEnvelopeToken(raw); ok {
		return token, nil
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return nil, errors.New("envelope is not a JSON object")
	}
	var version json.Number
	if v, ok := members[envelopeVersionKey]; !ok {
		return nil, errors.New("envelope has no " + envelopeVersionKey)
	} else if bytes.HasPrefix(v, []byte(`"`)) || json.Unmarshal(v, &version) != nil {
		return nil, errors.New("envelope version is not a number")
	}
	if n, err := version.Int64(); err != nil || n != envelopeVersion {
		return nil, fmt.Errorf("envelope version %s is not supported (only %d)", shortText(version.String()), envelopeVersion)
	}
	var data string
	if err := json.Unmarshal(members[envelopeDataKey], &data); err != nil {
		return nil, errors.New("envelope data is not a JSON string")
	}
	token, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return nil, errors.New("envelope data is not standard base64")
	}
	return token, nil
}

// shortText bounds a piece of stored text quoted in an error.
func shortText(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}

// Reseal re-encrypts the envelopes of raw, the value stored under key in
// collection, under e's first key, and reports whether it changed anything.
// It opens envelopes only where a schema puts them: a value sealed as a
// whole (a top-level "__encrypted_data__", py-key-value's rule, in every
// mode), and the top-level members named in fields (encryption: fields),
// each sealed bound to collection, key and its name. An envelope-shaped
// object anywhere else is data that a client sent (a jwks may hold one) and
// is left as it is, as is plaintext: Reencrypt rotates keys, it does not
// encrypt data written before encryption was turned on. A member sealed
// before members were bound is sealed again with its binding; the bytes and
// order of the other members are kept. When e has an IsPrimary(token)
// method (KeyRing does), what is already under the first key (and bound) is
// left alone.
func Reseal(e Encrypter, collection, key string, raw []byte, fields []string) ([]byte, bool, error) {
	if IsEnvelope(raw) {
		return resealValue(e, raw)
	}
	if len(fields) == 0 || !bytes.Contains(raw, envelopeDataKeyQuoted) {
		return raw, false, nil
	}
	members, err := objectMembers(raw)
	if err != nil {
		return nil, false, err
	}
	changed := false
	for i, m := range members {
		if !slices.Contains(fields, m.name) || !IsEnvelope(m.value) {
			continue
		}
		sealed, ok, err := resealField(e, binding{collection, key, m.name}, m.value)
		if err != nil {
			return nil, false, &memberError{Field: m.name, Err: err}
		}
		if ok {
			members[i].value, changed = sealed, true
		}
	}
	if !changed {
		return raw, false, nil
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range members {
		if i > 0 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(m.name) // a string always marshals
		b.Write(name)
		b.WriteByte(':')
		b.Write(m.value)
	}
	b.WriteByte('}')
	return b.Bytes(), true, nil
}

// resealValue reseals a value sealed as a whole.
func resealValue(e Encrypter, raw []byte) ([]byte, bool, error) {
	token, err := envelopeToken(raw)
	if err != nil {
		return nil, false, err
	}
	if isPrimary(e, token) {
		return raw, false, nil
	}
	plaintext, err := decryptToken(e, token)
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
func resealField(e Encrypter, b binding, raw []byte) ([]byte, bool, error) {
	token, err := envelopeToken(raw)
	if err != nil {
		return nil, false, err
	}
	plaintext, err := decryptToken(e, token)
	if err != nil {
		return nil, false, err
	}
	value, bound, err := b.open(plaintext)
	if err != nil {
		return nil, false, err
	}
	if bound && isPrimary(e, token) {
		return raw, false, nil
	}
	sealed, err := Seal(e, b.seal(value))
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

// A member sealed in encryption: fields is bound to its place, the
// collection, key and member name of the value that holds it, so that a
// token copied to another record or member does not open there. Fernet has
// no associated data, so the binding goes inside the plaintext:
//
//	"\x00kv" 0x01 | 16 bytes of SHA-256(place) | the member's JSON
//
// The NUL byte that starts it can start no JSON text, so the plaintext of a
// member sealed before members were bound (its JSON alone) is never taken for
// a bound one. py-key-value never reads such members (it opens whole values
// only), and a whole value keeps py-key-value's plaintext, unbound.
const (
	boundMagic  = "\x00kv"
	boundPrefix = boundMagic + "\x01" // version 1
	digestBytes = sha256.Size / 2     // 128 bits: a second preimage is out of reach
)

var errBinding = errors.New("sealed for another record or member: a token copied from elsewhere does not open here")

// binding is the place of a sealed member.
type binding struct{ collection, key, field string }

// digest hashes the place, each part prefixed by its length so that no two
// places hash the same input.
func (b binding) digest() [sha256.Size]byte {
	var scratch [256]byte // a usual place fits: no allocation
	buf := scratch[:0]
	for _, part := range []string{b.collection, b.key, b.field} {
		buf = binary.AppendUvarint(buf, uint64(len(part)))
		buf = append(buf, part...)
	}
	return sha256.Sum256(buf)
}

// appendHeader appends what precedes a member's JSON in the plaintext that
// binds it to b.
func (b binding) appendHeader(dst []byte) []byte {
	d := b.digest()
	dst = append(dst, boundPrefix...)
	return append(dst, d[:digestBytes]...)
}

// seal returns the plaintext that binds value (a member's JSON) to b.
func (b binding) seal(value []byte) []byte {
	return append(b.appendHeader(make([]byte, 0, len(boundPrefix)+digestBytes+len(value))), value...)
}

// open returns the member's JSON in plaintext, and whether it was bound
// (to b: a binding to another place is an error). A plaintext without a
// binding is returned as it is.
func (b binding) open(plaintext []byte) (value []byte, bound bool, err error) {
	if !bytes.HasPrefix(plaintext, []byte(boundMagic)) {
		return plaintext, false, nil
	}
	if !bytes.HasPrefix(plaintext, []byte(boundPrefix)) || len(plaintext) < len(boundPrefix)+digestBytes {
		return nil, false, errors.New("sealed with a binding of an unknown version")
	}
	d := b.digest()
	at := len(boundPrefix)
	if !bytes.Equal(plaintext[at:at+digestBytes], d[:digestBytes]) {
		return nil, false, errBinding
	}
	return plaintext[at+digestBytes:], true, nil
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

type member struct {
	name  string
	value json.RawMessage
}

// objectMembers splits a JSON object into its members, in order, each value
// as its exact bytes.
func objectMembers(raw []byte) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errNotObject
	}
	var out []member
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, errNotObject
		}
		name, _ := t.(string)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, errNotObject
		}
		out = append(out, member{name: name, value: value})
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return nil, errNotObject
	}
	if _, err := dec.Token(); err == nil {
		return nil, errNotObject
	}
	return out, nil
}

// ErrSealedValue is what a generated decoder returns when it meets the
// member "__encrypted_data__" at the top level of a value: the value is then
// a whole-value envelope (py-key-value's rule), which the codec opens with
// OpenValue and decodes again. Meeting the member while decoding spares
// every other read a search for it.
var ErrSealedValue = errors.New("kv: the value is sealed as a whole")

// OpenValue returns the plaintext of data, a value that has the member
// "__encrypted_data__" at its top level. A value that is not a valid
// envelope is a *ValueError: ErrDecrypt for a bad token, version or key,
// ErrCorrupt when data is not valid JSON.
func OpenValue(e Encrypter, collection, key string, data []byte) ([]byte, error) {
	var plain []byte
	var err error
	if token, ok := fastEnvelopeToken(data); ok {
		plain, err = decryptToken(e, token)
	} else if !IsEnvelope(data) {
		return nil, &ValueError{Kind: ErrCorrupt, Collection: collection, Key: key,
			Err: errors.New("a value with a top-level " + envelopeDataKey + " member is not valid JSON")}
	} else {
		plain, err = Open(e, data)
	}
	if err != nil {
		return nil, &ValueError{Kind: ErrDecrypt, Collection: collection, Key: key, Err: err}
	}
	return plain, nil
}

// UnsealedValue handles a value read in plaintext where the schema seals
// values as a whole (encryption: value): data written before encryption was
// turned on. It is counted in c, or with strict refused as ErrDecrypt
// naming collection and key.
func UnsealedValue(c *PlaintextCounter, strict bool, collection, key string) error {
	if strict {
		return &ValueError{Kind: ErrDecrypt, Collection: collection, Key: key,
			Err: errors.New("plaintext where the schema expects the value sealed (strict)")}
	}
	c.Add()
	return nil
}
