package bench

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvgen/kvgen/bench/internal/nonestore"
	"github.com/kvgen/kvgen/bench/internal/valuestore"
	"github.com/kvgen/kvgen/internal/goonly/fieldsclients"
	"github.com/kvgen/kvgen/internal/pgtest"
	"github.com/kvgen/kvgen/kv"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// Sizes of the data set that every benchmark of a run shares.
const (
	readKeys  = 10_000 // rows that Get and GetMany read, per mode
	writeKeys = 16_000 // rows that Put and PutMany overwrite, per mode and implementation
	maxConns  = 8      // one connection per goroutine of the widest run
)

var (
	modes = []string{"none", "fields", "value"}
	impls = []string{"generated", "baseline", "raw"}
)

func readKey(i int) string  { return fmt.Sprintf("client-%06d", i) }
func writeKey(i int) string { return fmt.Sprintf("w-client-%06d", i) }

// readKeySlice holds readKey(i) at i.
var readKeySlice = func() []string {
	keys := make([]string, readKeys)
	for i := range keys {
		keys[i] = readKey(i)
	}
	return keys
}()

// collection names the rows of a mode: "read" rows are shared by every
// implementation, the others belong to one.
func collection(mode, impl, use string) string {
	if use == "read" {
		return "bench-" + mode + "-read"
	}
	return "bench-" + mode + "-" + impl + "-" + use
}

// typedStore is the method set that the generated stores, the baseline and
// the raw ceiling share, each with its own record type R.
type typedStore[R any] interface {
	Get(ctx context.Context, key string) (R, bool, error)
	GetMany(ctx context.Context, keys []string) ([]kv.Entry[R], error)
	Put(ctx context.Context, r R) error
	PutMany(ctx context.Context, rs []R) error
	Delete(ctx context.Context, key string) (bool, error)
	DeleteMany(ctx context.Context, keys []string) (int, error)
}

// subject is one implementation of one mode over its data. Records are
// named by index, so that the harness allocates nothing during an op.
type subject interface {
	get(ctx context.Context, i int) error           // read key i, which must exist
	getMany(ctx context.Context, from, n int) error // read keys [from, from+n), which must exist
	put(ctx context.Context, i int) error           // overwrite record i
	putMany(ctx context.Context, from, n int) error // overwrite records [from, from+n)
	delete(ctx context.Context, key string) error   // delete key, which must exist
	deleteMany(ctx context.Context, keys []string) error
	// deletesIn is the collection where delete and deleteMany find their keys.
	deletesIn() string
}

// stores is one implementation over its three collections.
type stores[R any] struct {
	reads, writes, deletes typedStore[R]
	deleteCollection       string
	records                []R // records[i] is stored under writeKey(i)
}

func (s *stores[R]) deletesIn() string { return s.deleteCollection }

func (s *stores[R]) get(ctx context.Context, i int) error {
	_, ok, err := s.reads.Get(ctx, readKeySlice[i])
	if err == nil && !ok {
		err = fmt.Errorf("%s not found", readKeySlice[i])
	}
	return err
}

func (s *stores[R]) getMany(ctx context.Context, from, n int) error {
	entries, err := s.reads.GetMany(ctx, readKeySlice[from:from+n])
	if err == nil && len(entries) != n {
		err = fmt.Errorf("GetMany of %d keys returned %d entries", n, len(entries))
	}
	for i := 0; err == nil && i < len(entries); i++ {
		if !entries[i].Found {
			err = fmt.Errorf("GetMany: entry %d not found", i)
		}
	}
	return err
}

func (s *stores[R]) put(ctx context.Context, i int) error {
	return s.writes.Put(ctx, s.records[i])
}

func (s *stores[R]) putMany(ctx context.Context, from, n int) error {
	return s.writes.PutMany(ctx, s.records[from:from+n])
}

func (s *stores[R]) delete(ctx context.Context, key string) error {
	ok, err := s.deletes.Delete(ctx, key)
	if err == nil && !ok {
		err = fmt.Errorf("delete %s: not found", key)
	}
	return err
}

func (s *stores[R]) deleteMany(ctx context.Context, keys []string) error {
	n, err := s.deletes.DeleteMany(ctx, keys)
	if err == nil && n != len(keys) {
		err = fmt.Errorf("DeleteMany of %d keys deleted %d", len(keys), n)
	}
	return err
}

// newStores opens an implementation over its collections and builds its write records.
func newStores[R any](tb testing.TB, mode, impl string, open func(collection string) typedStore[R], record func(tb testing.TB, key string, i int) R) *stores[R] {
	s := &stores[R]{
		reads:            open(collection(mode, impl, "read")),
		writes:           open(collection(mode, impl, "write")),
		deletes:          open(collection(mode, impl, "delete")),
		deleteCollection: collection(mode, impl, "delete"),
		records:          make([]R, writeKeys),
	}
	for i := range s.records {
		s.records[i] = record(tb, writeKey(i), i)
	}
	return s
}

