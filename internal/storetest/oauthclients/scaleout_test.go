package oauthclients_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/internal/pgtest"
	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/kvtest"
)

// poolWith opens a pool on dsn whose sessions start with the given settings.
func poolWith(t testing.TB, dsn string, maxConns int32, settings map[string]string) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = maxConns
	for k, v := range settings {
		cfg.ConnConfig.RuntimeParams[k] = v
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

var serializable = map[string]string{"default_transaction_isolation": "serializable"}

// TestConformanceSerializable runs the suite, its concurrent cases
// included (8 writers on shared keys), on sessions whose every statement is
// a serializable transaction: concurrent upserts of one row then fail with
// 40001, which the store retries, so no call fails.
func TestConformanceSerializable(t *testing.T) {
	ring := newRing(t)
	kvtest.Run(t, kvtest.Suite[oauthclients.Client]{
		New: func(t *testing.T) kv.Store[oauthclients.Client] {
			pool := poolWith(t, pgtest.URL(t), 8, serializable)
			if err := oauthclients.CreateTable(context.Background(), pool); err != nil {
				t.Fatal(err)
			}
			return newStore(t, pool, ring).KV()
		},
		Value:             client,
		Equal:             sameClient,
		Invalid:           invalidClient,
		DefaultCollection: oauthclients.DefaultCollection,
	})
}

// TestSerializationFailureRetried makes one store statement fail with 40001
// for certain: a serializable UPDATE waits for another transaction's lock on
// its row, which then commits a change the UPDATE's snapshot does not see.
// The store runs the statement again, which succeeds.
func TestSerializationFailureRetried(t *testing.T) {
	ctx := context.Background()
	pool := poolWith(t, pgtest.URL(t), 4, serializable)
	if err := oauthclients.CreateTable(ctx, pool); err != nil {
		t.Fatal(err)
	}
	s := newStore(t, pool, newRing(t))
	r := client(1)
	r.ClientID = "contended"
	if err := s.Put(ctx, r); err != nil {
		t.Fatal(err)
	}
	holder, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback(ctx)
	if _, err := holder.Exec(ctx, `UPDATE oauth_clients SET ttl = NULL WHERE key = 'contended'`); err != nil {
		t.Fatal(err)
	}

	type result struct {
		ok  bool
		err error
	}
	done := make(chan result, 1)
	go func() {
		ok, err := s.KV().Replace(ctx, "", "contended", client(2), 0)
		done <- result{ok, err}
	}()
	waitForLockWaiters(t, pool, 1, done)
	if err := holder.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	got := <-done
	if got.err != nil || !got.ok {
		t.Fatalf("Replace over a row changed while it waited = %v, %v; want true, nil (the 40001 retried)", got.ok, got.err)
	}
	if v, ok, err := s.Get(ctx, "contended"); err != nil || !ok || !sameClient(v, client(2)) {
		t.Fatalf("Get after the retried Replace = %v, %v, %v; want client(2)", v, ok, err)
	}
}

// waitForLockWaiters polls until n sessions of pool's database wait for a
// lock: the point at which a contended statement has taken its snapshot.
// done is the contended statement's result channel (buffered): a result in
// it before any session waited means the statement never met the lock. No
// wall-clock bound: under -race on a loaded machine, encoding a PutMany of
// several chunks can take longer than any fixed wait; the test binary's
// -timeout is the backstop.
func waitForLockWaiters[R any](t *testing.T, pool *pgxpool.Pool, n int, done chan R) {
	t.Helper()
	ctx := t.Context()
	for {
		var waiting int
		err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting)
		if err != nil {
			t.Fatalf("waiting for %d sessions to wait for a lock: %v", n, err)
		}
		if waiting >= n {
			return
		}
		if len(done) > 0 {
			t.Fatalf("the contended statement finished before %d sessions waited for a lock", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestSerializationFailureInCallersTx: a store over the caller's pgx.Tx
// cannot retry a statement whose serialization failure aborted that
// transaction; it returns kv.ErrSerialization, naming the operation and
// wrapping the *pgconn.PgError.
func TestSerializationFailureInCallersTx(t *testing.T) {
	ctx := context.Background()
	pool := newTable(t)
	r := client(1)
	r.ClientID = "contended"
	if err := newStore(t, pool, newRing(t)).Put(ctx, r); err != nil {
		t.Fatal(err)
	}
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	// the snapshot is taken here, before the concurrent change commits
	if _, err := tx.Exec(ctx, `SELECT count(*) FROM oauth_clients`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE oauth_clients SET ttl = NULL WHERE key = 'contended'`); err != nil {
		t.Fatal(err)
	}
	_, err = storeOverTx(t, tx).KV().Replace(ctx, "", "contended", client(2), 0)
	var pgErr *pgconn.PgError
	if !errors.Is(err, kv.ErrSerialization) || !errors.As(err, &pgErr) || pgErr.Code != "40001" {
		t.Fatalf("Replace in a transaction that lost a serialization race = %v; want kv.ErrSerialization wrapping SQLSTATE 40001", err)
	}
	for _, want := range []string{"Replace", "transaction", "run it again"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func storeOverTx(t *testing.T, tx pgx.Tx) *oauthclients.Store {
	t.Helper()
	s, err := oauthclients.New(tx, oauthclients.Options{Encrypter: newRing(t)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestReadOnlyStandby: a store over a streaming standby reads, and every
// write fails with kv.ErrReadOnly naming the operation and what to do;
// CheckTable says so at start-up, and is content with the primary.
func TestReadOnlyStandby(t *testing.T) {
	ctx := context.Background()
	sb := pgtest.SharedStandby(t)
	primaryURL, standbyURL := sb.URLs(t)
	primary := poolWith(t, primaryURL, 2, nil)
	ring := newRing(t) // one ring, so that the standby's store opens what the primary's sealed
	if err := oauthclients.CreateTable(ctx, primary); err != nil {
		t.Fatal(err)
	}
	r := client(1)
	r.ClientID = "replicated"
	if err := newStore(t, primary, ring).Put(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := sb.WaitReplay(ctx); err != nil {
		t.Fatal(err)
	}
	standby := poolWith(t, standbyURL, 2, nil)
	s := newStore(t, standby, ring)
	if got, ok, err := s.Get(ctx, "replicated"); err != nil || !ok || !sameClient(got, r) {
		t.Fatalf("Get on the standby = %v, %v, %v; want the primary's record", got, ok, err)
	}

	r.ClientID = "new"
	writes := map[string]error{"Put": s.Put(ctx, r)}
	_, writes["Delete"] = s.Delete(ctx, "replicated")
	_, writes["Replace"] = s.KV().Replace(ctx, "", "replicated", client(2), 0)
	for op, err := range writes {
		var pgErr *pgconn.PgError
		if !errors.Is(err, kv.ErrReadOnly) || !errors.As(err, &pgErr) || pgErr.Code != "25006" {
			t.Errorf("%s on a standby = %v; want kv.ErrReadOnly wrapping SQLSTATE 25006", op, err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, "pgkv: "+op+":") || !strings.Contains(msg, "primary") {
			t.Errorf("%s on a standby: %q does not name the operation and the primary", op, msg)
		}
	}

	if err := oauthclients.CheckTable(ctx, standby); !errors.Is(err, kv.ErrReadOnly) || !strings.Contains(err.Error(), "oauth_clients") {
		t.Errorf("CheckTable on a standby = %v; want kv.ErrReadOnly naming the table", err)
	}
	if err := oauthclients.CheckTable(ctx, primary); err != nil {
		t.Errorf("CheckTable on the primary = %v", err)
	}
	readOnly := poolWith(t, primaryURL, 1, map[string]string{"default_transaction_read_only": "on"})
	if err := oauthclients.CheckTable(ctx, readOnly); !errors.Is(err, kv.ErrReadOnly) {
		t.Errorf("CheckTable with default_transaction_read_only = %v; want kv.ErrReadOnly", err)
	}
}

// TestCreateTableConcurrently: replicas starting at once each run
// CreateTable on a database without the table; none fails, though their
// CREATE TABLE IF NOT EXISTS race (23505 on pg_type, or 42P07). Each round
// drops the table and starts the replicas together on connections opened
// beforehand.
func TestCreateTableConcurrently(t *testing.T) {
	const replicas, rounds = 8, 10
	ctx := context.Background()
	pool := poolWith(t, pgtest.URL(t), replicas, nil)
	conns := make([]*pgxpool.Conn, replicas)
	for i := range conns {
		c, err := pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Release()
		conns[i] = c
	}
	for round := range rounds {
		if _, err := conns[0].Exec(ctx, `DROP TABLE IF EXISTS oauth_clients`); err != nil {
			t.Fatal(err)
		}
		start := make(chan struct{})
		var wg sync.WaitGroup
		errs := make([]error, replicas)
		for i, c := range conns {
			wg.Go(func() {
				<-start
				errs[i] = oauthclients.CreateTable(ctx, c)
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d: replica %d: CreateTable = %v", round, i, err)
			}
		}
		if err := oauthclients.CheckTable(ctx, conns[0]); err != nil {
			t.Fatalf("round %d: CheckTable after concurrent CreateTable = %v", round, err)
		}
	}
}

// TestPutManyChunksRetried: the transaction of a PutMany of several chunks
// runs again whole when its last statement fails with 40001, as a single
// statement does; its earlier chunks are not lost.
func TestPutManyChunksRetried(t *testing.T) {
	ctx := context.Background()
	pool := poolWith(t, pgtest.URL(t), 4, serializable)
	if err := oauthclients.CreateTable(ctx, pool); err != nil {
		t.Fatal(err)
	}
	s := newStore(t, pool, newRing(t))
	rs := chunkRecords()
	// poisonKey sorts last: the last chunk's statement waits for holder
	if err := s.Put(ctx, rs[len(rs)-1]); err != nil {
		t.Fatal(err)
	}
	holder, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback(ctx)
	if _, err := holder.Exec(ctx, `UPDATE oauth_clients SET ttl = NULL WHERE key = $1`, poisonKey); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.PutMany(ctx, rs) }()
	waitForLockWaiters(t, pool, 1, done)
	if err := holder.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("PutMany of %d records over a row changed while it waited = %v; want nil (the transaction retried)", len(rs), err)
	}
	if n := countVisible(t, pool); n != len(rs) {
		t.Fatalf("%d rows after the retried PutMany; want %d", n, len(rs))
	}
}
