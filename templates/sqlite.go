package templates

import _ "embed"

// SQLiteTableSQL is the SQLite DDL of one table: data is render's table view.
//
//go:embed sqlite/table.sql.tmpl
var SQLiteTableSQL string

// SQLiteQueriesSQL is the sqlc-annotated SQLite queries of one record.
//
//go:embed sqlite/queries.sql.tmpl
var SQLiteQueriesSQL string
