package kv

import (
	"context"
	"errors"
)

// DefaultReencryptBatch is the batch size of Reencrypt when none is given.
const DefaultReencryptBatch = 500

// ReencryptOptions configures a Reencrypt run.
type ReencryptOptions struct {
	Collection string // "" is the store's default collection
	After      string // resume after this key: a Cursor of an earlier run
	BatchSize  int    // rows read per round trip; <= 0 is DefaultReencryptBatch
	// Fields are the paths of the members that the schema seals one by
	// one (encryption: fields): member names joined by dots, [] after the
	// name of a list for each of its elements (client_secret,
	// upstream.access_token, tokens[].secret); a generated store sets it.
	// They, and a value sealed as a whole, are the only places where
	// Reencrypt opens an envelope: an envelope-shaped object anywhere else
	// is data (a client's jwks may hold one) and is left as it is.
	Fields []string
	// Undeclared says that no schema declares the collection (the untyped
	// view's, py-key-value's): a value sealed as a whole is resealed,
	// plaintext is left, and a row with a sealed member, at any depth, is
	// ErrUndeclared.
	Undeclared bool
	Encrypter  Encrypter // required: its first key is the one written
	// Progress, when set, is called after each batch with the running totals.
	Progress func(ReencryptResult)
}

// ReencryptResult counts the work of a Reencrypt run.
type ReencryptResult struct {
	Collection string
	Scanned    int // rows read, expired ones included
	Rewritten  int // rows written under the first key
	// Conflicts counts rows changed by another writer between read and
	// write: they were left as that writer wrote them.
	Conflicts int
	// Cursor is the last key done; pass it as After to resume.
	Cursor string
}

// Reencrypt rewrites the encrypted values of a collection under the
// Encrypter's first key, in batches ascending by key, so that an old key can
// leave the ring (see Reseal for what it opens). Members of opts.Fields
// sealed before members were bound to their records are sealed again with
// their binding, so that Strict stores can read them. A row is replaced only
// if it is unchanged since it was read, so a concurrent writer is never
// overwritten. Plaintext is left alone.
//
// It stops at the first value that does not decrypt with a *ValueError
// (ErrDecrypt) naming collection, key and field, after writing the rows before
// it; on that error or a cancelled ctx the result's Cursor resumes the run.
func (s *ValueStore[V]) Reencrypt(ctx context.Context, opts ReencryptOptions) (ReencryptResult, error) {
	opts.Collection = s.resolve(opts.Collection)
	return Reencrypt(ctx, s.backend, opts)
}

// Rewriter is what Reencrypt needs of a backend; every Backend is one.
type Rewriter interface {
	// Scan lists entries after after, ascending by key, expired ones included.
	Scan(ctx context.Context, collection, after string, limit int) ([]Raw, error)
	// Swap replaces values[i] of keys[i] by news[i] where the stored value
	// still equals olds[i] (as JSON), and counts the replaced ones.
	Swap(ctx context.Context, collection string, keys []string, olds, news [][]byte) (int, error)
}

// Reencrypt is ValueStore.Reencrypt on a bare backend; opts.Collection must
// be given.
func Reencrypt(ctx context.Context, b Rewriter, opts ReencryptOptions) (ReencryptResult, error) {
	res := ReencryptResult{Collection: opts.Collection, Cursor: opts.After}
	if err := opts.check(); err != nil {
		return res, err
	}
	batch := opts.BatchSize
	if batch <= 0 {
		batch = DefaultReencryptBatch
	}
	for {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		rows, err := b.Scan(ctx, opts.Collection, res.Cursor, batch)
		if err != nil || len(rows) == 0 {
			return res, err
		}
		resealed, failure := opts.reseal(rows)
		res.Scanned += resealed.scanned
		if len(resealed.keys) > 0 {
			n, err := b.Swap(ctx, opts.Collection, resealed.keys, resealed.olds, resealed.news)
			if err != nil {
				return res, err
			}
			res.Rewritten += n
			res.Conflicts += len(resealed.keys) - n
		}
		if resealed.scanned > 0 {
			res.Cursor = rows[resealed.scanned-1].Key
		}
		if opts.Progress != nil {
			opts.Progress(res)
		}
		if failure != nil || len(rows) < batch {
			return res, failure
		}
	}
}

// check refuses options Reencrypt cannot run with.
func (opts *ReencryptOptions) check() error {
	if opts.Encrypter == nil {
		return errors.New("kv: reencrypt needs an Encrypter")
	}
	if err := checkCollection(opts.Collection); err != nil || opts.Collection == "" {
		return &KeyError{Collection: opts.Collection, Reason: "reencrypt needs a valid collection"}
	}
	if !storableText(opts.After) {
		return &KeyError{Collection: opts.Collection, Key: opts.After, Reason: "cursor is not UTF-8 without NUL bytes"}
	}
	return nil
}

// resealedBatch is what reseal made of one batch: how many rows it read
// before it stopped, and the rows that changed, old and new values, to swap.
type resealedBatch struct {
	scanned    int
	keys       []string
	olds, news [][]byte
}

// reseal reseals rows in order until one cannot be, which it returns as
// the failure: the rows before it still count and are swapped.
func (opts *ReencryptOptions) reseal(rows []Raw) (resealedBatch, error) {
	var out resealedBatch
	for _, r := range rows {
		if opts.Undeclared && !IsEnvelope(r.Value) && hasSealedMember(r.Value) {
			return out, &ValueError{Kind: ErrUndeclared, Collection: opts.Collection, Key: r.Key,
				Err: errors.New("give the schema of the record stored in this collection")}
		}
		sealed, changed, err := Reseal(opts.Encrypter, opts.Collection, r.Key, r.Value, opts.Fields)
		if err != nil {
			return out, resealError(opts.Collection, r.Key, err)
		}
		out.scanned++
		if changed {
			out.keys = append(out.keys, r.Key)
			out.olds = append(out.olds, r.Value)
			out.news = append(out.news, sealed)
		}
	}
	return out, nil
}

// resealError names the row (and member) whose value could not be resealed.
func resealError(collection, key string, err error) error {
	kind, field := ErrDecrypt, ""
	var m *memberError
	if errors.As(err, &m) {
		field, err = m.Field, m.Err
	} else if errors.Is(err, errNotObject) {
		kind = ErrCorrupt
	}
	return &ValueError{Kind: kind, Collection: collection, Key: key, Field: field, Err: err}
}
