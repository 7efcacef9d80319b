package bench

import (
	"bytes"
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kvgen/kvgen/bench/internal/nonestore"
	"github.com/kvgen/kvgen/bench/internal/valuestore"
	"github.com/kvgen/kvgen/generator"
	"github.com/kvgen/kvgen/generator/schema"
	"github.com/kvgen/kvgen/internal/goonly/fieldsclients"
	"github.com/kvgen/kvgen/kv"
)

// The benchmarks compare like with like only if the generated store and the
// baseline do the same work. These tests hold them to it: each reads what
// the other wrote, and both give the same records, with the same SQL.

// canonStore is a store of any implementation seen through canonical records.
type canonStore struct {
	putMany    func(ctx context.Context, keys []string) error // fixture i under keys[i]
	get        func(ctx context.Context, key string) (map[string]any, bool, error)
	getMany    func(ctx context.Context, keys []string) ([]map[string]any, error) // nil: not found
	deleteMany func(ctx context.Context, keys []string) (int, error)
}

func canon[R any](t *testing.T, s typedStore[R]) canonStore {
	return canonStore{
		putMany: func(ctx context.Context, keys []string) error {
			rs := make([]R, len(keys))
			for i, k := range keys {
				rs[i] = fixture[R](t, fullRecordJSON(k, i))
			}
			return s.PutMany(ctx, rs)
		},
		get: func(ctx context.Context, key string) (map[string]any, bool, error) {
			r, ok, err := s.Get(ctx, key)
			if !ok || err != nil {
				return nil, ok, err
			}
			return canonical(t, r, secretOf(r)), true, nil
		},
		getMany: func(ctx context.Context, keys []string) ([]map[string]any, error) {
			entries, err := s.GetMany(ctx, keys)
			out := make([]map[string]any, len(entries))
			for i, e := range entries {
				if e.Found {
					out[i] = canonical(t, e.Value, secretOf(e.Value))
				}
			}
			return out, err
		},
		deleteMany: s.DeleteMany,
	}
}

// canonStores opens the generated store and the baseline of mode over collection.
func canonStores(t *testing.T, e *env, mode, collection string) map[string]canonStore {
	ring := e.ring
	if mode == "none" {
		ring = nil
	}
	out := map[string]canonStore{
		"baseline": canon(t, typedStore[Client](&baseline{pool: e.pool, ring: ring, mode: mode, collection: collection})),
	}
	switch s := openGenerated(t, e, mode, collection).(type) {
	case *fieldsclients.Store:
		out["generated"] = canon(t, typedStore[fieldsclients.Client](s))
	case *valuestore.Store:
		out["generated"] = canon(t, typedStore[valuestore.Client](s))
	case *nonestore.Store:
		out["generated"] = canon(t, typedStore[nonestore.Client](s))
	}
	return out
}

func TestGeneratedAndBaselineAgree(t *testing.T) {
	ctx := context.Background()
	e := &env{pool: newPool(t, 2), ring: newRing(t)}
	keys := []string{"agree-0", "agree-1", "agree-2", "agree-3"}
	for _, mode := range modes {
		for _, writer := range []string{"generated", "baseline"} {
			t.Run(mode+"/written-by-"+writer, func(t *testing.T) {
				stores := canonStores(t, e, mode, "agree-"+mode+"-"+writer)
				if err := stores[writer].putMany(ctx, keys); err != nil {
					t.Fatal(err)
				}
				for _, reader := range []string{"generated", "baseline"} {
					s := stores[reader]
					got, err := s.getMany(ctx, []string{keys[3], "missing", keys[0], keys[3]})
					if err != nil {
						t.Fatalf("%s GetMany: %v", reader, err)
					}
					want := []map[string]any{full(t, keys[3], 3), nil, full(t, keys[0], 0), full(t, keys[3], 3)}
					if len(got) != len(want) {
						t.Fatalf("%s GetMany of 4 keys returned %d entries", reader, len(got))
					}
					for i := range want {
						if d := differences(got[i], want[i]); d != "" {
							t.Errorf("%s GetMany of what %s wrote, entry %d: %s", reader, writer, i, d)
						}
					}
					one, ok, err := s.get(ctx, keys[1])
					if err != nil || !ok {
						t.Fatalf("%s Get of what %s wrote: found %v, %v", reader, writer, ok, err)
					}
					if d := differences(one, full(t, keys[1], 1)); d != "" {
						t.Errorf("%s Get of what %s wrote: %s", reader, writer, d)
					}
				}
				n, err := stores["generated"].deleteMany(ctx, []string{keys[0], "missing"})
				if err != nil || n != 1 {
					t.Errorf("generated DeleteMany = %d, %v; want 1", n, err)
				}
				n, err = stores["baseline"].deleteMany(ctx, []string{keys[0], keys[1], keys[1]})
				if err != nil || n != 1 {
					t.Errorf("baseline DeleteMany after the generated one = %d, %v; want 1", n, err)
				}
			})
		}
	}
}

