package pgkv

import (
	"slices"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// readAll reads rows to the end into memory, where they outlive the
// connection: a pool may hand it to another caller meanwhile.
func readAll(rows pgx.Rows, err error) (pgx.Rows, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	// the connection reuses its descriptions for its next statement
	out := &readRows{fields: slices.Clone(rows.FieldDescriptions())}
	for rows.Next() {
		raw := rows.RawValues()
		size := 0
		for _, v := range raw {
			size += len(v)
		}
		// one allocation per row; a NULL stays nil
		arena := make([]byte, 0, size)
		row := make([][]byte, len(raw))
		for i, v := range raw {
			if v != nil {
				arena = append(arena, v...)
				row[i] = arena[len(arena)-len(v):]
			}
		}
		out.rows = append(out.rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out.tag = rows.CommandTag()
	return out, nil
}

// typeMaps decode read rows: the generated queries return only built-in
// types, which every pgtype.Map knows. A Map is not safe for concurrent use.
var typeMaps = sync.Pool{New: func() any { return pgtype.NewMap() }}

// readRows is a result held in memory, read as pgx.Rows.
type readRows struct {
	fields []pgconn.FieldDescription
	rows   [][][]byte
	next   int // index of the row Next moves to
	tag    pgconn.CommandTag
}

func (r *readRows) Close()                                       { r.next = len(r.rows) + 1 }
func (r *readRows) Err() error                                   { return nil }
func (r *readRows) CommandTag() pgconn.CommandTag                { return r.tag }
func (r *readRows) FieldDescriptions() []pgconn.FieldDescription { return r.fields }
func (r *readRows) Conn() *pgx.Conn                              { return nil }
func (r *readRows) TypeMap() *pgtype.Map                         { return pgtype.NewMap() }

func (r *readRows) Next() bool {
	if r.next >= len(r.rows) {
		r.Close()
		return false
	}
	r.next++
	return true
}

func (r *readRows) RawValues() [][]byte { return r.rows[r.next-1] }

func (r *readRows) Scan(dest ...any) error {
	m := typeMaps.Get().(*pgtype.Map)
	defer typeMaps.Put(m)
	return pgx.ScanRow(m, r.fields, r.RawValues(), dest...)
}

func (r *readRows) Values() ([]any, error) {
	m := typeMaps.Get().(*pgtype.Map)
	defer typeMaps.Put(m)
	out := make([]any, len(r.fields))
	for i, fd := range r.fields {
		raw := r.RawValues()[i]
		if raw == nil {
			continue
		}
		t, ok := m.TypeForOID(fd.DataTypeOID)
		if !ok {
			out[i] = string(raw)
			continue
		}
		v, err := t.Codec.DecodeValue(m, fd.DataTypeOID, fd.Format, raw)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}
