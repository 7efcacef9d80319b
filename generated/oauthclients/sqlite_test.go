package oauthclients_test

import (
	"context"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/kvtest"
	"github.com/kvgen/kvgen/kv/sqlitekv"
)

// newSQLite opens a new SQLite database file with the table created.
func newSQLite(t testing.TB) *sqlitekv.DB {
	t.Helper()
	db, err := sqlitekv.Open(context.Background(), "sqlite", filepath.Join(t.TempDir(), "clients.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := oauthclients.CreateSQLiteTable(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	return db
}

func newSQLiteStore(t testing.TB, db *sqlitekv.DB, enc kv.Encrypter) *oauthclients.Store {
	t.Helper()
	s, err := oauthclients.NewSQLite(db, oauthclients.Options{Encrypter: enc})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformanceSQLite(t *testing.T) {
	ring := newRing(t)
	kvtest.Run(t, kvtest.Suite[oauthclients.Client]{
		New:               func(t *testing.T) kv.Store[oauthclients.Client] { return newSQLiteStore(t, newSQLite(t), ring).KV() },
		Value:             client,
		Equal:             sameClient,
		Invalid:           invalidClient,
		DefaultCollection: oauthclients.DefaultCollection,
	})
}

func TestConformanceUntypedSQLite(t *testing.T) {
	ring := newRing(t)
	kvtest.RunJSON(t, kvtest.Suite[map[string]any]{
		New:               func(t *testing.T) kv.Store[map[string]any] { return newSQLiteStore(t, newSQLite(t), ring).Untyped() },
		DefaultCollection: oauthclients.DefaultCollection,
	})
}
