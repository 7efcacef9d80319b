package render

import (
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// SQLCEntry is one sql entry of sqlc.yaml, for one record. Paths are
// slash-separated and relative to the directory of sqlc.yaml, as sqlc reads them.
type SQLCEntry struct {
	Source  string // the record's schema file, as the header names it
	Schema  string // the DDL file of the record's table
	Queries string // the record's queries file
	Out     string // the directory of the generated db package
	Engine  string // sqlc's engine: "" or "postgresql" (pgx/v5), or "sqlite" (database/sql)
	Package string // the generated package's name: "" is db
}

// SQLCConfig renders sqlc.yaml (version 2): one entry per record, sorted by
// queries file, each generating package db with pgx/v5.
func SQLCConfig(entries []SQLCEntry) ([]byte, error) {
	if len(entries) == 0 {
		return nil, fmt.Errorf("render: sqlc.yaml needs at least one record")
	}
	sorted := slices.Clone(entries)
	slices.SortFunc(sorted, func(a, b SQLCEntry) int { return strings.Compare(a.Queries, b.Queries) })
	for i, e := range sorted {
		sorted[i].Engine = cmp.Or(e.Engine, "postgresql")
		sorted[i].Package = cmp.Or(e.Package, "db")
		for _, p := range []string{e.Schema, e.Queries, e.Out} {
			if p == "" {
				return nil, fmt.Errorf("render: sqlc.yaml entry %+v has an empty path", e)
			}
		}
	}
	sources := make([]string, len(sorted))
	for i, e := range sorted {
		sources[i] = e.Source
	}
	slices.Sort(sources)
	return execute("sqlc.yaml", "#", sources, sorted)
}

var yamlPlain = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_./-]*$`)

// yamlString writes s as a YAML scalar: plain when it can only read as that
// string, otherwise double-quoted (a JSON string is a valid YAML one).
func yamlString(s string) (string, error) {
	if yamlPlain.MatchString(s) && !yamlSpecial[strings.ToLower(s)] {
		return s, nil
	}
	b, err := json.Marshal(s)
	return string(b), err
}

// yamlSpecial are plain scalars that YAML reads as something else than a string.
var yamlSpecial = map[string]bool{"true": true, "false": true, "yes": true, "no": true, "on": true, "off": true, "null": true, "y": true, "n": true, ".inf": true, ".nan": true}
