package kvimpl

import (
	"errors"
	"fmt"

	"github.com/kvgen/kvgen/internal/encmode"
	"github.com/kvgen/kvgen/kv"
)

// StoreConfig is what a generated store's NewWithBackend knows: the
// schema's encryption and the Options it was given.
type StoreConfig struct {
	Package    string   // the generated package, which prefixes errors
	Encryption string   // the schema's mode: kv.EncryptionNone, kv.EncryptionFields or kv.EncryptionValue
	Sensitive  []string // the JSON names of the schema's sensitive fields
	Collection string   // the store's default collection

	// Options.Encrypter, AllowPlaintext and Strict: a schema of
	// encryption: none has no such options.
	Encrypter      kv.Encrypter
	AllowPlaintext bool
	Strict         bool
}

// Check refuses options that the schema's encryption does not allow: no
// Encrypter without AllowPlaintext (secrets are never stored in plaintext
// by accident), Strict without an Encrypter, and, for a schema of
// encryption: fields, a default collection that Python reads
// (checkGoOnlyCollection).
func (c StoreConfig) Check() error {
	if c.Encryption == kv.EncryptionNone {
		return nil
	}
	if c.Encrypter == nil && !c.AllowPlaintext {
		return fmt.Errorf("%s: Options.Encrypter is nil: give a key ring, or set AllowPlaintext to store %s unencrypted", c.Package, encmode.Sealed(c.Encryption))
	}
	if c.Encrypter == nil && c.Strict {
		return errors.New(c.Package + ": Options.Strict needs an Encrypter: it refuses plaintext")
	}
	if c.Encryption == kv.EncryptionFields {
		if err := checkGoOnlyCollection(c.Collection); err != nil {
			return fmt.Errorf("%s: %w", c.Package, err)
		}
	}
	return nil
}

// Untyped returns the untyped view of a generated store: JSON objects over
// any collection of its table, as a Python py-key-value store sees them.
// With an Encrypter it seals whole values, as py-key-value's
// FernetEncryptionWrapper does, so that the other collections of the table
// (tokens, transactions) are encrypted too, whatever the schema's mode; it
// opens whole values and the schema's sensitive fields, the places where
// envelopes belong. It counts its plaintext reads in plaintext, the typed
// view's counter, so that a store has one count whichever view read them.
func Untyped(b kv.Backend, c StoreConfig, plaintext *kv.PlaintextCounter) (*kv.ValueStore[map[string]any], error) {
	mode := kv.EncryptionValue
	if c.Encryption == kv.EncryptionNone {
		mode = kv.EncryptionNone
	}
	codec, err := kv.NewMapCodec(c.Encrypter, mode, c.Sensitive)
	if err != nil {
		return nil, err
	}
	codec.Counter = plaintext
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