// env is the data set and the subjects of one benchmark run, over one pool.
type env struct {
	pool *pgxpool.Pool
	// direct reaches pool's database without PgBouncer when the run goes
	// through it ($KVGEN_BENCH_PGBOUNCER), for the subject "direct": the
	// generated store without PgBouncer's hop. Nil otherwise.
	direct   *pgxpool.Pool
	ring     *kv.KeyRing
	impls    []string                      // impls, and "direct" with a direct pool
	subjects map[string]map[string]subject // mode → impl → subject
	// stored[mode] is a value as the generated store of mode writes it: the
	// content of rows that are only deleted.
	stored map[string]string
}

// bouncerEnv, when set, runs the benchmarks through the test harness's
// PgBouncer in transaction pooling mode.
const bouncerEnv = "KVGEN_BENCH_PGBOUNCER"

// newPool opens the pool the benchmarks run on, on a fresh database
// holding the table: through PgBouncer with $KVGEN_BENCH_PGBOUNCER.
func newPool(tb testing.TB, conns int32) *pgxpool.Pool {
	pool, _ := newPools(tb, conns)
	return pool
}

// newPools is newPool, with a pool reaching the same database directly
// when the first goes through PgBouncer (else nil).
func newPools(tb testing.TB, conns int32) (pool, direct *pgxpool.Pool) {
	tb.Helper()
	if os.Getenv(bouncerEnv) == "" {
		pool = openPool(tb, pgtest.URL(tb), conns)
	} else {
		directURL, bouncerURL := pgtest.BouncerURLs(tb)
		pool, direct = openPool(tb, bouncerURL, conns), openPool(tb, directURL, conns)
	}
	ctx := context.Background()
	if err := fieldsclients.CreateTable(ctx, pool); err != nil {
		tb.Fatal(err)
	}
	// The index of the fields store's indexed field: every write keeps it up.
	if _, err := fieldsclients.CreateIndexes(ctx, pool); err != nil {
		tb.Fatal(err)
	}
	return pool, direct
}

func openPool(tb testing.TB, dsn string, conns int32) *pgxpool.Pool {
	tb.Helper()
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	cfg.MaxConns = conns
	// The baseline and the raw ceiling run in the exec mode that the
	// generated stores use (pgkv.Unprepared), so that the ratios compare
	// code, not pgx's modes.
	cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeExec
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

// durableEnv turns durable commits on: see durable.
const durableEnv = "KVGEN_BENCH_DURABLE"

// durable, when $KVGEN_BENCH_DURABLE is true, makes the harness's throwaway
// server commit as a production one does (it runs with fsync off, for the
// speed of the tests), so that single writes pay for their commit as in the
// issue's figures. Off by default: with fsync on, this VM's disk stalls for
// seconds now and then, which drowns the differences between
// implementations that these benchmarks are for. A server given by
// DATABASE_URL is not ours to reconfigure, and is left as it is.
func durable(tb testing.TB) {
	tb.Helper()
	on, err := strconv.ParseBool(cmp.Or(os.Getenv(durableEnv), "false"))
	if err != nil {
		tb.Fatalf("$%s: %v", durableEnv, err)
	}
	if !on || os.Getenv("DATABASE_URL") != "" {
		return
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.AdminURL(tb))
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, sql := range []string{
		"ALTER SYSTEM SET fsync = on", "ALTER SYSTEM SET synchronous_commit = on",
		"ALTER SYSTEM SET full_page_writes = on", "SELECT pg_reload_conf()",
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			tb.Fatal(err)
		}
	}
}

func newRing(tb testing.TB) *kv.KeyRing {
	tb.Helper()
	key, err := kv.GenerateKey()
	if err != nil {
		tb.Fatal(err)
	}
	ring, err := kv.ParseKeys(key)
	if err != nil {
		tb.Fatal(err)
	}
	return ring
}

