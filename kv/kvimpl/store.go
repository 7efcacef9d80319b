package kvimpl

import (
	"errors"
	"fmt"
	"slices"

	"github.com/kvgen/kvgen/internal/encmode"
	"github.com/kvgen/kvgen/kv"
)

// StoreConfig is what a generated store's NewWithBackend knows besides its
// record (whose Record says the schema's encryption and, in its fields,
// where the secrets are): the Options it was given.
type StoreConfig struct {
	Package    string // the generated package, which prefixes errors
	Collection string // the store's default collection

	// Options.Encrypter and Strict, with the store's count of plaintext
	// reads: the codec's Crypto. A schema of encryption: none has neither
	// option.
	Crypto
	// Options.AllowPlaintext.
	AllowPlaintext bool
}

// Check refuses options that the schema's encryption does not allow: no
// Encrypter without AllowPlaintext (secrets are never stored in plaintext
// by accident), Strict without an Encrypter, and, for a schema of
// encryption: fields, a default collection that Python reads
// (checkGoOnlyCollection).
func (rec *Record[R]) Check(c StoreConfig) error {
	if rec.Encryption == kv.EncryptionNone {
		return nil
	}
	if c.Encrypter == nil && !c.AllowPlaintext {
		return fmt.Errorf("%s: Options.Encrypter is nil: give a key ring, or set AllowPlaintext to store %s unencrypted", c.Package, encmode.Sealed(rec.Encryption))
	}
	if c.Encrypter == nil && c.Strict {
		return errors.New(c.Package + ": Options.Strict needs an Encrypter: it refuses plaintext")
	}
	if rec.Encryption == kv.EncryptionFields {
		if err := checkGoOnlyCollection(c.Collection); err != nil {
			return fmt.Errorf("%s: %w", c.Package, err)
		}
	}
	return nil
}

// sensitive returns where the record's secrets are, at any depth, in the
// order of its fields: the JSON names from the record joined by dots, []
// after the name of a list for each of its elements (client_secret,
// upstream.access_token, tokens[].secret), as kv.MapCodec's Sensitive and
// kv.ReencryptOptions' Fields take them. The generator's
// schema.SensitivePaths says the same of the schema.
func (rec *Record[R]) sensitive() []string {
	return slices.Clone(rec.Fields.secretAt)
}

// SealedFields returns the paths of the members that the schema's
// encryption seals each on its own, for kv.ReencryptOptions' Fields: the
// secrets in fields mode; none in value mode, where the whole value is one
// envelope, nor in mode none.
func (rec *Record[R]) SealedFields() []string {
	if rec.Encryption != kv.EncryptionFields {
		return nil
	}
	return rec.sensitive()
}

// Untyped returns the untyped view of a generated store: JSON objects over
// any collection of its table, as a Python py-key-value store sees them.
// With an Encrypter it seals whole values, as py-key-value's
// FernetEncryptionWrapper does, so that the other collections of the table
// (tokens, transactions) are encrypted too, whatever the schema's mode; it
// opens whole values and the record's secrets, the places where envelopes
// belong. It counts its plaintext reads in c.Plaintext, the typed view's
// counter, so that a store has one count whichever view read them.
func (rec *Record[R]) Untyped(b kv.Backend, c StoreConfig) (*kv.ValueStore[map[string]any], error) {
	mode := kv.EncryptionValue
	if rec.Encryption == kv.EncryptionNone {
		mode = kv.EncryptionNone
	}
	codec, err := kv.NewMapCodec(c.Encrypter, mode, rec.sensitive())
	if err != nil {
		return nil, err
	}
	codec.Counter = c.Plaintext
	return kv.NewValueStore[map[string]any](b, codec, c.Collection), nil
}

// Values are the values of items, in order, for a typed List or finder;
// err passes through.
func Values[V any](items []kv.Item[V], err error) ([]V, error) {
	out := make([]V, len(items))
	for i := range items {
		out[i] = items[i].Value
	}
	return out, err
}
