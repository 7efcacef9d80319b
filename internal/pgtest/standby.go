package pgtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	// replayTimeout bounds WaitReplay, whatever the caller's context says,
	// so that a standby that stopped replaying fails the test in time.
	replayTimeout = 30 * time.Second
	// replayPoll is how often WaitReplay asks the standby how far it got.
	replayPoll = 5 * time.Millisecond
)

// standbyConf is the standby's own settings. With hot_standby_feedback the
// primary keeps the row versions that queries on the standby still see,
// so that its cleanup never cancels them (or holds up replay for up to
// max_standby_streaming_delay, 30 s, and WaitReplay with it).
const standbyConf = "hot_standby_feedback = on\n"

// Standby is a streaming hot standby of a harness-owned cluster, made with
// pg_basebackup -R from it and streaming from it, for tests of reads from
// a replica. It is a Cluster of its own (URL, Stop, Start, ...): it serves
// reads, refuses writes (SQLSTATE 25006), and lags behind its primary;
// WaitReplay waits for it to catch up.
//
// Databases are the primary's: one created on the primary (URLs does, and
// so do New and URL on the shared server) appears on the standby once the
// standby has replayed its creation, which URLs waits for. Dropping it on
// the primary, as the harness does WITH (FORCE) when the test ends, drops
// it on the standby when replayed; the standby then ends its own
// connections to it at once (their next query fails with SQLSTATE 57P04),
// so a pool on the standby left open does not hold anything up.
type Standby struct {
	*Cluster
	primary *Cluster
}

// NewStandby starts a private standby of primary for t and closes it when
// t ends. Most tests want SharedStandby.
func NewStandby(t testing.TB, primary *Cluster) *Standby {
	t.Helper()
	s, err := startStandby(primary)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("pgtest: closing standby: %v", err)
		}
	})
	t.Logf("pgtest: private %s", s)
	return s
}

// sharedStandby is the standby of the shared server.
var sharedStandby lazy[*Standby]

// SharedStandby returns the standby of the shared server, shared by the
// test binary: it starts on first use and stops in Main. With DATABASE_URL
// set, t fails: only the harness's own cluster has a standby.
func SharedStandby(t testing.TB) *Standby {
	t.Helper()
	c := shared.owned(t, "a standby replicates")
	return sharedStandby.get(t, func() (*Standby, error) { return startStandby(c) })
}

// startStandby makes a standby of primary in a new temp dir and starts it.
func startStandby(primary *Cluster) (*Standby, error) {
	if err := keepWALForStandbys(primary); err != nil {
		return nil, fmt.Errorf("standby of %s: %w", primary, err)
	}
	c, err := newCluster(primary.binDir, standbyConf, func(c *Cluster) error {
		// -R writes standby.signal and primary_conninfo; -X stream
		// brings the WAL written during the copy along.
		return c.run(2*time.Minute, "pg_basebackup", "-D", c.dataDir,
			"-h", "127.0.0.1", "-p", fmt.Sprint(primary.port), "-U", superuser,
			"-R", "-X", "stream", "--checkpoint=fast", "--no-sync")
	})
	if err != nil {
		return nil, fmt.Errorf("standby of %s: %w", primary, err)
	}
	return &Standby{Cluster: c, primary: primary}, nil
}

// keepWALForStandbys makes primary keep WAL a standby may still need.
// Without a replication slot (whose WAL a closed standby would pin
// forever), a checkpoint removes the WAL before it, and every CREATE
// DATABASE of the harness makes one; a standby that lags across it would
// find its WAL gone and stop replaying.
func keepWALForStandbys(primary *Cluster) error {
	return throwawayServer(primary).admin(func(ctx context.Context, conn *pgx.Conn) error {
		if _, err := conn.Exec(ctx, "ALTER SYSTEM SET wal_keep_size = '512MB'"); err != nil {
			return err
		}
		_, err := conn.Exec(ctx, "SELECT pg_reload_conf()")
		return err
	})
}

// String describes the standby for logs.
func (s *Standby) String() string {
	return fmt.Sprintf("streaming standby of 127.0.0.1:%d on 127.0.0.1:%d (PostgreSQL %s, data in %s, run as OS user %s)",
		s.primary.port, s.port, s.version, s.dataDir, s.user.name)
}

// URLs creates a fresh database for t on the primary, waits until the
// standby has it, and returns its DSN on the primary and on the standby.
// The database is dropped when t ends.
func (s *Standby) URLs(t testing.TB) (primary, standby string) {
	t.Helper()
	primary = freshDatabase(t, throwawayServer(s.primary), "")
	if err := s.WaitReplay(context.Background()); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return primary, s.URL(databaseOf(t, primary))
}

// WaitReplay waits until the standby has replayed everything committed on
// the primary before the call, so that a read on the standby sees it.
func (s *Standby) WaitReplay(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, replayTimeout)
	defer cancel()
	target, err := s.replayMarker(ctx)
	if err != nil {
		return fmt.Errorf("standby: marking the primary's WAL position: %w", err)
	}
	return s.waitForReplay(ctx, target)
}

// replayMarker writes a WAL record on the primary and returns where it
// ends. Neither of the primary's own positions will do as a target: with
// synchronous_commit off (see writePortConfig) a commit returns before its
// WAL is written, so pg_current_wal_lsn() may stop short of it, and WAL
// that is only inserted is not streamed until a flush covers it, which
// may never come for pg_current_wal_insert_lsn(). The marker lies past
// every commit made before it, and committing it synchronously flushes it,
// so the standby gets it, and all before it, now.
func (s *Standby) replayMarker(ctx context.Context) (string, error) {
	conn, err := pgx.Connect(ctx, s.primary.AdminURL())
	if err != nil {
		return "", err
	}
	defer conn.Close(context.Background())
	var lsn string
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL synchronous_commit = on"); err != nil {
			return err
		}
		return tx.QueryRow(ctx, "SELECT pg_logical_emit_message(true, 'kvgen-pgtest', 'replay marker')::text").Scan(&lsn)
	})
	return lsn, err
}

// waitForReplay polls the standby until it has replayed WAL up to target.
func (s *Standby) waitForReplay(ctx context.Context, target string) error {
	conn, err := pgx.Connect(ctx, s.AdminURL())
	if err != nil {
		return fmt.Errorf("standby: %w", err)
	}
	defer conn.Close(context.Background())
	tick := time.NewTicker(replayPoll)
	defer tick.Stop()
	replayed := "nothing yet"
	for {
		var done bool
		err := conn.QueryRow(ctx, `SELECT coalesce(pg_last_wal_replay_lsn()::text, 'nothing yet'),
			coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false)`, target).Scan(&replayed, &done)
		switch {
		case err != nil && ctx.Err() == nil:
			return fmt.Errorf("standby: asking how far it replayed: %w", err)
		case done:
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("standby on 127.0.0.1:%d replayed up to %s, not yet the primary's %s: %w",
				s.port, replayed, target, ctx.Err())
		case <-tick.C:
		}
	}
}
