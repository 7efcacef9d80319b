package oauthclients_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/kv"
)

// TestTypedConditionalWrites runs the typed store's conditional writes on
// PostgreSQL: the kv.Store ones are in the conformance suite.
func TestTypedConditionalWrites(t *testing.T) {
	ctx := t.Context()
	s := newStore(t, newTable(t), newRing(t))
	c := faultRecord("c1", 1)
	if ok, err := s.CompareAndSwap(ctx, c, kv.Version{}); err != nil || !ok {
		t.Fatalf("CompareAndSwap(zero Version) of a new client = %v, %v; want true", ok, err)
	}
	if ok, err := s.CompareAndSwap(ctx, faultRecord("c1", 2), kv.Version{}); err != nil || ok {
		t.Errorf("CompareAndSwap(zero Version) of an existing client = %v, %v; want false", ok, err)
	}
	got, v1, found, err := s.GetVersion(ctx, "c1")
	if err != nil || !found || versionOf(got) != 1 || got.ClientSecret != c.ClientSecret {
		t.Fatalf("GetVersion = version %d, found %v, %v", versionOf(got), found, err)
	}
	got.ClientName = "renamed"
	if ok, err := s.CompareAndSwap(ctx, got, v1); err != nil || !ok {
		t.Fatalf("CompareAndSwap(current) = %v, %v; want true", ok, err)
	}
	if ok, err := s.CompareAndSwap(ctx, faultRecord("c1", 3), v1); err != nil || ok {
		t.Errorf("CompareAndSwap(stale) = %v, %v; want false", ok, err)
	}
	if ok, err := s.CompareAndSwap(ctx, invalidClient(), v1); err == nil || ok {
		t.Errorf("CompareAndSwap of an invalid client = %v, %v; want ErrInvalid", ok, err)
	}
	if ok, err := s.Replace(ctx, faultRecord("missing", 4)); err != nil || ok {
		t.Errorf("Replace of a missing client = %v, %v; want false", ok, err)
	}
	if ok, err := s.Replace(ctx, faultRecord("c1", 5)); err != nil || !ok {
		t.Errorf("Replace = %v, %v; want true", ok, err)
	}
	if ok, err := s.CompareAndDelete(ctx, "c1", v1); err != nil || ok {
		t.Errorf("CompareAndDelete(stale) = %v, %v; want false", ok, err)
	}
	_, v5, _, err := s.GetVersion(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := s.CompareAndDelete(ctx, "c1", v5); err != nil || !ok {
		t.Errorf("CompareAndDelete(current) = %v, %v; want true", ok, err)
	}
	if err := s.Put(ctx, faultRecord("c2", 6)); err != nil {
		t.Fatal(err)
	}
	taken, ok, err := s.GetAndDelete(ctx, "c2")
	if err != nil || !ok || versionOf(taken) != 6 || taken.ClientSecret != faultRecord("c2", 6).ClientSecret {
		t.Errorf("GetAndDelete = version %d, %v, %v; want the client, secret decrypted", versionOf(taken), ok, err)
	}
	if _, ok, err := s.Get(ctx, "c2"); err != nil || ok {
		t.Errorf("Get after GetAndDelete = %v, %v; want not found", ok, err)
	}
}

// pythonUpsert writes a row as py-key-value's PostgreSQLStore does: its
// upsert sets value, ttl and expires_at, and no column that Go alone would bump.
func pythonUpsert(t *testing.T, pool *pgxpool.Pool, key, value string, ttl *float64) {
	t.Helper()
	_, err := pool.Exec(context.Background(), `INSERT INTO oauth_clients (collection, key, value, ttl, created_at, expires_at)
		VALUES ($1, $2, $3, $4, now(), now() + make_interval(secs => $4))
		ON CONFLICT (collection, key) DO UPDATE SET value = EXCLUDED.value, ttl = EXCLUDED.ttl, expires_at = EXCLUDED.expires_at`,
		oauthclients.DefaultCollection, key, value, ttl)
	if err != nil {
		t.Fatal(err)
	}
}

// TestCompareAndSwapSeesPythonWrites: a Python server's write between a Go
// read and the Go write makes the write fail, so Python's write is never
// lost, whether it changed the value or only the expiry. A byte-identical
// rewrite (same JSON, same expiry) is the same version, as documented on
// kv.Version.
func TestCompareAndSwapSeesPythonWrites(t *testing.T) {
	ctx := t.Context()
	// The record of this key as a FastMCP server without encryption writes it.
	python := pyRow{Value: `{"client_id": "shared", "redirect_uris": ["https://py.example.com/cb"], "client_name": "written by Python"}`}
	pool := newTable(t)
	s := newStore(t, pool, newRing(t))
	if err := s.Put(ctx, faultRecord("shared", 1)); err != nil {
		t.Fatal(err)
	}
	_, goVersion, _, err := s.GetVersion(ctx, "shared")
	if err != nil {
		t.Fatal(err)
	}
	pythonUpsert(t, pool, "shared", python.Value, nil)
	if ok, err := s.CompareAndSwap(ctx, faultRecord("shared", 2), goVersion); err != nil || ok {
		t.Fatalf("CompareAndSwap after Python's write = %v, %v; want false", ok, err)
	}
	fromPython, pyVersion, found, err := s.GetVersion(ctx, "shared")
	if err != nil || !found || fromPython.ClientName == faultRecord("shared", 2).ClientName {
		t.Fatalf("GetVersion after Python's write = found %v, %v; want Python's client", found, err)
	}

	var stored string
	if err := pool.QueryRow(ctx, "SELECT value::text FROM oauth_clients WHERE key = 'shared'").Scan(&stored); err != nil {
		t.Fatal(err)
	}
	hundred := 100.0
	pythonUpsert(t, pool, "shared", stored, &hundred) // the same bytes, an expiry: a new version
	if ok, err := s.CompareAndSwap(ctx, faultRecord("shared", 3), pyVersion); err != nil || ok {
		t.Errorf("CompareAndSwap after Python changed the expiry only = %v, %v; want false", ok, err)
	}
	pythonUpsert(t, pool, "shared", stored, nil) // back to the bytes and expiry pyVersion read
	if ok, err := s.CompareAndSwap(ctx, faultRecord("shared", 4), pyVersion); err != nil || !ok {
		t.Errorf("CompareAndSwap after a byte-identical rewrite = %v, %v; want true (the same version)", ok, err)
	}
}
