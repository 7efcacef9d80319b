package kv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"sync/atomic"

	"github.com/kvgen/kvgen/kv/internal/wire"
)

// The encryption modes of a schema (encryption: ...).
const (
	EncryptionNone   = "none"   // values stored as they are
	EncryptionFields = "fields" // each sensitive member is an envelope
	EncryptionValue  = "value"  // the whole value is an envelope, as Python's FernetEncryptionWrapper
)

// FastMCPCollections are the collections FastMCP's OAuth proxy keeps in
// py-key-value: Python reads them, so no encryption: fields store writes
// there (schemas refuse go_only for them, and such stores refuse them at
// run time).
var FastMCPCollections = []string{
	"mcp-oauth-proxy-clients", "mcp-oauth-transactions", "mcp-authorization-codes",
	"mcp-upstream-tokens", "mcp-jti-mappings", "mcp-refresh-tokens",
}

// PlaintextCounter counts values read with plaintext where an envelope was
// expected: data written before encryption was turned on. Such values are
// read, not dropped, and the count tells an operator that Reencrypt-style
// migration or a rewrite is still due. The nil counter counts nothing.
type PlaintextCounter struct {
	n atomic.Int64
}

// Add counts one value.
func (c *PlaintextCounter) Add() {
	if c != nil {
		c.n.Add(1)
	}
}

// Load returns the count.
func (c *PlaintextCounter) Load() int64 {
	if c == nil {
		return 0
	}
	return c.n.Load()
}

// MapCodec is the Codec of the untyped view: any JSON object, as a
// map[string]any whose numbers are json.Number, so that every number reads
// back exactly as it was written. Build it with NewMapCodec.
//
// Writing seals per Mode with Encrypter; a nil Encrypter writes plaintext
// whatever the mode (the generated stores allow that only when told to). In
// fields mode each member at a Sensitive path is sealed bound to the
// collection, key and place it is stored under.
//
// Reading accepts, whatever the mode, the forms the table can hold where
// envelopes belong: a value sealed as a whole is opened, then each Sensitive
// member that is an envelope. Nothing else is opened: an envelope-shaped
// object in another member is data (a client's jwks may hold one). With an
// Encrypter, plaintext where the mode expects an envelope (the whole value
// in value mode, a non-null Sensitive member in fields mode), and a member
// sealed before members were bound, are read and counted in Counter.
type MapCodec struct {
	Encrypter Encrypter
	Mode      string // EncryptionNone ("" too), EncryptionFields or EncryptionValue
	// Sensitive are the paths of the members sealed in fields mode, and
	// opened in every mode: member names joined by dots, [] after the name
	// of a list for each of its elements (client_secret,
	// upstream.access_token, tokens[].secret).
	Sensitive []string
	Counter   *PlaintextCounter
}

var _ Codec[map[string]any] = MapCodec{}

// NewMapCodec checks the mode and returns a codec with its own PlaintextCounter.
func NewMapCodec(e Encrypter, mode string, sensitive []string) (MapCodec, error) {
	c := MapCodec{Encrypter: e, Mode: mode, Sensitive: slices.Clone(sensitive), Counter: new(PlaintextCounter)}
	if err := c.check(); err != nil {
		return MapCodec{}, err
	}
	return c, nil
}

func (c MapCodec) check() error {
	switch c.Mode {
	case "", EncryptionNone, EncryptionFields, EncryptionValue:
		return nil
	}
	return fmt.Errorf("kv: unknown encryption mode %q (want none, fields or value)", c.Mode)
}

// sealing reports whether c encrypts in mode.
func (c MapCodec) sealing(mode string) bool {
	return c.Mode == mode && c.Encrypter != nil
}

// PlaintextReads returns how many values were read with plaintext where an
// envelope was expected.
func (c MapCodec) PlaintextReads() int64 { return c.Counter.Load() }

