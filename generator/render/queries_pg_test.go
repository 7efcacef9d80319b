package render

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dave/jennifer/jen"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kvgen/kvgen/generator/schema"
	"github.com/kvgen/kvgen/internal/pgtest"
)

// TestMain stops the throwaway PostgreSQL cluster of the PostgreSQL tests.
func TestMain(m *testing.M) { pgtest.Main(m) }

// pgRecord has two indexed fields, one with a wire name that needs quoting.
func pgRecord() *schema.Schema {
	return testRecord("clients", "kv_clients", field("software_id", "SoftwareID", "software_id"), field("owner", "Owner", "owner's"))
}

// applyDDL applies a DDL file as psql -f does: its CREATE INDEX
// CONCURRENTLY statements one at a time, outside the transaction of the
// statements before them.
func applyDDL(t *testing.T, pool *pgxpool.Pool, ddl []byte) {
	t.Helper()
	create, indexes, _ := strings.Cut(string(ddl), "\nCREATE INDEX CONCURRENTLY")
	statements := []string{create}
	for stmt := range strings.SplitSeq(indexes, "\nCREATE INDEX CONCURRENTLY") {
		if stmt != "" {
			statements = append(statements, "CREATE INDEX CONCURRENTLY"+stmt)
		}
	}
	for _, stmt := range statements {
		if _, err := pool.Exec(context.Background(), stmt); err != nil {
			t.Fatalf("applying the DDL: %v\n%s", err, stmt)
		}
	}
}

func TestTableDDLOnPostgres(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	ddl, err := Table("kv_clients", models(pgRecord()))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // CREATE ... IF NOT EXISTS: applying it again changes nothing
		applyDDL(t, pool, ddl)
	}
	rows, err := pool.Query(ctx, `SELECT column_name, data_type, is_nullable FROM information_schema.columns
		WHERE table_name = 'kv_clients' ORDER BY ordinal_position`)
	if err != nil {
		t.Fatal(err)
	}
	cols, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		var name, typ, nullable string
		err := r.Scan(&name, &typ, &nullable)
		return name + " " + typ + " " + nullable, err
	})
	if err != nil {
		t.Fatal(err)
	}
	// py-key-value's PostgreSQLStore layout (docs/python-interop.md).
	want := []string{"collection text NO", "key text NO", "value jsonb NO", "ttl double precision YES",
		"created_at timestamp with time zone YES", "expires_at timestamp with time zone YES"}
	if !slices.Equal(cols, want) {
		t.Errorf("columns:\n got %q\nwant %q", cols, want)
	}
	rows, err = pool.Query(ctx, `SELECT indexname FROM pg_indexes WHERE tablename = 'kv_clients' ORDER BY indexname`)
	if err != nil {
		t.Fatal(err)
	}
	indexes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"idx_kv_clients_expires_at", "kv_clients_owner_idx", "kv_clients_pkey", "kv_clients_software_id_idx"}; !slices.Equal(indexes, want) {
		t.Errorf("indexes:\n got %q\nwant %q", indexes, want)
	}
}

// TestQueriesOnPostgres prepares every rendered query, as sqlc would send
// it, and runs them through a scenario, once as prepared statements and once
// with the simple protocol (PgBouncer's transaction pooling).
func TestQueriesOnPostgres(t *testing.T) {
	s := pgRecord()
	ddl, err := Table(s.Table, models(s))
	if err != nil {
		t.Fatal(err)
	}
	text, err := Queries(model(s))
	if err != nil {
		t.Fatal(err)
	}
	queries := splitQueries(t, string(text))
	for _, mode := range []string{"prepared", "simple"} {
		t.Run(mode, func(t *testing.T) {
			ctx := context.Background()
			pool := pgtest.New(t)
			applyDDL(t, pool, ddl)
			conn, err := pool.Acquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Release()
			db := &queryRunner{t: t, conn: conn.Conn(), queries: queries, simple: mode == "simple"}
			if !db.simple {
				for name, q := range queries {
					if _, err := conn.Conn().Prepare(ctx, name, q.sql); err != nil {
						t.Fatalf("preparing %s: %v\n%s", name, err, q.sql)
					}
				}
			}
			runScenario(t, db)
			if len(db.ran) != len(queries) {
				var missed []string
				for name := range queries {
					if !db.ran[name] {
						missed = append(missed, name)
					}
				}
				t.Errorf("queries never executed: %v", missed)
			}
		})
	}
}