// differences names the members where got and want differ, "" if none.
func differences(got, want map[string]any) string {
	if (got == nil) != (want == nil) {
		return fmt.Sprintf("found %v, want found %v", got != nil, want != nil)
	}
	members := maps.Clone(want)
	maps.Copy(members, got)
	var d []string
	for _, k := range slices.Sorted(maps.Keys(members)) {
		if !reflect.DeepEqual(got[k], want[k]) {
			d = append(d, fmt.Sprintf("%s: got %v, want %v", k, got[k], want[k]))
		}
	}
	return strings.Join(d, "; ")
}

// full is the canonical form of fullRecordJSON(key, i).
func full(t *testing.T, key string, i int) map[string]any {
	r := fixture[Client](t, fullRecordJSON(key, i))
	return canonical(t, r, secretOf(r))
}

// TestFullFixtureSetsEveryField guards the comparisons above: a member that
// one side dropped would compare equal if the fixture left it empty.
func TestFullFixtureSetsEveryField(t *testing.T) {
	s, err := schema.LoadFile("../schema/oauth_clients.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got := full(t, "k", 7)
	for _, f := range s.Fields {
		if _, ok := got[f.JSONName]; !ok {
			t.Errorf("the full fixture leaves %s empty: %v", f.JSONName, slices.Sorted(maps.Keys(got)))
		}
	}
}

// TestBaselineSQL checks that the baseline sends the generated store's SQL:
// the statements sqlc generated, less sqlc's name comment.
func TestBaselineSQL(t *testing.T) {
	for _, file := range []string{
		"../internal/goonly/fieldsclients/db/fieldsclients.queries.sql.go",
		"internal/nonestore/db/nonestore.queries.sql.go",
		"internal/valuestore/db/valuestore.queries.sql.go",
	} {
		consts := sqlcConstants(t, file)
		for name, want := range map[string]string{
			"get": sqlGet, "getMany": sqlGetMany, "put": sqlPut, "putMany": sqlPutMany, "delete": sqlDelete, "deleteMany": sqlDeleteMany,
		} {
			got, ok := consts[name]
			if !ok {
				t.Errorf("%s: no constant %s", file, name)
				continue
			}
			if _, body, _ := strings.Cut(got, "\n"); body != want {
				t.Errorf("%s: the baseline's %s differs from sqlc's:\n%s\nwant\n%s", file, name, want, body)
			}
		}
	}
}

func sqlcConstants(t *testing.T, file string) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		if spec, ok := n.(*ast.ValueSpec); ok && len(spec.Values) == 1 {
			if lit, ok := spec.Values[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil {
					out[spec.Names[0].Name] = s
				}
			}
		}
		return true
	})
	return out
}

// TestSchemaCopies checks that the schemas of bench/testdata and the shipped
// schema/oauth_clients.yaml are the fields-mode internal/goonly/fieldsclients.yaml
// but for the differences their headers name, so the modes are measured and
// tested on one record.
func TestSchemaCopies(t *testing.T) {
	original, err := schema.LoadFile("../internal/goonly/fieldsclients.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		file, pkg, collection string
		encryption            schema.Encryption
		unset                 func(f *schema.Field) // the one option the copy drops
	}{
		{"testdata/nonestore.yaml", "nonestore", "bench-none", schema.EncryptNone, func(f *schema.Field) { f.Sensitive = false }},
		{"testdata/valuestore.yaml", "valuestore", "bench-value", schema.EncryptValue, func(f *schema.Field) { f.Indexed = false }},
		{"../schema/oauth_clients.yaml", "oauthclients", "mcp-oauth-proxy-clients", schema.EncryptValue, func(f *schema.Field) { f.Indexed = false }},
	} {
		cp, err := schema.LoadFile(filepath.FromSlash(c.file))
		if err != nil {
			t.Fatal(err)
		}
		if cp.Package != c.pkg || cp.Collection != c.collection || cp.Encryption != c.encryption ||
			cp.Record != original.Record || cp.Table != original.Table || cp.Key != original.Key {
			t.Errorf("%s: package %s, collection %s, encryption %s, record %s, table %s, key %s", c.file,
				cp.Package, cp.Collection, cp.Encryption, cp.Record, cp.Table, cp.Key)
		}
		if got, want := fieldsOf(cp.Fields, nil), fieldsOf(original.Fields, c.unset); got != want {
			t.Errorf("%s: the fields differ from the original's:\n%s\nwant\n%s", c.file, got, want)
		}
	}
}

// fieldsOf prints fields without their positions, after unset.
func fieldsOf(fields []*schema.Field, unset func(*schema.Field)) string {
	var b strings.Builder
	for _, f := range fields {
		c := *f
		c.Pos = schema.Pos{}
		if unset != nil {
			unset(&c)
		}
		t := *c.Type
		if t.Fields != nil {
			t.Fields = nil
			fmt.Fprintf(&b, "%s {\n%s}\n", c.Name, fieldsOf(f.Type.Fields, nil))
		}
		c.Type = &t
		fmt.Fprintf(&b, "%+v %+v\n", c, t)
	}
	return b.String()
}

