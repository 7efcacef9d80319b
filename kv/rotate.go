package kv

import (
	"bytes"
	"context"
	"errors"

	"github.com/kvgen/kvgen/kv/internal/wire"
)

// TableRewriter is a Rewriter over every collection of one table.
type TableRewriter interface {
	Rewriter
	// AllCollections lists the table's collections in ascending order,
	// those holding only expired rows included: Reencrypt rewrites those too.
	AllCollections(ctx context.Context) ([]string, error)
}

// ReencryptTableOptions configures ReencryptTable.
type ReencryptTableOptions struct {
	Encrypter Encrypter // required: its first key is the one written
	// Declared maps each collection that a schema declares to the paths of
	// the members that schema seals one by one (encryption: fields; none for
	// value and none mode), as ReencryptOptions.Fields has them. Every other collection of the table is rotated as
	// py-key-value and the untyped view write it (ReencryptOptions.Undeclared).
	Declared map[string][]string
	// AfterCollection and AfterKey resume a run: the Collection and Cursor
	// of the last result it reported.
	AfterCollection, AfterKey string
	BatchSize                 int
	// Progress, when set, is called after each batch with the running
	// totals of the collection being rewritten.
	Progress func(ReencryptResult)
}

// ReencryptTable rewrites every encrypted value of a table under the
// Encrypter's first key, collection by collection in ascending order and
// each in batches (see Reencrypt), so that an old key can leave the ring
// once it returns nil. Where envelopes sit comes from opts.Declared, never
// from the shape of the data. It returns the totals of each collection done;
// on an error, the last result's Collection and Cursor resume the run.
func ReencryptTable(ctx context.Context, t TableRewriter, opts ReencryptTableOptions) ([]ReencryptResult, error) {
	if opts.Encrypter == nil {
		return nil, errors.New("kv: reencrypt needs an Encrypter")
	}
	collections, err := t.AllCollections(ctx)
	if err != nil {
		return nil, err
	}
	var done []ReencryptResult
	for _, c := range collections {
		if c < opts.AfterCollection {
			continue
		}
		after := ""
		if c == opts.AfterCollection {
			after = opts.AfterKey
		}
		fields, declared := opts.Declared[c]
		res, err := Reencrypt(ctx, t, ReencryptOptions{
			Collection: c, After: after, BatchSize: opts.BatchSize, Fields: fields,
			Undeclared: !declared, Encrypter: opts.Encrypter, Progress: opts.Progress,
		})
		done = append(done, res)
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// hasSealedMember reports whether a member of the object raw, at any depth,
// is an envelope: the mark of a fields-mode record. Below the top level it
// may also be data that looks like one (a client's jwks): no schema says
// which, so such a row is not rotated blindly either way.
func hasSealedMember(raw []byte) bool {
	if !bytes.Contains(raw, []byte(`"`+wire.DataKey+`"`)) {
		return false
	}
	found := false
	var inside func(data []byte)
	visit := func(value []byte) {
		if found = IsEnvelope(value); !found {
			inside(value)
		}
	}
	// inside visits the members or elements of data
	inside = func(data []byte) {
		for m := wire.NewMembers(data); !found; {
			if ok, _ := m.Next(); !ok {
				break
			}
			visit(data[m.Start:m.End])
		}
		for e := wire.NewElements(data); !found; {
			if ok, _ := e.Next(); !ok {
				break
			}
			visit(data[e.Start:e.End])
		}
	}
	inside(raw)
	return found
}
