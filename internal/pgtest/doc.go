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
package pgtest