// countingConn is a db.DBTX that counts the statements sent through it.
type countingConn struct {
	conn interface {
		Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
		Query(context.Context, string, ...any) (pgx.Rows, error)
		QueryRow(context.Context, string, ...any) pgx.Row
	}
	statements atomic.Int64
}

func (c *countingConn) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	c.statements.Add(1)
	return c.conn.Exec(ctx, sql, args...)
}

func (c *countingConn) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	c.statements.Add(1)
	return c.conn.Query(ctx, sql, args...)
}

func (c *countingConn) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	c.statements.Add(1)
	return c.conn.QueryRow(ctx, sql, args...)
}

// TestOneStatementPerCall checks docs/design.md §5's "one round trip each": every
// call of the generated store, batches of up to kv.GetManyChunk and
// kv.PutManyChunk keys included, sends one statement (pgx's statement cache
// makes it one round trip once the connection has prepared it). Larger
// batches are one statement per chunk (kv tests them).
func TestOneStatementPerCall(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t, 1)
	conn := &countingConn{conn: pool}
	s, err := fieldsclients.New(conn, fieldsclients.Options{Collection: "one-statement", Encrypter: newRing(t)})
	if err != nil {
		t.Fatal(err)
	}
	n := min(kv.GetManyChunk, kv.PutManyChunk)
	keys := make([]string, n)
	records := make([]fieldsclients.Client, n)
	for i := range keys {
		keys[i] = readKey(i)
		records[i] = fieldsRecord(t, keys[i], i)
	}
	for _, c := range []struct {
		name string
		call func() error
	}{
		{"PutMany", func() error { return s.PutMany(ctx, records) }},
		{"GetMany", func() error { _, err := s.GetMany(ctx, keys); return err }},
		{"Get", func() error { _, _, err := s.Get(ctx, keys[0]); return err }},
		{"Put", func() error { return s.Put(ctx, records[0]) }},
		{"Delete", func() error { _, err := s.Delete(ctx, keys[0]); return err }},
		{"DeleteMany", func() error { _, err := s.DeleteMany(ctx, keys); return err }},
	} {
		before := conn.statements.Load()
		if err := c.call(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if sent := conn.statements.Load() - before; sent != 1 {
			t.Errorf("%s of up to %d keys sent %d statements, want 1", c.name, n, sent)
		}
	}
}

// TestSameDocuments checks that the baseline stores what the generated store
// stores, so that the database does the same work for both: the same JSON,
// and with encryption the same sizes (Fernet tokens differ in IV and time).
func TestSameDocuments(t *testing.T) {
	ctx := context.Background()
	e := &env{pool: newPool(t, 2), ring: newRing(t)}
	for _, mode := range modes {
		docs := map[string]string{}
		for _, impl := range []string{"generated", "baseline"} {
			coll := "docs-" + mode + "-" + impl
			if err := canonStores(t, e, mode, coll)[impl].putMany(ctx, []string{"doc-0"}); err != nil {
				t.Fatal(err)
			}
			var doc string
			if err := e.pool.QueryRow(ctx, "SELECT value::text FROM oauth_clients WHERE collection = $1", coll).Scan(&doc); err != nil {
				t.Fatal(err)
			}
			docs[impl] = doc
		}
		switch gen, base := docs["generated"], docs["baseline"]; {
		case mode == "none" && gen != base:
			t.Errorf("none: the documents differ:\ngenerated %s\n baseline %s", gen, base)
		case len(gen) != len(base):
			t.Errorf("%s: the generated store stores %d bytes, the baseline %d", mode, len(gen), len(base))
		}
	}
}

// TestGeneratedPackagesUpToDate checks that bench/internal holds what the
// current generator makes of bench/testdata (the files kvgen renders; sqlc's
// follow from the queries, checked with them): run `go generate ./bench`
// after changing the generator.
func TestGeneratedPackagesUpToDate(t *testing.T) {
	mod, err := generator.FindModule(".")
	if err != nil {
		t.Fatal(err)
	}
	schemas, err := generator.LoadSchemas([]string{"testdata/nonestore.yaml", "testdata/valuestore.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	files, err := generator.Generate(schemas, generator.Options{
		ModulePath: mod.Path, ModuleDir: mod.Dir,
		OutDir: "bench/internal", QueriesDir: "bench/internal/queries", SQLCConfig: "bench/internal/sqlc.yaml",
	})
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range files {
		have, err := os.ReadFile(filepath.Join(mod.Dir, filepath.FromSlash(p)))
		if err != nil || !bytes.Equal(have, want) {
			t.Errorf("%s is out of date (%v): run go generate ./bench", p, err)
		}
	}
}