// Encode writes v as a JSON object with sorted members; a nil map is {}. A
// member that JSON cannot represent (NaN, a channel), or that a write may not
// store (see CheckJSON: a NUL character, invalid UTF-8, an unpaired
// surrogate, a number outside float64's range, deep nesting), anywhere in
// it, is a *ValidationError naming its path. In value mode the plaintext is
// Python's json.dumps(v, separators=(",", ":")): compact, non-ASCII escaped
// as \uXXXX.
func (c MapCodec) Encode(collection, key string, v map[string]any) ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(v))
	for name := range v {
		names = append(names, name)
	}
	sort.Strings(names)
	values := make([][]byte, len(names))
	var problems []FieldProblem
	for i, name := range names {
		data, err := wire.MarshalCompact(v[name])
		if err != nil {
			problems = append(problems, FieldProblem{Path: wire.MemberPath("", name), Message: wire.MsgNotJSONValue})
			continue
		}
		if path, msg := wire.CheckMember("", name, v[name]); msg != "" {
			problems = append(problems, FieldProblem{Path: path, Message: msg})
			continue
		}
		if c.sealing(EncryptionFields) && v[name] != nil {
			if data, err = c.sealMember(collection, key, name, data); err != nil {
				return nil, err
			}
		}
		values[i] = data
	}
	if problems != nil {
		return nil, &ValidationError{Problems: problems}
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, name := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		quoted, _ := wire.MarshalCompact(name) // a string always marshals
		b.Write(quoted)
		b.WriteByte(':')
		b.Write(values[i])
	}
	b.WriteByte('}')
	if c.sealing(EncryptionValue) {
		return Seal(c.Encrypter, asciiJSON(b.Bytes()))
	}
	return b.Bytes(), nil
}

