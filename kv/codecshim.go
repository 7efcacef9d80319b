package kv

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kvgen/kvgen/kv/internal/wire"
)

// What generated code called before kvimpl; removed once it is regenerated.

type (
	TypeError = wire.TypeError
	PathError = wire.PathError
)

func IsNull(raw []byte) bool                                    { return wire.IsNull(raw) }
func Object(data []byte, fn func(name, raw []byte) error) error { return wire.Object(data, fn) }
func DecodeString(raw []byte) (string, error)                   { return wire.DecodeString(raw) }
func DecodeStrings(raw []byte) ([]string, error)                { return wire.DecodeStrings(raw) }
func DecodeInt(raw []byte) (int64, error)                       { return wire.DecodeInt(raw) }
func DecodeFloat(raw []byte) (float64, error)                   { return wire.DecodeFloat(raw) }
func DecodeBool(raw []byte) (bool, error)                       { return wire.DecodeBool(raw) }
func DecodeTime(raw []byte) (time.Time, error)                  { return wire.DecodeTime(raw) }
func DecodeUnix(raw []byte) (time.Time, error)                  { return wire.DecodeUnix(raw) }
func DecodeRaw(raw []byte) json.RawMessage                      { return wire.DecodeRaw(raw) }
func FieldErr(name string, err error) error                     { return wire.FieldErr(name, err) }
func IndexErr(i int, err error) error                           { return wire.IndexErr(i, err) }
func AppendString(b []byte, s string) []byte                    { return wire.AppendString(b, s) }
func AppendInt(b []byte, n int64) []byte                        { return wire.AppendInt(b, n) }
func AppendBool(b []byte, v bool) []byte                        { return wire.AppendBool(b, v) }
func AppendFloat(b []byte, f float64) ([]byte, error)           { return wire.AppendFloat(b, f) }
func AppendTime(b []byte, t time.Time) []byte                   { return wire.AppendTime(b, t) }
func AppendUnix(b []byte, t time.Time) []byte                   { return wire.AppendUnix(b, t) }
func AppendRaw(b []byte, raw json.RawMessage) ([]byte, error)   { return wire.AppendRaw(b, raw) }
func CheckText(s string) string                                 { return wire.CheckText(s) }

func Elements(data []byte, fn func(i int, raw []byte) error) error {
	e := wire.NewElements(data)
	for {
		ok, err := e.Next()
		if !ok {
			return err
		}
		if err := fn(e.Index, data[e.Start:e.End]); err != nil {
			return err
		}
	}
}

func CheckJSON(p *Problems, path string, raw []byte) {
	if path, msg := wire.CheckJSON(path, raw); msg != "" {
		p.Add(path, msg)
	}
}

type Member struct {
	Name string
	Raw  json.RawMessage
}

func AppendMembers(b []byte, ms []Member) []byte {
	for _, m := range ms {
		b = append(b, ',')
		b = AppendString(b, m.Name)
		b = append(b, ':')
		b = append(b, m.Raw...)
	}
	return b
}

func DecodeError(collection, key string, err error) error {
	var ve *ValueError
	if errors.As(err, &ve) {
		return err
	}
	kind := ErrCorrupt
	if errors.Is(err, ErrDecrypt) {
		kind = ErrDecrypt
	}
	field := ""
	if p, ok := err.(*PathError); ok {
		field, err = p.Path, p.Err
	}
	return &ValueError{Kind: kind, Collection: collection, Key: key, Field: field, Err: err}
}

type SecretWriter func(b []byte, field, plain string) ([]byte, error)
type SecretReader func(field string, raw []byte) (string, error)

func PlainSecret(b []byte, _, plain string) ([]byte, error)  { return AppendString(b, plain), nil }
func RedactSecret(b []byte, _, _ string) ([]byte, error)     { return AppendString(b, Redacted), nil }
func PlainSecretReader(_ string, raw []byte) (string, error) { return DecodeString(raw) }

type Sealer struct {
	Encrypter  Encrypter
	Collection string
	Key        string
	Expect     bool
	Plaintext  *PlaintextCounter
	Strict     bool
}

func (s Sealer) Seal(b []byte, field, plain string) ([]byte, error) {
	bd := wire.Binding{Collection: s.Collection, Key: s.Key, Field: field}
	env, err := Seal(s.Encrypter, AppendString(bd.AppendHeader(nil), plain))
	if err != nil {
		return b, err
	}
	return append(b, env...), nil
}

func (s Sealer) Open(field string, raw []byte) (string, error) {
	token, ok := wire.FastToken(raw)
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
		if token, err = wire.Token(raw); err != nil {
			return "", fmt.Errorf("%w: %v", ErrDecrypt, err)
		}
	}
	plain, err := wire.Decrypt(s.Encrypter, token)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrDecrypt, err)
	}
	value, bound, err := wire.Binding{Collection: s.Collection, Key: s.Key, Field: field}.Open(plain)
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

func DecodeHashed(raw []byte) (Hashed, error) {
	s, err := DecodeString(raw)
	if err != nil {
		return Hashed{}, err
	}
	return ParseHashed(s)
}

func EncodeError(err error) error {
	if p, ok := err.(*PathError); ok && (p.Err == wire.ErrNotFinite || p.Err == wire.ErrRawJSON) {
		return &ValidationError{Problems: []FieldProblem{{Path: p.Path, Message: p.Err.Error()}}}
	}
	return err
}

var ErrSealedValue = errors.New("kv: the value is sealed as a whole")

func OpenValue(e Encrypter, collection, key string, data []byte) ([]byte, error) {
	var plain []byte
	var err error
	if token, ok := wire.FastToken(data); ok {
		plain, err = wire.Decrypt(e, token)
	} else if !IsEnvelope(data) {
		return nil, &ValueError{Kind: ErrCorrupt, Collection: collection, Key: key,
			Err: errors.New("a value with a top-level " + wire.DataKey + " member is not valid JSON")}
	} else {
		plain, err = Open(e, data)
	}
	if err != nil {
		return nil, &ValueError{Kind: ErrDecrypt, Collection: collection, Key: key, Err: err}
	}
	return plain, nil
}

func UnsealedValue(c *PlaintextCounter, strict bool, collection, key string) error {
	if strict {
		return &ValueError{Kind: ErrDecrypt, Collection: collection, Key: key,
			Err: errors.New("plaintext where the schema expects the value sealed (strict)")}
	}
	c.Add()
	return nil
}
