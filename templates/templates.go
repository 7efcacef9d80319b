// Package templates holds the text templates of the SQL files and the sqlc
// configuration that kvgen generates, and the example schema that
// `kvgen init` scaffolds. They are embedded so the kvgen binary is
// self-contained.
package templates

import _ "embed"

// TableSQL is the DDL of one table: data is render's table view. Without
// indexes it is what the generated CreateTable runs; with them, the DDL
// file, which adds the indexes of the indexed fields.
//
//go:embed table.sql.tmpl
var TableSQL string

// QueriesSQL is the sqlc-annotated queries of one record.
//
//go:embed queries.sql.tmpl
var QueriesSQL string

// SQLCConfig is sqlc.yaml: one sql entry per record.
//
//go:embed sqlc.yaml.tmpl
var SQLCConfig string

// ExampleSchema is a copy of the repository's schema/oauth_clients.yaml:
// the record of RFC 7591 client registrations that `kvgen init` starts from.
//
//go:embed oauth_clients.yaml
var ExampleSchema []byte
