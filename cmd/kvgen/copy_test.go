package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/internal/pgtest"
	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/sqlitekv"
)

// copied is a row as the test compares it across engines: the value's
// sealed text and the instants to the microsecond (PostgreSQL's resolution).
type copied struct {
	sealed                       string
	ttl                          float64
	createdMicros, expiresMicros int64
}

func micros(v *float64) int64 {
	if v == nil {
		return -1
	}
	return int64(*v*1e6 + 0.5)
}

// sqliteRows reads every row of the SQLite file, by "collection/key".
func sqliteRows(t *testing.T, path string) map[string]copied {
	t.Helper()
	db, err := sqlitekv.Open(t.Context(), "sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	side := &sqliteSide{db: db, table: `"oauth_clients"`}
	rows, err := side.read(t.Context(), cursor{}, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	return byKey(rows)
}

func pgRows(t *testing.T, dsn string) map[string]copied {
	t.Helper()
	pool, err := openPool(t.Context(), "copy", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	side := &pgSide{pool: pool, table: pgx.Identifier{"oauth_clients"}.Sanitize()}
	rows, err := side.read(t.Context(), cursor{}, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	return byKey(rows)
}

// byKey keeps of each row what a migration must carry over. The value is
// compared by its sealed token, which must be the same bytes: PostgreSQL
// rewrites the JSON around it (jsonb), never the token.
func byKey(rows []tableRow) map[string]copied {
	out := map[string]copied{}
	for _, r := range rows {
		m := copied{sealed: sealedToken(r.value), createdMicros: micros(r.createdAt), expiresMicros: micros(r.expiresAt)}
		if r.ttl != nil {
			m.ttl = *r.ttl
		}
		out[r.collection+"/"+r.key] = m
	}
	return out
}

func sealedToken(value string) string {
	_, rest, ok := strings.Cut(value, `"__encrypted_data__"`)
	if !ok {
		return "plaintext:" + value
	}
	rest = strings.TrimLeft(rest, ": ")
	token, _, _ := strings.Cut(strings.TrimPrefix(rest, `"`), `"`)
	return token
}

// TestCopy copies a SQLite store's table into PostgreSQL, where the
// store reads every record with the same key ring, and back into a new
// SQLite file, and checks that every row crossed both ways with its sealed
// value byte for byte, its ttl and its instants; a run resumed from a
// cursor copies only the rows after it.
func TestCopy(t *testing.T) {
	ctx := context.Background()
	ring, err := kv.ParseKeys(mustKey(t))
	if err != nil {
		t.Fatal(err)
	}
	source := filepath.Join(t.TempDir(), "clients.db")
	db, err := sqlitekv.Open(ctx, "sqlite", source)
	if err != nil {
		t.Fatal(err)
	}
	if err := oauthclients.CreateSQLiteTable(ctx, db); err != nil {
		t.Fatal(err)
	}
	lite, err := oauthclients.NewSQLite(db, oauthclients.Options{Encrypter: ring})
	if err != nil {
		t.Fatal(err)
	}
	const n = 7
	for i := range n {
		c := oauthclients.Client{ClientID: fmt.Sprintf("c%d", i), RedirectURIs: []string{"https://a.example/cb"}, ClientSecret: kv.Secret(fmt.Sprintf("secret-%d", i))}
		if err := lite.KV().Put(ctx, "", c.ClientID, c, time.Duration(i)*time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if err := lite.Untyped().Put(ctx, "tokens", "t1", map[string]any{"access_token": "tok"}, 0); err != nil {
		t.Fatal(err)
	}
	db.Close()
	want := sqliteRows(t, source)

	dsn := pgtest.URL(t)
	t.Setenv(databaseURLEnv, dsn)
	schemaPath := filepath.Join("..", "..", "schema", "oauth_clients.yaml")
	stdout := kvgenCopy(t, "-to", "postgresql", "-sqlite", source, "-batch", "3", schemaPath)
	if !strings.Contains(stdout, fmt.Sprintf("%d rows copied to PostgreSQL", n+1)) {
		t.Errorf("copy printed %q", stdout)
	}
	compareRows(t, "SQLite → PostgreSQL", want, pgRows(t, dsn))

	pool, err := openPool(ctx, "copy", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	pgStore, err := oauthclients.New(pool, oauthclients.Options{Encrypter: ring})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		c, ok, err := pgStore.Get(ctx, fmt.Sprintf("c%d", i))
		if err != nil || !ok || c.ClientSecret.Reveal() != fmt.Sprintf("secret-%d", i) {
			t.Errorf("c%d on PostgreSQL: found %v, %v", i, ok, err)
		}
	}

	back := filepath.Join(t.TempDir(), "back.db")
	kvgenCopy(t, "-to", "sqlite", "-sqlite", back, schemaPath)
	compareRows(t, "PostgreSQL → SQLite", want, sqliteRows(t, back))

	// Resumed after c3 into a new database: c4, c5, c6 and tokens/t1.
	fresh := pgtest.URL(t)
	t.Setenv(databaseURLEnv, fresh)
	kvgenCopy(t, "-to", "postgresql", "-sqlite", source, "-after-collection", oauthclients.DefaultCollection, "-after-key", "c3", schemaPath)
	var resumed []string
	for k := range pgRows(t, fresh) {
		resumed = append(resumed, k)
	}
	slices.Sort(resumed)
	if want := []string{oauthclients.DefaultCollection + "/c4", oauthclients.DefaultCollection + "/c5", oauthclients.DefaultCollection + "/c6", "tokens/t1"}; !slices.Equal(resumed, want) {
		t.Errorf("the resumed run copied %q, want %q", resumed, want)
	}
}

func mustKey(t *testing.T) string {
	t.Helper()
	k, err := kv.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func kvgenCopy(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if err := dispatch(t.Context(), append([]string{"copy"}, args...), &stdout, &stderr); err != nil {
		t.Fatalf("kvgen copy %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "rows copied, at collection") {
		t.Errorf("no progress on stderr:\n%s", stderr.String())
	}
	return stdout.String()
}

func compareRows(t *testing.T, what string, want, got map[string]copied) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d rows, want %d", what, len(got), len(want))
	}
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			t.Errorf("%s: %s missing", what, k)
		case g.sealed != w.sealed:
			t.Errorf("%s: %s: the sealed value changed", what, k)
		case g.ttl != w.ttl || g.createdMicros != w.createdMicros || g.expiresMicros != w.expiresMicros:
			t.Errorf("%s: %s: ttl/created/expires %v, want %v", what, k, g, w)
		}
	}
}
