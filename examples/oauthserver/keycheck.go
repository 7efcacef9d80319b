package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/kv"
)

// keySampleSize is how many stored clients the start-up and /healthz try
// to open: enough to tell a wrong key ring from one damaged row, few enough
// to be cheap.
const keySampleSize = 8

// keySample is what the key ring made of a sample of the stored clients.
type keySample struct {
	sampled int // clients read
	opened  int // read and decrypted
	shut    int // failed with kv.ErrDecrypt: sealed with a key the ring lacks, or no ring
}

// recentPostgresClients lists the keys of the most recently written
// clients, unexpired, at most keySampleSize.
func recentPostgresClients(ctx context.Context, pool *pgxpool.Pool) ([]string, error) {
	rows, err := pool.Query(ctx, `SELECT key FROM oauth_clients
		WHERE collection = $1 AND (expires_at IS NULL OR expires_at > now())
		ORDER BY created_at DESC NULLS LAST LIMIT $2`, oauthclients.DefaultCollection, keySampleSize)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// storedKeyStatus is the key status of /healthz: what the key ring makes
// of the clients recent lists; configured says whether a ring was given.
func storedKeyStatus(recent func(context.Context) ([]string, error), clients *oauthclients.Store, configured bool) func(context.Context) (string, bool) {
	return func(ctx context.Context) (string, bool) {
		s, err := sampleKeys(ctx, recent, clients)
		if err != nil {
			return "unknown: the stored clients cannot be read", false
		}
		return s.keyStatus(configured), !s.wrongKeys()
	}
}

// sampleKeys reads the clients that recent lists (the most recently
// written, at most keySampleSize, unexpired) through the store, as a
// request would.
func sampleKeys(ctx context.Context, recent func(context.Context) ([]string, error), clients *oauthclients.Store) (keySample, error) {
	keys, err := recent(ctx)
	if err != nil {
		return keySample{}, err
	}
	var s keySample
	for _, key := range keys {
		_, found, err := clients.Get(ctx, key)
		switch {
		case errors.Is(err, kv.ErrDecrypt):
			s.shut++
		case err != nil && !errors.Is(err, kv.ErrCorrupt):
			return s, err
		case found && err == nil:
			s.opened++
		}
		s.sampled++
	}
	return s, nil
}

// wrongKeys reports whether the ring opens none of the sampled clients
// that are sealed: every request for them would fail.
func (s keySample) wrongKeys() bool { return s.shut > 0 && s.opened == 0 }

// keyRefusal is the start-up's refusal when the key ring, named by source
// ("" for none configured), opens none of the sampled clients.
func keyRefusal(s keySample, source string) error {
	if source == "" {
		return fmt.Errorf("refusing to start: no encryption key is configured, but %d of the %d most recent clients in oauth_clients "+
			"are sealed with one; set $%s or -key-file to the key they were sealed with", s.shut, s.sampled, keysEnv)
	}
	return fmt.Errorf("refusing to start: the encryption keys from %s open none of the %d most recent clients in oauth_clients "+
		"(%d are sealed with another key), so every request for them would fail; give the key they were sealed with "+
		"(to rotate, put a new key first and keep the old one after it)", source, s.sampled, s.shut)
}

// keyStatus is the "keys" member of /healthz.
func (s keySample) keyStatus(configured bool) string {
	switch {
	case s.wrongKeys() && configured:
		return fmt.Sprintf("wrong: the keys open none of the %d most recent clients", s.sampled)
	case s.wrongKeys():
		return fmt.Sprintf("missing: %d of the %d most recent clients are sealed, and no key is configured", s.shut, s.sampled)
	case s.shut > 0:
		return fmt.Sprintf("partial: %d of the %d most recent clients do not open", s.shut, s.sampled)
	case !configured:
		return "none configured"
	}
	return "ok"
}
