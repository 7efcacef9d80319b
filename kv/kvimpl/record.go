package kvimpl

import (
	"errors"
	"sync"
	"sync/atomic"

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
	// keyAt is the index in Fields of KeyName plus one, found by the
	// first read (0 before): a lookup by name spared on every other one
	keyAt atomic.Int32
}

// Crypto is the encryption of one store: what its codec holds.
type Crypto struct {
	Encrypter kv.Encrypter // nil: store plaintext
	Plaintext *kv.PlaintextCounter
	Strict    bool // refuse what Plaintext would count
}

// sealer is the secretSealer of the value stored under key in collection.
func (c Crypto) sealer(collection, key string, expect bool) secretSealer {
	return secretSealer{Encrypter: c.Encrypter, Collection: collection, Key: key, Expect: expect, Plaintext: c.Plaintext, Strict: c.Strict}
}

// Validate reports every field of r that breaks the schema, or that
// PostgreSQL or Python could not read back, as a *kv.ValidationError.
func (rec *Record[R]) Validate(r R) error {
	w := rec.Fields.getWork()
	defer rec.Fields.putWork(w)
	w.r = r
	return rec.validate(w)
}

// validate is Validate of w.r, with w's problems.
func (rec *Record[R]) validate(w *work[R]) error {
	rec.Fields.check(&w.p, "", &w.r)
	rec.Fields.unknown(&w.r).checkReserved(&w.p)
	err := w.p.err()
	if err != nil {
		w.p = nil // the error holds them
	}
	return err
}

// Encode is kv.Codec's Encode.
func (rec *Record[R]) Encode(c Crypto, collection, key string, v R) ([]byte, error) {
	if rec.Encryption == kv.EncryptionFields {
		// whatever collection a caller names, KV() included
		if err := checkGoOnlyCollection(collection); err != nil {
			return nil, err
		}
	}
	w := rec.Fields.getWork()
	defer rec.Fields.putWork(w)
	w.r = v
	if k := rec.Key(&w.r); *k == "" {
		*k = key
	} else if *k != key {
		return nil, &kv.ValidationError{Problems: []kv.FieldProblem{{
			Path: rec.KeyName, Message: "differs from the key the record is stored under",
		}}}
	}
	if err := rec.validate(w); err != nil {
		return nil, err
	}
	w.e = encoder{secrets: plainSecrets}
	if rec.Encryption == kv.EncryptionFields && c.Encrypter != nil {
		w.e = encoder{secrets: sealSecrets, sealer: c.sealer(collection, key, true)}
	}
	// objects and lists append into the same buffer
	data, err := rec.Fields.writeBuffered(&w.e, &w.r)
	if err != nil {
		return nil, encodeError(err)
	}
	if rec.Encryption == kv.EncryptionValue && c.Encrypter != nil {
		return wire.Seal(c.Encrypter, data)
	}
	return data, nil
}

// Decode is kv.Codec's Decode, into the zero record whose read method read
// is. Reads accept every form the table can hold where the schema puts
// envelopes, whatever the mode: a whole value sealed (py-key-value's
// wrapper), sealed secrets, or plaintext. Plaintext where the mode expects
// an envelope is counted once per value in value mode, per secret in
// fields mode (or refused when strict). A record without its key takes the
// row's, as Encode gives it; one with another key is not the record of
// that key (a row copied or moved under another key).
func (rec *Record[R]) Decode(c Crypto, collection, key string, data []byte, read func(*Decoder, int) error) error {
	err := rec.decode(c, collection, key, data, read)
	if errors.Is(err, errKeyMismatch) {
		return keyMismatch(collection, key, rec.KeyName)
	}
	return decodeError(collection, key, err)
}

// decode reads data, opening a value sealed as a whole. The decoder itself
// tells such a value (errSealedValue), so that a read of anything else
// costs no search for one; the usual envelope is told by its first bytes
// and its shape, and not read as a record first. Only a value sealed as a
// whole takes the pooled buffers of an opening.
func (rec *Record[R]) decode(c Crypto, collection, key string, data []byte, read func(*Decoder, int) error) error {
	keyAt := rec.keyIndex()
	if rec.Encryption == kv.EncryptionNone {
		d := newDecoder(data)
		d.defaults = true
		return rec.Fields.decodeRecord(d, "", wholeSpan(data), false, read, keyAt, key)
	}
	var o *opening
	defer func() {
		if o != nil {
			o.done()
		}
	}()
	if wire.StartsSealed(data) {
		o = openings.Get().(*opening)
		if token, usual := wire.AppendToken(o.token[:0], data); usual {
			o.token = token[:0] // grown, for the next one
			return rec.decodeSealed(c, o, collection, key, data, token, true, read, keyAt)
		}
	}
	d := newStoredDecoder(data, c.sealer(collection, key, rec.Encryption == kv.EncryptionFields))
	err := rec.Fields.decodeRecord(d, "", wholeSpan(data), true, read, keyAt, key)
	switch {
	case errors.Is(err, errSealedValue):
		if o == nil {
			o = openings.Get().(*opening)
		}
		return rec.decodeSealed(c, o, collection, key, data, nil, false, read, keyAt)
	case err == nil && c.Encrypter != nil && rec.Encryption == kv.EncryptionValue:
		return unsealedValue(c, collection, key)
	}
	return err
}

// keyIndex returns the index of the key field, kept after the first lookup.
func (rec *Record[R]) keyIndex() int {
	keyAt := int(rec.keyAt.Load()) - 1
	if keyAt < 0 {
		keyAt = rec.Fields.index[rec.KeyName]
		rec.keyAt.Store(int32(keyAt + 1))
	}
	return keyAt
}

// decodeSealed reads data, a value sealed as a whole, into the record,
// decrypted into o's buffer: from token when the envelope is laid out as
// usual (wire.AppendToken found it), else from the envelope that the
// decoder met, into a record that read has then partly read, zeroed once
// the envelope opens.
func (rec *Record[R]) decodeSealed(c Crypto, o *opening, collection, key string, data, token []byte, usual bool, read func(*Decoder, int) error, keyAt int) error {
	plain, toBuf, err := openValue(c.Encrypter, collection, key, o.plain[:0], data, token, usual)
	if err != nil {
		return err
	}
	if toBuf {
		o.plain = plain[:0] // grown, for the next one
	}
	if !usual {
		rec.Fields.zero(read) // what was read before the envelope's member
	}
	// sealed as a whole: its secrets are plain by design
	d := newStoredDecoder(plain, c.sealer(collection, key, false))
	return rec.Fields.decodeRecord(d, "", wholeSpan(plain), true, read, keyAt, key)
}

// opening holds the buffers of one envelope opened: its Fernet token and
// its plaintext, both done with once the plaintext is read (what a record
// keeps is copied out of it). One pooled pair serves a read for both.
type opening struct{ token, plain []byte }

var openings = sync.Pool{New: func() any { return new(opening) }}

// done clears the plaintext buffer and keeps the pair for the next
// envelope: a pooled buffer outlives collections, and the plaintext holds
// the record's secrets. Its whole capacity is cleared, where a failed
// decryption may have left bytes. This keeps a pool from holding secrets for
// long; it is no defence against reading the process's memory, where the
// record's own fields, the JSON being sealed and the other encrypters'
// plaintexts sit uncleared until they are collected.
func (o *opening) done() {
	clear(o.plain[:cap(o.plain)])
	o.token, o.plain = o.token[:0], o.plain[:0]
	openings.Put(o)
}
