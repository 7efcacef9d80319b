package sqlitekv

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// tableName is the safe identifier a schema's table must be.
var tableName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// CreateTable runs ddl, idempotent statements of CREATE … IF NOT EXISTS, in
// one transaction of the writing connection: processes starting at once
// take turns at the write lock, and the later ones find the table there.
func (db *DB) CreateTable(ctx context.Context, ddl string) error {
	return db.Atomic(ctx, func(tx DBTX) error {
		_, err := tx.ExecContext(ctx, ddl)
		return err
	})
}

// CheckTable reports, with an error that says what to do, when table is
// missing or lacks a column a store uses. pkg prefixes the messages.
func (db *DB) CheckTable(ctx context.Context, pkg, table string) error {
	if !tableName.MatchString(table) {
		return fmt.Errorf("%s: table %q is not a lower-case SQL identifier", pkg, table)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT collection, key, value, ttl, created_at, expires_at FROM "`+table+`" LIMIT 0`)
	if err != nil {
		if containsFold(err.Error(), "no such table") || containsFold(err.Error(), "no such column") {
			return fmt.Errorf("%s: table %s of %s is not as the store needs it (%v): run CreateSQLiteTable or apply SQLiteDDL", pkg, table, db.path, err)
		}
		return fmt.Errorf("%s: checking table %s of %s: %w", pkg, table, db.path, err)
	}
	return rows.Close()
}

// containsFold reports whether s holds sub, ignoring case: drivers word
// SQLite's messages alike but not always in the same case.
func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
