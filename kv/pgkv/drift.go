package pgkv

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// ErrIndexDrift is what errors.Is finds in CheckTable's error when the
// table's indexes are not the ones its schemas' indexed fields want: the
// store works, its finders may scan the table, and its writes may keep up
// an index nothing uses. A *DriftError says which and what to run.
var ErrIndexDrift = errors.New("pgkv: the table's indexes differ from its indexed fields")

// DriftKind is how an index differs from what the schemas want.
type DriftKind int

const (
	// IndexMissing: an indexed field has no index; its finder scans.
	IndexMissing DriftKind = iota + 1
	// IndexInvalid: the index is INVALID, left by a CREATE INDEX
	// CONCURRENTLY that failed or was cancelled (or one still running).
	// Queries do not use it; writes still keep it up.
	IndexInvalid
	// IndexMismatched: the index of a field covers another JSON member
	// (the field's json name changed) or is not the index kvgen builds.
	IndexMismatched
	// IndexStale: an index named and shaped as kvgen builds them for a
	// field that no indexed field of the table is any more.
	IndexStale
)

// Drift is one index that differs from what the schemas want.
type Drift struct {
	Table  string
	Index  string
	Kind   DriftKind
	Member string // the JSON member the schemas want indexed; for IndexStale, the one it covers
	Covers string // IndexMismatched: the member it covers, "" when it is not kvgen's shape
}

// String says what differs and what to run.
func (d Drift) String() string {
	const rebuild = "run `kvgen migrate`, or CreateIndexes, which rebuild it without blocking writes"
	switch d.Kind {
	case IndexMissing:
		return fmt.Sprintf("index %s of value->>%q is missing, so its finder reads the whole table: "+
			"run `kvgen migrate`, or CreateIndexes, which build it without blocking writes", d.Index, d.Member)
	case IndexInvalid:
		return fmt.Sprintf("index %s of value->>%q is INVALID (a CREATE INDEX CONCURRENTLY that failed, was "+
			"cancelled, or still runs), so no query uses it: %s", d.Index, d.Member, rebuild)
	case IndexMismatched:
		covers := "is not the index kvgen builds"
		if d.Covers != "" {
			covers = fmt.Sprintf("covers value->>%q", d.Covers)
		}
		return fmt.Sprintf("index %s %s, not value->>%q: %s", d.Index, covers, d.Member, rebuild)
	case IndexStale:
		return fmt.Sprintf("index %s covers value->>%q, which no indexed field of table %s uses any more, "+
			"and slows every write: drop it with `kvgen migrate -drop-stale`, or DROP INDEX CONCURRENTLY %s",
			d.Index, d.Member, d.Table, d.Index)
	}
	return fmt.Sprintf("index %s: drift of unknown kind %d", d.Index, int(d.Kind))
}

// DriftError is CheckTable's report of index drift.
type DriftError struct {
	Table string
	Drift []Drift
}

func (e *DriftError) Error() string {
	lines := make([]string, len(e.Drift))
	for i, d := range e.Drift {
		lines[i] = d.String()
	}
	return fmt.Sprintf("table %s: its indexes differ from its indexed fields: %s", e.Table, strings.Join(lines, "; "))
}

func (e *DriftError) Is(target error) bool { return target == ErrIndexDrift }

// IndexDrift compares the indexes of table with want, the indexes of every
// indexed field of the records stored in it, and returns what differs,
// sorted by index name: nil when nothing does.
func IndexDrift(ctx context.Context, conn DBTX, table string, want []Index) ([]Drift, error) {
	have, err := tableIndexes(ctx, conn, table)
	if err != nil {
		return nil, err
	}
	var out []Drift
	wanted := map[string]bool{}
	for _, w := range want {
		wanted[w.Name] = true
		if d, ok := compare(table, w, have); ok {
			out = append(out, d)
		}
	}
	for _, h := range have {
		if !wanted[h.name] && h.shaped && isKvgenIndexName(table, h.name) {
			out = append(out, Drift{Table: table, Index: h.name, Kind: IndexStale, Member: h.member})
		}
	}
	slices.SortFunc(out, func(a, b Drift) int { return strings.Compare(a.Index, b.Index) })
	return out, nil
}

// compare reports how the index of w differs from the one table has.
func compare(table string, w Index, have map[string]indexInfo) (Drift, bool) {
	d := Drift{Table: table, Index: w.Name, Member: w.Member}
	h, ok := have[w.Name]
	switch {
	case !ok:
		d.Kind = IndexMissing
	case !h.valid:
		d.Kind = IndexInvalid
	case !h.shaped || h.member != w.Member:
		d.Kind, d.Covers = IndexMismatched, h.member
	default:
		return Drift{}, false
	}
	return d, true
}

// isKvgenIndexName reports whether name is one IndexName gives a field of
// table.
func isKvgenIndexName(table, name string) bool {
	field, ok := strings.CutPrefix(name, table+"_")
	if !ok {
		return false
	}
	field, ok = strings.CutSuffix(field, "_idx")
	return ok && field != ""
}

// indexInfo is one index of a table as the catalog describes it.
type indexInfo struct {
	name   string
	valid  bool   // false: a concurrent build failed, was cancelled, or runs
	shaped bool   // (collection, value->>member), no predicate, not unique: as kvgen builds them
	member string // when shaped
}

// tableIndexesSQL lists the indexes of a table, found as the queries find
// it (search_path), with what kvgen's shape needs.
const tableIndexesSQL = `SELECT c.relname::text, i.indisvalid,
  i.indnatts = 2 AND i.indpred IS NULL AND NOT i.indisunique
    AND pg_get_indexdef(i.indexrelid, 1, true) = 'collection',
  pg_get_indexdef(i.indexrelid, 2, true)
FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid
WHERE i.indrelid = to_regclass($1)`

// memberExpr is how PostgreSQL prints value->>'member' back.
var memberExpr = regexp.MustCompile(`^\(value ->> '((?:[^']|'')*)'::text\)$`)

func tableIndexes(ctx context.Context, conn DBTX, table string) (map[string]indexInfo, error) {
	rows, err := conn.Query(ctx, tableIndexesSQL, pgx.QueryExecModeExec, table)
	if err != nil {
		return nil, fmt.Errorf("pgkv: listing the indexes of table %s: %w", table, err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (indexInfo, error) {
		var info indexInfo
		var expr string
		err := row.Scan(&info.name, &info.valid, &info.shaped, &expr)
		m := memberExpr.FindStringSubmatch(expr)
		info.shaped = info.shaped && m != nil
		if info.shaped {
			info.member = strings.ReplaceAll(m[1], "''", "'")
		}
		return info, err
	})
	if err != nil {
		return nil, fmt.Errorf("pgkv: listing the indexes of table %s: %w", table, err)
	}
	out := make(map[string]indexInfo, len(list))
	for _, info := range list {
		out[info.name] = info
	}
	return out, nil
}