// newEnv creates a database, its table and every subject. The generated
// store of each mode writes the rows that every implementation reads; each
// implementation writes the rows it will overwrite, so that every Put is an
// update, as in steady state.
func newEnv(tb testing.TB) *env {
	tb.Helper()
	ctx := context.Background()
	durable(tb)
	e := &env{
		ring:     newRing(tb),
		impls:    impls,
		subjects: map[string]map[string]subject{},
		stored:   map[string]string{},
	}
	e.pool, e.direct = newPools(tb, maxConns)
	if e.direct != nil {
		e.impls = append(slices.Clip(impls), "direct")
	}
	for _, mode := range modes {
		if err := seedReads(ctx, tb, e, mode); err != nil {
			tb.Fatalf("seeding the reads of %s: %v", mode, err)
		}
		e.subjects[mode] = map[string]subject{
			"generated": generatedSubject(tb, e, mode, "generated"),
			"baseline":  baselineSubject(tb, e, mode),
			"raw":       rawSubject(tb, e, mode),
		}
		if e.direct != nil {
			direct := *e
			direct.pool = e.direct
			e.subjects[mode]["direct"] = generatedSubject(tb, &direct, mode, "direct")
		}
		e.stored[mode] = e.subjects[mode]["raw"].(*stores[rawRecord]).records[0].Value
		for _, impl := range e.impls {
			for from := 0; from < writeKeys; from += 1000 {
				if err := e.subjects[mode][impl].putMany(ctx, from, 1000); err != nil {
					tb.Fatalf("seeding the writes of %s/%s: %v", mode, impl, err)
				}
			}
		}
	}
	if _, err := e.pool.Exec(ctx, "VACUUM ANALYZE oauth_clients"); err != nil {
		tb.Fatal(err)
	}
	// Flush the seeding now rather than during the first measurements.
	if _, err := e.pool.Exec(ctx, "CHECKPOINT"); err != nil {
		tb.Logf("no CHECKPOINT before measuring (%v): the first runs may see the server flush", err)
	}
	return e
}

// seedReads writes the rows of readKeys with the generated store of mode.
func seedReads(ctx context.Context, tb testing.TB, e *env, mode string) error {
	const chunk = 1000
	store := openGenerated(tb, e, mode, collection(mode, "", "read"))
	for from := 0; from < readKeys; from += chunk {
		var err error
		switch s := store.(type) {
		case typedStore[fieldsclients.Client]:
			err = s.PutMany(ctx, recordRange(tb, from, chunk, fieldsRecord))
		case typedStore[valuestore.Client]:
			err = s.PutMany(ctx, recordRange(tb, from, chunk, valueRecord))
		case typedStore[nonestore.Client]:
			err = s.PutMany(ctx, recordRange(tb, from, chunk, noneRecord))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func recordRange[R any](tb testing.TB, from, n int, record func(testing.TB, string, int) R) []R {
	rs := make([]R, n)
	for i := range rs {
		rs[i] = record(tb, readKey(from+i), from+i)
	}
	return rs
}

// openGenerated opens the generated store of mode over collection.
func openGenerated(tb testing.TB, e *env, mode, collection string) any {
	var (
		s   any
		err error
	)
	switch mode {
	case "fields":
		s, err = fieldsclients.New(e.pool, fieldsclients.Options{Collection: collection, Encrypter: e.ring})
	case "value":
		s, err = valuestore.New(e.pool, valuestore.Options{Collection: collection, Encrypter: e.ring})
	default:
		s, err = nonestore.New(e.pool, nonestore.Options{Collection: collection})
	}
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// generatedSubject is the generated store of mode over e.pool, under the
// name impl ("generated", or "direct" over the pool without PgBouncer).
func generatedSubject(tb testing.TB, e *env, mode, impl string) subject {
	switch mode {
	case "fields":
		return newStores(tb, mode, impl, func(c string) typedStore[fieldsclients.Client] {
			return openGenerated(tb, e, mode, c).(*fieldsclients.Store)
		}, fieldsRecord)
	case "value":
		return newStores(tb, mode, impl, func(c string) typedStore[valuestore.Client] {
			return openGenerated(tb, e, mode, c).(*valuestore.Store)
		}, valueRecord)
	default:
		return newStores(tb, mode, impl, func(c string) typedStore[nonestore.Client] {
			return openGenerated(tb, e, mode, c).(*nonestore.Store)
		}, noneRecord)
	}
}

func baselineSubject(tb testing.TB, e *env, mode string) subject {
	ring := e.ring
	if mode == "none" {
		ring = nil
	}
	return newStores(tb, mode, "baseline", func(c string) typedStore[Client] {
		return &baseline{pool: e.pool, ring: ring, mode: mode, collection: c}
	}, baseRecord)
}

// rawSubject writes, under each write key, the value the generated store
// wrote for a read key: the bytes the generated store sends, ready-made.
func rawSubject(tb testing.TB, e *env, mode string) subject {
	ctx := context.Background()
	reader := &raw{pool: e.pool, collection: collection(mode, "", "read")}
	entries, err := reader.GetMany(ctx, readKeySlice)
	if err != nil || len(entries) != readKeys {
		tb.Fatalf("reading the seeded rows of %s: %d of %d, %v", mode, len(entries), readKeys, err)
	}
	values := make(map[string]string, len(entries))
	for _, e := range entries {
		values[e.Value.Key] = e.Value.Value
	}
	return newStores(tb, mode, "raw", func(c string) typedStore[rawRecord] {
		return &raw{pool: e.pool, collection: c}
	}, func(_ testing.TB, key string, i int) rawRecord {
		return rawRecord{Key: key, Value: values[readKey(i%readKeys)]}
	})
}