func runScenario(t *testing.T, db *queryRunner) {
	one := map[string]any{"collection": "c"}
	with := func(extra map[string]any) map[string]any {
		m := map[string]any{"collection": "c"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	ttl := 3600.0
	expired := -1.0 // the Go store refuses it; SQL takes it, which gives an already expired row

	db.exec("Put", with(map[string]any{"key": "k1", "value": `{"software_id": "s1", "owner's": "ann"}`, "ttl": nil}))
	db.exec("Put", with(map[string]any{"key": "k1", "value": `{"software_id": "s1", "owner's": "bob"}`, "ttl": &ttl}))
	db.exec("PutMany", with(map[string]any{"keys": []string{"k2", "k3"}, "vals": []string{`{"software_id": "s2"}`, `{"software_id": "s1"}`}, "ttl": nil}))
	db.exec("Put", with(map[string]any{"key": "old", "value": `{"software_id": "s1"}`, "ttl": &expired}))

	if got := db.rows("Get", with(map[string]any{"key": "k1"})); len(got) != 1 || !strings.Contains(fmt.Sprint(got[0][0]), "bob") || got[0][1] == nil {
		t.Errorf("Get k1 = %v; want the second value, with an expiry", got)
	}
	if got := db.rows("Get", with(map[string]any{"key": "old"})); len(got) != 0 {
		t.Errorf("Get of an expired key = %v", got)
	}
	if got := db.rows("GetMany", with(map[string]any{"keys": []string{"k1", "k3", "old", "nope"}})); len(got) != 2 {
		t.Errorf("GetMany = %v; want k1 and k3", got)
	}
	if got := keysOf(db.rows("Keys", with(map[string]any{"after": "", "lim": int32(10)}))); !slices.Equal(got, []string{"k1", "k2", "k3"}) {
		t.Errorf("Keys = %v", got)
	}
	if got := keysOf(db.rows("List", with(map[string]any{"after": "k1", "lim": int32(1)}))); !slices.Equal(got, []string{"k2"}) {
		t.Errorf("List after k1, limit 1 = %v", got)
	}
	if got := keysOf(db.rows("Scan", with(map[string]any{"after": "", "lim": int32(10)}))); !slices.Equal(got, []string{"k1", "k2", "k3", "old"}) {
		t.Errorf("Scan = %v; want the expired row too", got)
	}
	if got := keysOf(db.rows("FindBySoftwareID", with(map[string]any{"value": "s1"}))); !slices.Equal(got, []string{"k1", "k3"}) {
		t.Errorf("FindBySoftwareID s1 = %v", got)
	}
	if got := keysOf(db.rows("FindByOwner", with(map[string]any{"value": "bob"}))); !slices.Equal(got, []string{"k1"}) {
		t.Errorf("FindByOwner bob = %v", got)
	}
	if got := db.rows("Collections", nil); len(got) != 1 || got[0][0] != "c" {
		t.Errorf("Collections = %v", got)
	}
	old := `{"software_id": "s2"}`
	swap := with(map[string]any{"keys": []string{"k2"}, "olds": []string{old}, "news": []string{`{"software_id": "s9"}`}})
	if n := db.exec("Swap", swap); n != 1 {
		t.Errorf("Swap = %d, want 1", n)
	}
	if n := db.exec("Swap", swap); n != 0 {
		t.Errorf("Swap of a value changed since = %d, want 0", n)
	}
	conditionalScenario(t, db, with)
	if got := db.rows("Delete", with(map[string]any{"key": "old"})); got[0][0] != int64(0) {
		t.Errorf("Delete of an expired key counts %v", got[0][0])
	}
	if got := db.rows("Delete", with(map[string]any{"key": "k1"})); got[0][0] != int64(1) {
		t.Errorf("Delete k1 counts %v", got[0][0])
	}
	if got := db.rows("DeleteMany", with(map[string]any{"keys": []string{"k1", "k2"}})); got[0][0] != int64(1) {
		t.Errorf("DeleteMany counts %v, want 1 (k1 is gone)", got[0][0])
	}
	db.exec("Put", with(map[string]any{"key": "old", "value": `{}`, "ttl": &expired}))
	if n := db.exec("Cull", nil); n != 1 {
		t.Errorf("Cull = %d, want 1", n)
	}
	if got := db.rows("DeleteCollection", one); got[0][0] != int64(1) {
		t.Errorf("DeleteCollection counts %v, want 1 (k3)", got[0][0])
	}
}

// conditionalScenario runs the conditional writes on k4 and gone, which it
// leaves deleted, and on old, which is expired.
func conditionalScenario(t *testing.T, db *queryRunner, with func(map[string]any) map[string]any) {
	expired := -1.0
	count := func(name string, want int64, params map[string]any) {
		t.Helper()
		if n := db.exec(name, with(params)); n != want {
			t.Errorf("%s %v = %d, want %d", name, params, n, want)
		}
	}
	// value as the jsonb's text prints it: key order and spacing normalised
	s4, s5, s6 := `{"software_id": "s4"}`, `{"software_id": "s5"}`, `{"software_id": "s6"}`
	count("Insert", 1, map[string]any{"key": "k4", "value": s4, "ttl": nil})
	count("Insert", 0, map[string]any{"key": "k4", "value": s5, "ttl": nil})
	db.exec("Put", with(map[string]any{"key": "gone", "value": s4, "ttl": &expired}))
	count("Insert", 1, map[string]any{"key": "gone", "value": s4, "ttl": nil}) // over an expired row

	swap := func(old string, oldExpires any) map[string]any {
		return map[string]any{"key": "k4", "value": s5, "ttl": nil, "old_value": old, "old_expires_at": oldExpires}
	}
	count("CompareAndSwap", 0, swap(`{"software_id":"s4"}`, nil))   // equal as jsonb, not as text
	count("CompareAndSwap", 0, swap(s4, time.Now().Add(time.Hour))) // another expiry
	count("CompareAndSwap", 1, swap(s4, nil))
	count("CompareAndSwap", 0, swap(s4, nil))

	count("Replace", 1, map[string]any{"key": "k4", "value": s6, "ttl": nil})
	count("Replace", 0, map[string]any{"key": "nope", "value": s6, "ttl": nil})
	count("Replace", 0, map[string]any{"key": "old", "value": s6, "ttl": nil}) // expired

	count("CompareAndDelete", 0, map[string]any{"key": "k4", "old_value": s5, "old_expires_at": nil})
	count("CompareAndDelete", 1, map[string]any{"key": "k4", "old_value": s6, "old_expires_at": nil})
	count("CompareAndDelete", 0, map[string]any{"key": "k4", "old_value": s6, "old_expires_at": nil})

	if got := db.rows("GetAndDelete", with(map[string]any{"key": "gone"})); len(got) != 1 || !strings.Contains(fmt.Sprint(got[0][0]), "s4") {
		t.Errorf("GetAndDelete gone = %v; want its value", got)
	}
	if got := db.rows("GetAndDelete", with(map[string]any{"key": "gone"})); len(got) != 0 {
		t.Errorf("second GetAndDelete = %v; want no row", got)
	}
}

func keysOf(rows [][]any) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = fmt.Sprint(r[0])
	}
	return out
}

