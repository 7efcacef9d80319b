package kvimpl

import (
	"errors"
	"fmt"
	"slices"

	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/internal/wire"
)

// decodeError turns an error of the decoder into a *kv.ValueError naming
// the collection, key and field.
func decodeError(collection, key string, err error) error {
	if err == nil {
		return nil
	}
	var ve *kv.ValueError
	if errors.As(err, &ve) {
		return err
	}
	kind := kv.ErrCorrupt
	if errors.Is(err, kv.ErrDecrypt) {
		kind = kv.ErrDecrypt
	}
	field := ""
	if p, ok := err.(*wire.PathError); ok {
		field, err = p.Path, p.Err
	}
	return &kv.ValueError{Kind: kind, Collection: collection, Key: key, Field: field, Err: err}
}

// encodeError turns an error of the encoder into a *kv.ValidationError
// when it names a field whose value JSON cannot hold (NaN, invalid raw JSON).
func encodeError(err error) error {
	if p, ok := err.(*wire.PathError); ok && (p.Err == wire.ErrNotFinite || p.Err == wire.ErrRawJSON) {
		return &kv.ValidationError{Problems: []kv.FieldProblem{{Path: p.Path, Message: p.Err.Error()}}}
	}
	return err
}

// errKeyMismatch is why a stored record whose key field names another key
// than its row's is not read: a row copied or moved under another key must
// not be served as the record of that key.
var errKeyMismatch = errors.New("the record's key field differs from the key of its row")

// keyMismatch is the error of reading, under key, a record whose key field
// (field) holds another key: a *kv.ValueError, errors.Is(err,
// kv.ErrCorrupt), naming collection, key and field but not the key the
// record holds.
func keyMismatch(collection, key, field string) error {
	return &kv.ValueError{Kind: kv.ErrCorrupt, Collection: collection, Key: key, Field: field, Err: errKeyMismatch}
}

// openValue returns the plaintext of data, a value that has the member
// "__encrypted_data__" at its top level, whose token wire.FastToken may
// have read already (ok); toDst says that it was appended to dst. A value that is not a valid envelope is a
// *kv.ValueError: kv.ErrDecrypt for a bad token, version or key,
// kv.ErrCorrupt when data is not valid JSON.
func openValue(e kv.Encrypter, collection, key string, dst, data, token []byte, ok bool) (plain []byte, toDst bool, err error) {
	if !ok {
		token, ok = wire.FastToken(data)
	}
	switch {
	case ok:
		plain, toDst, err = wire.DecryptTo(e, dst, token)
	case !wire.IsEnvelope(data):
		return nil, false, &kv.ValueError{Kind: kv.ErrCorrupt, Collection: collection, Key: key,
			Err: errors.New("a value with a top-level " + wire.DataKey + " member is not valid JSON")}
	default:
		plain, err = wire.Open(e, data)
	}
	if err != nil {
		return nil, false, &kv.ValueError{Kind: kv.ErrDecrypt, Collection: collection, Key: key, Err: err}
	}
	return plain, toDst, nil
}

// unsealedValue handles a value read in plaintext where the schema seals
// values as a whole (encryption: value): data written before encryption was
// turned on. It is counted, or with Strict refused as kv.ErrDecrypt naming
// collection and key.
func unsealedValue(c Crypto, collection, key string) error {
	if c.Strict {
		return &kv.ValueError{Kind: kv.ErrDecrypt, Collection: collection, Key: key,
			Err: errors.New("plaintext where the schema expects the value sealed (strict)")}
	}
	c.Plaintext.Add()
	return nil
}

// checkGoOnlyCollection refuses, as kv.ErrInvalid, a write of a store of
// encryption: fields into one of kv.FastMCPCollections: Python could not
// read the row it would write.
func checkGoOnlyCollection(collection string) error {
	if slices.Contains(kv.FastMCPCollections, collection) {
		return fmt.Errorf("%w: collection %q is FastMCP's, which Python reads: a store of encryption: fields "+
			"seals fields one by one, which Python cannot open", kv.ErrInvalid, collection)
	}
	return nil
}
