package render

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dave/jennifer/jen"
	_ "modernc.org/sqlite"

	"github.com/kvgen/kvgen/generator/schema"
)

// sqliteRunner runs rendered SQLite queries by name with named parameters,
// which SQLite binds itself (sqlc.narg(x) read as @x).
type sqliteRunner struct {
	t       *testing.T
	db      *sql.DB
	queries map[string]string
}

var sqlcNarg = regexp.MustCompile(`sqlc\.narg\((\w+)\)`)

func newSQLiteRunner(t *testing.T, s *schema.Schema) *sqliteRunner {
	t.Helper()
	ddl, err := SQLiteTable(s.Table, models(s))
	if err != nil {
		t.Fatal(err)
	}
	text, err := SQLiteQueries(model(s))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "q.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	for range 2 { // CREATE ... IF NOT EXISTS: applying it again changes nothing
		if _, err := db.Exec(string(ddl)); err != nil {
			t.Fatalf("applying the DDL: %v\n%s", err, ddl)
		}
	}
	r := &sqliteRunner{t: t, db: db, queries: map[string]string{}}
	for _, part := range strings.Split(string(text), "-- name: ")[1:] {
		m := nameLine.FindStringSubmatch(part)
		if m == nil {
			t.Fatalf("malformed query: %q", part)
		}
		r.queries[m[1]] = sqlcNarg.ReplaceAllString(part[len(m[0]):], "@$1")
	}
	return r
}

func (r *sqliteRunner) query(name string) string {
	r.t.Helper()
	q, ok := r.queries[name]
	if !ok {
		r.t.Fatalf("no query %s", name)
	}
	return q
}

func named(params map[string]any) []any {
	var args []any
	for name, v := range params {
		args = append(args, sql.Named(name, v))
	}
	return args
}

func (r *sqliteRunner) exec(name string, params map[string]any) {
	r.t.Helper()
	if _, err := r.db.Exec(r.query(name), named(params)...); err != nil {
		r.t.Fatalf("%s: %v", name, err)
	}
}

// keys runs a query whose first column is the key and returns the keys.
func (r *sqliteRunner) keys(name string, params map[string]any) []string {
	r.t.Helper()
	rows, err := r.db.Query(r.query(name), named(params)...)
	if err != nil {
		r.t.Fatalf("%s: %v", name, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		dest := make([]any, len(cols))
		var key string
		dest[0] = &key
		for i := 1; i < len(dest); i++ {
			dest[i] = new(any)
		}
		if err := rows.Scan(dest...); err != nil {
			r.t.Fatal(err)
		}
		out = append(out, key)
	}
	if err := rows.Err(); err != nil {
		r.t.Fatal(err)
	}
	return out
}

// plan is SQLite's query plan of a query, one step a line.
func (r *sqliteRunner) plan(name string, params map[string]any) string {
	r.t.Helper()
	rows, err := r.db.Query("EXPLAIN QUERY PLAN "+r.query(name), named(params)...)
	if err != nil {
		r.t.Fatalf("%s: %v", name, err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			r.t.Fatal(err)
		}
		b.WriteString(detail + "\n")
	}
	return b.String()
}

// TestFindersOnSQLite: for a field of every scalar kind, the SQLite finder
// matches the records whose member holds the value the typed finder
// searches for, written as the codec writes it, and the search text is
// what indexText renders, the same as on PostgreSQL. SQLite's ->> gives an
// INTEGER, a REAL or 1/0 where PostgreSQL's gives text, which sqliteMatch
// converts the text to; the query uses the field's expression index.
func TestFindersOnSQLite(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)
	for _, c := range []struct {
		kind     schema.Kind
		rendered string   // indexText of v, as the typed finder has it
		json     []string // the member as the codec writes it, one per record
		search   []string // what the finder searches for: the text of json[i]
	}{
		{schema.String, "v", []string{`"a"`, `"b \"q\" ü"`, `"1"`}, []string{"a", `b "q" ü`, "1"}},
		{schema.Enum, "v", []string{`"info"`, `"warn"`}, []string{"info", "warn"}},
		{schema.URL, "v", []string{`"https://a.example/x?y=1"`}, []string{"https://a.example/x?y=1"}},
		{schema.Int, "strconv.FormatInt(v, 10)", []string{"0", "-7", "9007199254740993", "42"}, []string{"0", "-7", "9007199254740993", "42"}},
		{schema.Unixtime, "strconv.FormatInt(v.Unix(), 10)", []string{"1764000000", "0"}, []string{"1764000000", "0"}},
		{schema.Bool, "strconv.FormatBool(v)", []string{"true", "false"}, []string{"true", "false"}},
		{schema.Float, "strconv.FormatFloat(v+0, 'f', -1, 64)", floatJSON(t), floatTexts()},
		{schema.Timestamp, "v.Format(time.RFC3339Nano)", []string{strconv.Quote(at.Format(time.RFC3339Nano))}, []string{at.Format(time.RFC3339Nano)}},
	} {
		t.Run(string(c.kind), func(t *testing.T) {
			if got := fmt.Sprintf("%#v", indexText(c.kind, jen.Id("v"))); got != c.rendered {
				t.Fatalf("indexText renders %s; this test checks %s", got, c.rendered)
			}
			s := testRecord("recs", "kv_recs", &schema.Field{Name: "f", GoName: "F", JSONName: "f", Type: &schema.Type{Kind: c.kind}})
			db := newSQLiteRunner(t, s)
			for i, member := range c.json {
				db.exec("Put", map[string]any{"collection": "c", "key": fmt.Sprintf("k%d", i), "value": `{"f":` + member + `}`, "ttl": nil})
			}
			db.exec("Put", map[string]any{"collection": "c", "key": "other", "value": `{"f":null}`, "ttl": nil})
			for i, text := range c.search {
				var want []string // equal values match each other: 0 and -0
				for j := range c.search {
					if sameSearch(c.kind, c.search[j], text) {
						want = append(want, fmt.Sprintf("k%d", j))
					}
				}
				if got := db.keys("FindByF", map[string]any{"collection": "c", "value": text}); !slices.Equal(got, want) {
					t.Errorf("FindByF(%q) for %s = %v, want %v", text, c.json[i], got, want)
				}
			}
			if plan := db.plan("FindByF", map[string]any{"collection": "c", "value": c.search[0]}); !strings.Contains(plan, "USING INDEX kv_recs_f_idx") {
				t.Errorf("FindByF does not use the field's index:\n%s", plan)
			}
		})
	}
}

// sameSearch reports whether two search texts stand for the same value.
func sameSearch(k schema.Kind, a, b string) bool {
	if k == schema.Float {
		x, _ := strconv.ParseFloat(a, 64)
		y, _ := strconv.ParseFloat(b, 64)
		return x == y
	}
	return a == b
}

var floatValues = []float64{0, math.Copysign(0, -1), 1, -2.5, 0.1, 1e-7, 123456789.125, 1e21, -1.2345678901234567e300, math.MaxFloat64}

func floatJSON(t *testing.T) []string {
	var out []string
	for _, v := range floatValues {
		b, err := json.Marshal(v) // as kvgen writes floats: encoding/json's form
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

func floatTexts() []string {
	var out []string
	for _, v := range floatValues {
		out = append(out, strconv.FormatFloat(v+0, 'f', -1, 64))
	}
	return out
}
