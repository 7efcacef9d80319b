package pgkv

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Index is the expression index kvgen builds for an indexed field of a
// record: over (collection, value->>Member), the columns its finder
// searches, named IndexName of the table and field.
type Index struct {
	Name   string // IndexName(table, field)
	Member string // the top-level JSON member, value->>Member
}

// IndexName is the name of the index of the indexed field called field in
// the schema. It is derived from the schema's name of the field, which a
// schema can change without changing the wire name (with the json option).
func IndexName(table, field string) string {
	return table + "_" + field + "_idx"
}

// ExpiresIndexName is the name of the index on expires_at. It is the name
// py-key-value's PostgreSQLStore gives it, hash fallback for long table
// names included, so a Python and a Go server sharing a table build one
// index, not two.
func ExpiresIndexName(table string) string {
	name := "idx_" + table + "_expires_at"
	if len(name) > MaxIdentifier {
		sum := sha256.Sum256([]byte(table))
		name = "idx_" + hex.EncodeToString(sum[:])[:16] + "_exp"
	}
	return name
}

// CreateIndexSQL is the statement that builds idx on table without
// blocking writes: CREATE INDEX CONCURRENTLY, which must run on its own,
// outside a transaction. IF NOT EXISTS makes it harmless to run again; it
// also skips an INVALID index of that name, which CreateIndexes rebuilds.
func CreateIndexSQL(table string, idx Index) (string, error) {
	if !tableName.MatchString(table) {
		return "", fmt.Errorf("pgkv: table %q is not a lower-case SQL identifier", table)
	}
	if !tableName.MatchString(idx.Name) {
		return "", fmt.Errorf("pgkv: index name %q is not a lower-case SQL identifier of at most %d bytes", idx.Name, MaxIdentifier)
	}
	member, err := sqlString(idx.Member)
	if err != nil {
		return "", fmt.Errorf("pgkv: index %s: JSON member %w", idx.Name, err)
	}
	return fmt.Sprintf("CREATE INDEX CONCURRENTLY IF NOT EXISTS %s ON %s (collection, (value->>%s))", idx.Name, table, member), nil
}

// sqlString quotes s as a standard SQL string literal. It refuses what a
// literal cannot carry safely whatever the server settings: NUL, control
// characters, invalid UTF-8 and backslashes (an escape when
// standard_conforming_strings is off).
func sqlString(s string) (string, error) {
	if s == "" || !utf8.ValidString(s) {
		return "", fmt.Errorf("%q is empty or not UTF-8", s)
	}
	for _, r := range s {
		if r == '\\' || unicode.IsControl(r) {
			return "", fmt.Errorf("%q cannot be written as a SQL string literal", s)
		}
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'", nil
}
