package oauthclients_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/kv"
)

// chunkedBatch is a PutMany of more than two chunks: three statements.
const chunkedBatch = 2*kv.PutManyChunk + 5

// poisonKey sorts after every chunk-… key, so it is written by the last chunk.
const poisonKey = "poison-last"

// chunkRecords returns chunkedBatch valid records: chunk-000000… and, last,
// poisonKey.
func chunkRecords() []oauthclients.Client {
	rs := make([]oauthclients.Client, chunkedBatch)
	for i := range rs {
		rs[i] = client(i)
		rs[i].ClientID = fmt.Sprintf("chunk-%06d", i)
	}
	rs[len(rs)-1].ClientID = poisonKey
	return rs
}

// chunkTriggers adds to the table of pool a trigger that rejects poisonKey
// when reject is true, and one that logs the rows each statement inserted.
func chunkTriggers(t *testing.T, pool *pgxpool.Pool, reject bool) {
	t.Helper()
	_, err := pool.Exec(context.Background(), fmt.Sprintf(`
CREATE FUNCTION reject_poison() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF %t AND NEW.key = '%s' THEN
    RAISE EXCEPTION 'poisoned key %%', NEW.key;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER reject_poison BEFORE INSERT ON oauth_clients
  FOR EACH ROW EXECUTE FUNCTION reject_poison();
CREATE TABLE put_statements (id serial PRIMARY KEY, inserted int NOT NULL);
CREATE FUNCTION log_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO put_statements (inserted) SELECT count(*) FROM new_rows;
  RETURN NULL;
END $$;
CREATE TRIGGER log_statement AFTER INSERT ON oauth_clients
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION log_statement();`, reject, poisonKey))
	if err != nil {
		t.Fatal(err)
	}
}

// countVisible is countRows as q (a pool or a pgx.Tx) sees the table.
func countVisible(t *testing.T, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) int {
	t.Helper()
	var n int
	if err := q.QueryRow(context.Background(), `SELECT count(*) FROM oauth_clients`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPutManyChunksAllOrNothing: a PutMany of more than kv.PutManyChunk
// records is several statements of at most kv.PutManyChunk rows in one
// transaction: when the database rejects a row of the last statement, the
// rows of the earlier ones are rolled back too; without the poison every
// row is written and reads back.
func TestPutManyChunksAllOrNothing(t *testing.T) {
	ctx := context.Background()
	for _, reject := range []bool{true, false} {
		t.Run(fmt.Sprintf("reject=%t", reject), func(t *testing.T) {
			pool := newTable(t)
			chunkTriggers(t, pool, reject)
			s := newStore(t, pool, newRing(t))
			rs := chunkRecords()
			err := s.PutMany(ctx, rs)
			if reject {
				var pgErr *pgconn.PgError
				if !errors.As(err, &pgErr) || pgErr.Message != "poisoned key "+poisonKey {
					t.Fatalf("PutMany with a poisoned key in the last chunk = %v, want the trigger's exception", err)
				}
				if n := countVisible(t, pool); n != 0 {
					t.Fatalf("the failed PutMany left %d rows, want 0", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var inserted []int
			if err := pool.QueryRow(ctx, `SELECT array_agg(inserted ORDER BY id) FROM put_statements`).Scan(&inserted); err != nil {
				t.Fatal(err)
			}
			if want := []int{kv.PutManyChunk, kv.PutManyChunk, 5}; !slices.Equal(inserted, want) {
				t.Errorf("PutMany of %d records ran statements inserting %v rows, want %v", chunkedBatch, inserted, want)
			}
			if n := countVisible(t, pool); n != chunkedBatch {
				t.Fatalf("PutMany wrote %d rows, want %d", n, chunkedBatch)
			}
			keys := make([]string, len(rs))
			for i := range rs {
				keys[i] = rs[i].ClientID
			}
			entries, err := s.GetMany(ctx, keys)
			if err != nil {
				t.Fatal(err)
			}
			for i, e := range entries {
				if !e.Found || !sameClient(e.Value, rs[i]) {
					t.Fatalf("GetMany: %s = %+v, found %v; want the record written", keys[i], e.Value, e.Found)
				}
			}
		})
	}
}

// TestPutManyChunksInTx: over a pgx.Tx a chunked PutMany is a savepoint of
// the caller's transaction: rolling the transaction back writes nothing, and
// a PutMany that fails rolls back to its savepoint only, leaving the
// transaction usable and the caller's earlier writes in it.
func TestPutManyChunksInTx(t *testing.T) {
	ctx := context.Background()
	pool := newTable(t)
	ring := newRing(t)

	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	s, err := oauthclients.New(tx, oauthclients.Options{Encrypter: ring})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutMany(ctx, chunkRecords()); err != nil {
		t.Fatal(err)
	}
	if n := countVisible(t, tx); n != chunkedBatch {
		t.Fatalf("inside the transaction PutMany wrote %d rows, want %d", n, chunkedBatch)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if n := countVisible(t, pool); n != 0 {
		t.Fatalf("PutMany in a rolled back transaction left %d rows, want 0", n)
	}

	chunkTriggers(t, pool, true)
	tx, err = pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if s, err = oauthclients.New(tx, oauthclients.Options{Encrypter: ring}); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, faultRecord("before", 1)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutMany(ctx, chunkRecords()); err == nil {
		t.Fatal("PutMany with a poisoned key in a transaction succeeded")
	}
	if err := s.Put(ctx, faultRecord("after", 2)); err != nil {
		t.Fatalf("the transaction is unusable after the failed PutMany: %v", err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	var keys []string
	if err := pool.QueryRow(ctx, `SELECT array_agg(key ORDER BY key) FROM oauth_clients`).Scan(&keys); err != nil {
		t.Fatal(err)
	}
	if want := []string{"after", "before"}; !slices.Equal(keys, want) {
		t.Errorf("after the commit the table holds %v, want %v", keys, want)
	}
}
