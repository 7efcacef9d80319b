package oauthclients_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/generated/oauthclients/db"
	"github.com/kvgen/kvgen/internal/pgtest"
	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/kvtest"
	"github.com/kvgen/kvgen/kv/pgkv"
)

func newStoreOver(t *testing.T, conn db.DBTX, ring kv.Encrypter) *oauthclients.Store {
	t.Helper()
	s, err := oauthclients.New(conn, oauthclients.Options{Encrypter: ring})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// readPoolStore returns a store that reads from standby and writes to
// primary, keeping reads on the primary for window after a write.
func readPoolStore(t *testing.T, primary, standby *pgxpool.Pool, ring kv.Encrypter, window time.Duration) *oauthclients.Store {
	t.Helper()
	return newStoreOver(t, pgkv.ReadWrite(primary, standby, pgkv.ReadWriteOptions{Window: window}), ring)
}

// pauseReplay stops the standby replaying the primary's WAL until the test
// ends: what the primary commits from then on is absent there.
func pauseReplay(t *testing.T, standby *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	if _, err := standby.Exec(ctx, "SELECT pg_wal_replay_pause()"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { standby.Exec(context.Background(), "SELECT pg_wal_replay_resume()") })
	deadline := time.Now().Add(30 * time.Second)
	for state := ""; state != "paused"; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("standby replay still %q after 30s", state)
		}
		if err := standby.QueryRow(ctx, "SELECT pg_get_wal_replay_pause_state()").Scan(&state); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReadPoolOnStandby: a store over pgkv.ReadWrite reads from a real
// streaming standby whose replay is paused, so a record written to the
// primary directly is absent through it; its own writes go to the primary
// (the standby would refuse them), and right after one its reads go there
// too and see it, and the other record; once the window has passed they go
// back to the standby. Over the caller's transaction it reads in it.
func TestReadPoolOnStandby(t *testing.T) {
	ctx := context.Background()
	sb := pgtest.NewStandby(t, pgtest.Server(t)) // its own, since the test pauses its replay
	primaryURL, standbyURL := sb.URLs(t)
	primary, standby := poolWith(t, primaryURL, 4, nil), poolWith(t, standbyURL, 4, nil)
	if err := oauthclients.CreateTable(ctx, primary); err != nil {
		t.Fatal(err)
	}
	if err := sb.WaitReplay(ctx); err != nil {
		t.Fatal(err)
	}
	pauseReplay(t, standby)
	ring := newRing(t)
	direct := client(1)
	direct.ClientID = "direct"
	if err := newStore(t, primary, ring).Put(ctx, direct); err != nil {
		t.Fatal(err)
	}

	// A window no run of this test outlasts: reads after a write go to the primary.
	s := readPoolStore(t, primary, standby, ring, time.Hour)
	assertIDs(t, s, "before any write through the store (the standby's view)")
	mine := client(2)
	mine.ClientID = "mine"
	if err := s.Put(ctx, mine); err != nil {
		t.Fatalf("Put through the read pool = %v; want it on the primary", err)
	}
	assertIDs(t, s, "right after the store's write (the primary's view)", "direct", "mine")
	writeEverything(t, s)

	// A short window, waited out: reads go back to the paused standby.
	const window = 50 * time.Millisecond
	short := readPoolStore(t, primary, standby, ring, window)
	if err := short.Put(ctx, mine); err != nil {
		t.Fatal(err)
	}
	time.Sleep(window)
	assertIDs(t, short, "once the window after the write has passed (the standby's view)")
	if _, err := standby.Exec(ctx, "SELECT pg_wal_replay_resume()"); err != nil {
		t.Fatal(err)
	}
	if err := sb.WaitReplay(ctx); err != nil {
		t.Fatal(err)
	}
	assertIDs(t, short, "once the standby has replayed", "direct", "mine")

	tx, err := primary.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	uncommitted := client(3)
	uncommitted.ClientID = "uncommitted"
	if err := newStoreOver(t, tx, ring).Put(ctx, uncommitted); err != nil {
		t.Fatal(err)
	}
	// No write through this store yet: only the rule for transactions
	// keeps its reads off the standby, which lacks the uncommitted record.
	inTx := newStoreOver(t, pgkv.ReadWrite(tx, standby, pgkv.ReadWriteOptions{}), ring)
	assertIDs(t, inTx, "inside the caller's transaction", "direct", "mine", "uncommitted")
}

// assertIDs checks that Get, GetMany and List of s find exactly the
// records of ids among direct, mine and uncommitted.
func assertIDs(t *testing.T, s *oauthclients.Store, when string, ids ...string) {
	t.Helper()
	ctx := context.Background()
	all := []string{"direct", "mine", "uncommitted"}
	var got []string
	for _, id := range all {
		if _, ok, err := s.Get(ctx, id); err != nil {
			t.Fatalf("%s: Get %s: %v", when, id, err)
		} else if ok {
			got = append(got, id)
		}
	}
	if !slices.Equal(got, ids) {
		t.Errorf("%s: Get finds %q; want %q", when, got, ids)
	}
	entries, err := s.GetMany(ctx, all)
	if err != nil {
		t.Fatalf("%s: GetMany: %v", when, err)
	}
	got = nil
	for i, e := range entries {
		if e.Found {
			got = append(got, all[i])
		}
	}
	if !slices.Equal(got, ids) {
		t.Errorf("%s: GetMany finds %q; want %q", when, got, ids)
	}
	listed, err := s.List(ctx, "", 10)
	if err != nil {
		t.Fatalf("%s: List: %v", when, err)
	}
	got = nil
	for _, c := range listed {
		got = append(got, c.ClientID)
	}
	if !slices.Equal(got, ids) {
		t.Errorf("%s: List finds %q; want %q", when, got, ids)
	}
}

// writeEverything runs each kind of write through s, none of which the
// standby would take: a write routed there fails with kv.ErrReadOnly.
func writeEverything(t *testing.T, s *oauthclients.Store) {
	t.Helper()
	ctx := context.Background()
	r := client(4)
	r.ClientID = "scratch"
	steps := map[string]func() error{
		"PutMany": func() error { return s.PutMany(ctx, []oauthclients.Client{r}) },
		"Replace": func() error { _, err := s.Replace(ctx, r); return err },
		"CompareAndSwap": func() error {
			_, v, _, err := s.GetVersion(ctx, "scratch")
			if err == nil {
				_, err = s.CompareAndSwap(ctx, r, v)
			}
			return err
		},
		"GetAndDelete":           func() error { _, _, err := s.GetAndDelete(ctx, "scratch"); return err },
		"CompareAndSwap of none": func() error { _, err := s.CompareAndSwap(ctx, r, kv.Version{}); return err },
		"CompareAndDelete": func() error {
			_, v, _, err := s.GetVersion(ctx, "scratch")
			if err == nil {
				_, err = s.CompareAndDelete(ctx, "scratch", v)
			}
			return err
		},
		"Put untyped": func() error {
			return s.Untyped().Put(ctx, "tokens", "t", map[string]any{"a": 1.0}, 0)
		},
		"DeleteMany": func() error { _, err := s.DeleteMany(ctx, []string{"scratch"}); return err },
		"Cull":       func() error { _, err := s.Cull(ctx); return err },
	}
	for _, name := range []string{"PutMany", "Replace", "CompareAndSwap", "GetAndDelete",
		"CompareAndSwap of none", "CompareAndDelete", "DeleteMany", "Put untyped", "Cull"} {
		if err := steps[name](); err != nil {
			t.Errorf("%s through the read pool = %v; want it done on the primary", name, err)
		}
	}
}

// TestConformanceReadPool runs the suite over a store that reads from a
// real streaming standby and writes to its primary, with a window that
// keeps every read after a write on the primary: every write of the suite,
// a chunked PutMany's transaction included, reaches the primary (the
// standby refuses writes), and the store behaves as over the primary alone.
func TestConformanceReadPool(t *testing.T) {
	ring := newRing(t)
	kvtest.Run(t, kvtest.Suite[oauthclients.Client]{
		New: func(t *testing.T) kv.Store[oauthclients.Client] {
			sb := pgtest.SharedStandby(t)
			primaryURL, standbyURL := sb.URLs(t)
			primary := poolWith(t, primaryURL, 8, nil)
			if err := oauthclients.CreateTable(context.Background(), primary); err != nil {
				t.Fatal(err)
			}
			if err := sb.WaitReplay(context.Background()); err != nil {
				t.Fatal(err)
			}
			return readPoolStore(t, primary, poolWith(t, standbyURL, 8, nil), ring, time.Hour).KV()
		},
		Value:             client,
		Equal:             sameClient,
		Invalid:           invalidClient,
		DefaultCollection: oauthclients.DefaultCollection,
	})
}
