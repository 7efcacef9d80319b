package kvimpl

import (
	"errors"
	"sync"

	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/internal/wire"
)

// Record describes a generated record type R: its fields, its key field
// (the record's copy of its row's key) and the schema's encryption
// (kv.EncryptionNone, kv.EncryptionFields or kv.EncryptionValue).
type Record[R any] struct {
	Fields     *Fields[R]
	Key        func(*R) *string
	KeyName    string
	Encryption string
}

// Crypto is the encryption of one store: what its codec holds.
type Crypto struct {
	Encrypter kv.Encrypter // nil: store plaintext
	Plaintext *kv.PlaintextCounter
	Strict    bool // refuse what Plaintext would count
}

// sealer is the Sealer of the value stored under key in collection.
func (c Crypto) sealer(collection, key string, expect bool) Sealer {
	return Sealer{Encrypter: c.Encrypter, Collection: collection, Key: key, Expect: expect, Plaintext: c.Plaintext, Strict: c.Strict}
}

// Validate reports every field of r that breaks the schema, or that
// PostgreSQL or Python could not read back, as a *kv.ValidationError.
func (rec *Record[R]) Validate(r *R) error {
	var p problems
	rec.Fields.check(&p, "", r)
	rec.Fields.unknown(r).checkReserved(&p)
	return p.err()
}

// Encode is kv.Codec's Encode for the record v, which it may change (its
// key): give it a copy.
func (rec *Record[R]) Encode(c Crypto, collection, key string, v *R) ([]byte, error) {
	if rec.Encryption == kv.EncryptionFields {
		// whatever collection a caller names, KV() included
		if err := CheckGoOnlyCollection(collection); err != nil {
			return nil, err
		}
	}
	if k := rec.Key(v); *k == "" {
		*k = key
	} else if *k != key {
		return nil, &kv.ValidationError{Problems: []kv.FieldProblem{{
			Path: rec.KeyName, Message: "differs from the key the record is stored under",
		}}}
	}
	if err := rec.Validate(v); err != nil {
		return nil, err
	}
	e := &encoder{secrets: plainSecrets}
	if rec.Encryption == kv.EncryptionFields && c.Encrypter != nil {
		e.secrets, e.sealer = sealSecrets, c.sealer(collection, key, true)
	}
	// One allocation for a usual record, instead of doubling from nothing:
	// objects and lists append into the same buffer.
	data, err := rec.Fields.append(e, "", make([]byte, 0, rec.Fields.room), v)
	if err != nil {
		return nil, encodeError(err)
	}
	if rec.Encryption == kv.EncryptionValue && c.Encrypter != nil {
		return wire.Seal(c.Encrypter, data)
	}
	return data, nil
}

// Decode is kv.Codec's Decode. Reads accept every form the table can hold
// where the schema puts envelopes, whatever the mode: a whole value sealed
// (py-key-value's wrapper), sealed secrets, or plaintext. Plaintext where
// the mode expects an envelope is counted once per value in value mode, per
// secret in fields mode (or refused when strict).
func (rec *Record[R]) Decode(c Crypto, collection, key string, data []byte) (R, error) {
	var v R
	if err := rec.decode(c, collection, key, data, &v); err != nil {
		var zero R
		return zero, err
	}
	// A row copied under another key is not the record of that key. A record
	// without its key takes the row's, as Encode gives it.
	switch k := rec.Key(&v); *k {
	case key:
	case "":
		*k = key
	default:
		var zero R
		return zero, keyMismatch(collection, key, rec.KeyName)
	}
	rec.Fields.applyDefaults(&v)
	return v, nil
}

// decode reads data into v, opening a value sealed as a whole. The decoder
// itself tells such a value (errSealedValue), so that a read of anything
// else costs no search for one; the usual envelope is told by its first
// bytes and its shape, and not read as a record first.
func (rec *Record[R]) decode(c Crypto, collection, key string, data []byte, v *R) error {
	if rec.Encryption == kv.EncryptionNone {
		return decodeError(collection, key, rec.Fields.read(newDecoder(data), "", wholeSpan(data), v, false))
	}
	buf := tokens.Get().(*[]byte)
	defer tokens.Put(buf)
	var token []byte
	sealed := false
	if wire.StartsSealed(data) {
		token, sealed = wire.AppendToken((*buf)[:0], data)
		if sealed {
			*buf = token[:0] // grown, for the next one
		}
	}
	var err error
	if !sealed {
		d := newStoredDecoder(data, c.sealer(collection, key, rec.Encryption == kv.EncryptionFields))
		err = rec.Fields.read(d, "", wholeSpan(data), v, true)
	}
	switch {
	case sealed || errors.Is(err, errSealedValue):
		plain, openErr := openValue(c.Encrypter, collection, key, data, token, sealed)
		if openErr != nil {
			return openErr
		}
		var zero R
		*v = zero
		// sealed as a whole: its secrets are plain by design
		d := newStoredDecoder(plain, c.sealer(collection, key, false))
		err = rec.Fields.read(d, "", wholeSpan(plain), v, true)
	case err == nil && c.Encrypter != nil && rec.Encryption == kv.EncryptionValue:
		err = unsealedValue(c, collection, key)
	}
	return decodeError(collection, key, err)
}

// tokens are buffers for the Fernet tokens of envelopes, which are done with
// once decrypted.
var tokens = sync.Pool{New: func() any { return new([]byte) }}
