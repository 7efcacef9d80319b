package fieldsclients_test

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/kvgen/kvgen/internal/goonly/fieldsclients"
	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/kvtest"
	"github.com/kvgen/kvgen/kv/sqlitekv"
)

// newSQLiteStore is a fields-mode store over a new SQLite file.
func newSQLiteStore(t testing.TB, enc kv.Encrypter) (*fieldsclients.Store, *sqlitekv.DB) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlitekv.Open(ctx, "sqlite", filepath.Join(t.TempDir(), "clients.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := fieldsclients.CreateSQLiteTable(ctx, db); err != nil {
		t.Fatal(err)
	}
	s, err := fieldsclients.NewSQLite(db, fieldsclients.Options{Encrypter: enc})
	if err != nil {
		t.Fatal(err)
	}
	return s, db
}

// TestConformanceSQLite runs the KV conformance suite on the fields-mode
// store over SQLite.
func TestConformanceSQLite(t *testing.T) {
	ring := newRing(t)
	kvtest.Run(t, kvtest.Suite[fieldsclients.Client]{
		New: func(t *testing.T) kv.Store[fieldsclients.Client] {
			s, _ := newSQLiteStore(t, ring)
			return s.KV()
		},
		Value:             client,
		Equal:             sameClient,
		Invalid:           func() fieldsclients.Client { return fieldsclients.Client{TokenEndpointAuthMethod: "magic"} },
		DefaultCollection: fieldsclients.DefaultCollection,
	})
}

// TestFieldsSealedInPlaceSQLite: in the SQLite file the sensitive field is
// an envelope and the rest is plain JSON, which the finder of an indexed
// field searches through its index; the secret opens on the way out.
func TestFieldsSealedInPlaceSQLite(t *testing.T) {
	ctx := context.Background()
	s, db := newSQLiteStore(t, newRing(t))
	for i := range 5 {
		if err := s.Put(ctx, clientOf(fmt.Sprintf("client-%d", i), fmt.Sprintf("sw-%d", i%3))); err != nil {
			t.Fatal(err)
		}
	}
	var stored string
	if err := db.Reader().QueryRowContext(ctx, `SELECT value FROM oauth_clients WHERE key = 'client-1'`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stored, "secret-client-1") || !strings.Contains(stored, `"software_id":"sw-1"`) || !strings.Contains(stored, "__encrypted_data__") {
		t.Errorf("stored row: want the secret sealed in place and software_id plain:\n%s", stored)
	}
	found, err := s.FindBySoftwareID(ctx, "sw-1")
	if err != nil || !reflect.DeepEqual(ids(found), []string{"client-1", "client-4"}) {
		t.Fatalf("FindBySoftwareID = %v, %v", ids(found), err)
	}
	if found[0].ClientSecret.Reveal() != "secret-client-1" {
		t.Errorf("FindBySoftwareID did not open the secret")
	}
	if none, err := s.FindBySoftwareID(ctx, "sw-none"); err != nil || len(none) != 0 {
		t.Errorf("FindBySoftwareID of an unused value = %v, %v", ids(none), err)
	}
}