// query is one rendered query with sqlc's rewriting of named parameters to
// positional ones applied.
type query struct {
	cmd    string   // :one, :many, :exec, :execrows
	sql    string   // with $1, $2, ...
	params []string // name of $i+1
}

var (
	nameLine   = regexp.MustCompile(`^(\w+) (:\w+)\n`)
	namedParam = regexp.MustCompile(`sqlc\.narg\((\w+)\)|@(\w+)`)
)

// splitQueries splits a queries file at its -- name: markers.
func splitQueries(t *testing.T, text string) map[string]query {
	t.Helper()
	out := map[string]query{}
	for _, part := range strings.Split(text, "-- name: ")[1:] {
		m := nameLine.FindStringSubmatch(part)
		if m == nil {
			t.Fatalf("malformed query: %q", part)
		}
		q := query{cmd: m[2]}
		numbers := map[string]int{}
		q.sql = namedParam.ReplaceAllStringFunc(part[len(m[0]):], func(s string) string {
			sub := namedParam.FindStringSubmatch(s)
			name := sub[1] + sub[2]
			if _, ok := numbers[name]; !ok {
				q.params = append(q.params, name)
				numbers[name] = len(q.params)
			}
			return fmt.Sprintf("$%d", numbers[name])
		})
		out[m[1]] = q
	}
	return out
}

