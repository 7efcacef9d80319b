// Package pgtest gives tests a real PostgreSQL database.
//
// Each call to New or URL creates a fresh database (CREATE DATABASE with a
// unique name) on a server shared by every test in the test binary, and drops
// it WITH (FORCE) when the test ends, so tests never see each other's tables.
// NewICU does the same with a database whose collation is ICU's en-US, for
// tests of SQL whose behaviour must not depend on the database's collation.
//
// The shared server is resolved once per test binary:
//
//  1. DATABASE_URL, when set, is the admin connection: the role needs
//     CREATEDB, and the server PostgreSQL 13 or newer (DROP DATABASE ... WITH
//     (FORCE)). A DATABASE_URL that cannot be used fails the tests; the
//     harness does not fall back to a throwaway cluster behind the user's back.
//  2. Otherwise a throwaway cluster is started from the PostgreSQL server
//     binaries on the machine (KVGEN_PG_BIN, else initdb/pg_ctl on PATH, else
//     the usual package locations such as /usr/lib/postgresql/*/bin): initdb
//     into a temp dir, trust auth, listening on 127.0.0.1 only on a free
//     port. PostgreSQL refuses to run as root, so as root it runs as the
//     "postgres" OS user.
//
// When neither works the tests fail with what was tried and why. They skip
// instead only when KVGEN_SKIP_POSTGRES is set to a true value (1, true).
//
// Packages using the harness should stop the throwaway cluster
// deterministically from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// A cluster is never leaked even when that does not happen (no TestMain, a
// test timeout panic, SIGINT, SIGKILL): each cluster has a reaper, a tiny
// shell process in its own session that holds the read end of a pipe whose
// write end only the test process has. When the test process is gone, for
// whatever reason, the reaper sees end-of-file, shuts the postmaster down
// (SIGQUIT, the immediate-shutdown signal) and removes the temp dir.
//
// Fault-injection tests that stop and start the server get a private cluster
// from NewCluster, independent of DATABASE_URL; Server hands out the shared
// one, only when the harness owns it.
//
// # PgBouncer and standbys
//
// Production runs PostgreSQL behind PgBouncer in transaction pooling mode
// and with hot standbys; the harness gives tests both, in front of its own
// throwaway cluster (with DATABASE_URL set these tests fail, saying so).
//
// BouncerURL returns the DSN of a fresh database reached through a real
// PgBouncer (pool_mode = transaction, no prepared statement tracking),
// shared by the test binary, started on first use and stopped by Main; a
// redeploy of an application is a second pool opened on the same DSN.
// NewBouncer starts a private one in front of any harness cluster,
// a standby included. The binary is KVGEN_PGBOUNCER, else pgbouncer on
// PATH, else /usr/sbin/pgbouncer (Debian's package: apt-get install -y
// pgbouncer); as root it runs as the "postgres" OS user, as the cluster
// does, since PgBouncer too refuses root.
//
// SharedStandby returns a streaming hot standby of the shared cluster
// (pg_basebackup -R), started on first use and stopped by Main; NewStandby
// makes a private one of any harness cluster. Its URLs method creates a
// fresh database on the primary and returns its DSN there and on the
// standby; WaitReplay waits until the standby has replayed what the primary
// committed before the call. See Standby for how it sees the per-test
// databases come and go.
//
// Both have reapers, like the clusters, so neither outlives the test
// process.
package pgtest
