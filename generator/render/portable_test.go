package render

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// unportable lists the PostgreSQL constructs CockroachDB lacks or treats
// differently, which the emitted SQL must not use, so that one schema's
// queries run on both. Each pattern matches SQL with its comments removed.
var unportable = []struct {
	pattern *regexp.Regexp
	why     string
}{
	{regexp.MustCompile(`(?i)\bmake_interval\b`), "make_interval: write $n * interval '1 second'"},
	{regexp.MustCompile(`=>`), "named function arguments"},
	{regexp.MustCompile(`(?i)\bpg_(try_)?advisory`), "advisory locks"},
	{regexp.MustCompile(`(?i)\block\s+table\b`), "LOCK TABLE"},
	{regexp.MustCompile(`(?i)\b(ctid|xmin|xmax|oid)\b`), "system columns"},
	{regexp.MustCompile(`(?i)\b(listen|notify)\b`), "LISTEN/NOTIFY"},
	{regexp.MustCompile(`(?i)\bexclude\s+using\b`), "exclusion constraints"},
	{regexp.MustCompile(`(?i)\b(inherits|tablespace)\b`), "table inheritance and tablespaces"},
	{regexp.MustCompile(`(?i)\bplpgsql\b|\bdo\s+\$`), "procedural code"},
	{regexp.MustCompile(`(?i)\bcreate\s+(or\s+replace\s+)?(trigger|rule|function)\b`), "triggers, rules and functions"},
	{regexp.MustCompile(`(?i)\bjsonb_path_|@\?|@@`), "JSON path queries"},
}

// sqlNoise (queries.go) is what is not SQL code: comments, string literals
// and quoted names (a JSON field may well be named "oid").

// TestEmittedSQLIsPortable holds every .sql file kvgen emitted in this
// repository (its own output, the goldens, the benchmarks') to the dialect
// PostgreSQL and CockroachDB share. Those files are drift-checked against
// the templates, so a construct added to a template shows up here.
func TestEmittedSQLIsPortable(t *testing.T) {
	var files []string
	for _, glob := range []string{"queries/*.sql", "generator/testdata/golden/*/queries/*.sql",
		"bench/internal/queries/*.sql", "internal/goonly/queries/*.sql"} {
		m, err := filepath.Glob(filepath.Join("..", "..", glob))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 10 {
		t.Fatalf("found only %d emitted .sql files: %v", len(files), files)
	}
	for _, name := range files {
		text, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, problem := range unportableIn(string(text)) {
			t.Errorf("%s: %s", name, problem)
		}
	}
}

// TestUnportableFindsEachConstruct keeps the list honest: each pattern
// catches what it names, and comments are not SQL.
func TestUnportableFindsEachConstruct(t *testing.T) {
	for _, sql := range []string{
		"SELECT now() + make_interval(secs => $1)",
		"SELECT pg_advisory_xact_lock(1)",
		"SELECT ctid FROM t",
		"LOCK TABLE t IN EXCLUSIVE MODE",
		"DO $$ BEGIN END $$",
		"SELECT jsonb_path_query(v, '$.a') FROM t",
	} {
		if len(unportableIn(sql)) == 0 {
			t.Errorf("no pattern catches %q", sql)
		}
	}
	if got := unportableIn("-- no advisory lock, no make_interval\nSELECT $1 * interval '1 second'"); len(got) != 0 {
		t.Errorf("portable SQL flagged: %v", got)
	}
}

func unportableIn(sql string) []string {
	code := sqlNoise.ReplaceAllString(sql, "''")
	var out []string
	for _, u := range unportable {
		if loc := u.pattern.FindStringIndex(code); loc != nil {
			line := 1 + strings.Count(code[:loc[0]], "\n")
			out = append(out, fmt.Sprintf("line %d: %s: %s", line, u.why, code[loc[0]:loc[1]]))
		}
	}
	return out
}