// Decode reads a stored JSON object; see MapCodec for envelopes and plaintext.
func (c MapCodec) Decode(collection, key string, data []byte) (map[string]any, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	r := &mapReader{c: c, collection: collection, key: key}
	if IsEnvelope(data) {
		opened, err := Open(c.Encrypter, data)
		if err != nil {
			return nil, r.fail(ErrDecrypt, "", err)
		}
		data = opened
	} else if c.sealing(EncryptionValue) {
		r.plaintext = true
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(data, &members); err != nil || members == nil {
		return nil, r.fail(ErrCorrupt, "", errors.New("value is not a JSON object"))
	}
	names := slices.Sorted(maps.Keys(members)) // report the first failing member, not a random one
	out := make(map[string]any, len(members))
	for _, name := range names {
		v, err := r.member(name, members[name])
		if err != nil {
			return nil, err
		}
		out[name] = v
	}
	if r.plaintext {
		c.Counter.Add()
	}
	return out, nil
}

// mapReader is one Decode of a stored value: where it is, and whether it
// has met a member in plaintext that the codec would have sealed.
type mapReader struct {
	c               MapCodec
	collection, key string
	plaintext       bool
}

func (r *mapReader) fail(kind error, field string, err error) error {
	return &ValueError{Kind: kind, Collection: r.collection, Key: r.key, Field: field, Err: err}
}

// member decodes the member name, opening it when it is a sealed sensitive
// field, and then the sealed fields inside it.
func (r *mapReader) member(name string, raw []byte) (any, error) {
	sensitive := slices.Contains(r.c.Sensitive, name)
	if sensitive && IsEnvelope(raw) {
		value, bound, err := r.c.open(r.collection, r.key, name, raw)
		if err != nil {
			return nil, r.fail(ErrDecrypt, name, err)
		}
		raw, r.plaintext = value, r.plaintext || !bound
	} else if sensitive && r.c.sealing(EncryptionFields) && string(raw) != "null" {
		r.plaintext = true
	}
	v, err := decodeJSON(raw)
	if err != nil {
		return nil, r.fail(ErrCorrupt, name, err)
	}
	for _, path := range r.c.nested(name) {
		if v, err = sealedIn(v, path, name, r.nestedLeaf); err != nil {
			if _, ok := errors.AsType[*ValueError](err); ok {
				return nil, err
			}
			return nil, r.fail(ErrCorrupt, name, err)
		}
	}
	return v, nil
}

// nestedLeaf opens the sensitive field at place inside a member when it is
// sealed, and notes it as plaintext when the codec would have sealed it.
func (r *mapReader) nestedLeaf(leaf any, place string) (any, error) {
	m, ok := leaf.(map[string]any)
	if !ok || m[wire.DataKey] == nil {
		r.plaintext = r.plaintext || (leaf != nil && r.c.sealing(EncryptionFields))
		return leaf, nil
	}
	envelope, _ := wire.MarshalCompact(m) // it was JSON
	value, bound, err := r.c.open(r.collection, r.key, place, envelope)
	if err != nil {
		return nil, r.fail(ErrDecrypt, place, err)
	}
	r.plaintext = r.plaintext || !bound
	return decodeJSON(value)
}

// sealMember seals the member name, whose JSON is data, or the members
// inside it at the Sensitive paths that go through it.
func (c MapCodec) sealMember(collection, key, name string, data []byte) ([]byte, error) {
	if slices.Contains(c.Sensitive, name) {
		sealed, err := Seal(c.Encrypter, wire.Binding{Collection: collection, Key: key, Field: name}.Seal(asciiJSON(data)))
		if err != nil {
			return nil, fmt.Errorf("kv: member %q: %w", name, err)
		}
		return sealed, nil
	}
	paths := c.nested(name)
	if paths == nil {
		return data, nil
	}
	v, err := decodeJSON(data) // written by encoding/json: whatever Go value it was, now maps and slices
	if err != nil {
		return nil, err
	}
	for _, path := range paths {
		v, err = sealedIn(v, path, name, func(leaf any, place string) (any, error) {
			if leaf == nil {
				return nil, nil
			}
			plain, _ := wire.MarshalCompact(leaf) // it was JSON
			sealed, err := Seal(c.Encrypter, wire.Binding{Collection: collection, Key: key, Field: place}.Seal(asciiJSON(plain)))
			if err != nil {
				return nil, fmt.Errorf("kv: member %q: %w", place, err)
			}
			return json.RawMessage(sealed), nil
		})
		if err != nil {
			return nil, err
		}
	}
	return wire.MarshalCompact(v)
}

// open opens the envelope raw of the member at place, bound to it.
func (c MapCodec) open(collection, key, place string, raw []byte) (value []byte, bound bool, err error) {
	opened, err := Open(c.Encrypter, raw)
	if err != nil {
		return nil, false, err
	}
	return wire.Binding{Collection: collection, Key: key, Field: place}.Open(opened)
}

// nested returns the rest of the Sensitive paths that go through member
// name to a member inside it.
func (c MapCodec) nested(name string) []sealedPath {
	var out []sealedPath
	for _, p := range c.Sensitive {
		if path := parseSealedPath(p); len(path) > 1 && path[0].name == name {
			out = append(out, path[1:])
		}
	}
	return out
}

// decodeJSON reads one JSON document, numbers as json.Number. Its errors
// hold no input text: it may be a decrypted secret.
func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, errors.New("not valid JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("not valid JSON: data after the value")
	}
	return v, nil
}

// asciiJSON escapes every non-ASCII character (and DEL) of a JSON text as
// \uXXXX, UTF-16 surrogate pairs above U+FFFF, as Python's json.dumps does by
// default. Such characters can only occur inside strings, so escaping them
// changes no meaning.
func asciiJSON(data []byte) []byte {
	i := 0
	for i < len(data) && data[i] < 0x7f {
		i++
	}
	if i == len(data) {
		return data
	}
	out := make([]byte, 0, len(data)+len(data)/4)
	out = append(out, data[:i]...)
	const hexDigits = "0123456789abcdef"
	escape := func(r rune) {
		out = append(out, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
	}
	for _, r := range string(data[i:]) {
		switch {
		case r < 0x7f:
			out = append(out, byte(r))
		case r > 0xffff:
			r -= 0x10000
			escape(0xd800 + r>>10)
			escape(0xdc00 + r&0x3ff)
		default:
			escape(r)
		}
	}
	return out
}