// queryRunner runs the queries by name with parameters by name.
type queryRunner struct {
	t       *testing.T
	conn    *pgx.Conn
	queries map[string]query
	simple  bool
	ran     map[string]bool
}

func (r *queryRunner) args(name string, params map[string]any) (string, []any) {
	r.t.Helper()
	q, ok := r.queries[name]
	if !ok {
		r.t.Fatalf("no query %s", name)
	}
	if r.ran == nil {
		r.ran = map[string]bool{}
	}
	r.ran[name] = true
	var args []any
	sql := name // the prepared statement's name
	if r.simple {
		sql = q.sql
		args = append(args, pgx.QueryExecModeSimpleProtocol)
	}
	for _, p := range q.params {
		v, ok := params[p]
		if !ok {
			r.t.Fatalf("%s: no value for parameter %s", name, p)
		}
		args = append(args, v)
	}
	if len(q.params) != len(params) {
		r.t.Fatalf("%s takes %v, the test gives %v", name, q.params, params)
	}
	return sql, args
}

func (r *queryRunner) exec(name string, params map[string]any) int64 {
	r.t.Helper()
	sql, args := r.args(name, params)
	tag, err := r.conn.Exec(context.Background(), sql, args...)
	if err != nil {
		r.t.Fatalf("%s: %v", name, err)
	}
	return tag.RowsAffected()
}

func (r *queryRunner) rows(name string, params map[string]any) [][]any {
	r.t.Helper()
	sql, args := r.args(name, params)
	rows, err := r.conn.Query(context.Background(), sql, args...)
	if err != nil {
		r.t.Fatalf("%s: %v", name, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) ([]any, error) { return row.Values() })
	if err != nil {
		r.t.Fatalf("%s: %v", name, err)
	}
	return out
}

// TestFloatFinderOnPostgres: the finder of a float field searches for the
// text PostgreSQL's ->> gives for the number that a record's JSON holds,
// written as encoding/json writes it, as generated records do (with
// an exponent below 1e-6 and from 1e21, which numeric expands, and -0, which
// numeric writes as 0), and that is the text indexText renders.
func TestFloatFinderOnPostgres(t *testing.T) {
	const rendered = "strconv.FormatFloat(v+0, 'f', -1, 64)"
	if got := fmt.Sprintf("%#v", indexText(schema.Float, jen.Id("v"))); got != rendered {
		t.Fatalf("indexText renders %s; this test checks %s", got, rendered)
	}
	text := func(v float64) string { return strconv.FormatFloat(v+0, 'f', -1, 64) }

	s := testRecord("floats", "kv_floats", &schema.Field{Name: "score", GoName: "Score", JSONName: "score", Type: &schema.Type{Kind: schema.Float}})
	ddl, err := Table(s.Table, models(s))
	if err != nil {
		t.Fatal(err)
	}
	q, err := Queries(model(s))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pool := pgtest.New(t)
	applyDDL(t, pool, ddl)
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	db := &queryRunner{t: t, conn: conn.Conn(), queries: splitQueries(t, string(q)), simple: true}
	values := []float64{0, math.Copysign(0, -1), 1, -2.5, 0.1, 1e-6, 9.99e-7, 1e-7, -1.5e-7, 5e-324,
		123456789.125, 1e20, 1e21, -1.2345678901234567e300, math.MaxFloat64}
	for i, v := range values {
		number, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		db.exec("Put", map[string]any{"collection": "c", "key": fmt.Sprintf("k%02d", i), "value": `{"score": ` + string(number) + "}", "ttl": nil})
	}
	for _, v := range values {
		got := keysOf(db.rows("FindByScore", map[string]any{"collection": "c", "value": text(v)}))
		var want []string // the records whose score == v: 0 and -0 are equal
		for i, w := range values {
			if w == v {
				want = append(want, fmt.Sprintf("k%02d", i))
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("FindByScore(%v) searching for %q found %v, want %v", v, text(v), got, want)
		}
	}
}
