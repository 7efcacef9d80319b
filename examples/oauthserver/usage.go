package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/kv"
)

// The server keeps rows of its own beside the clients, in collections of
// the same table that only Go writes: plaintext JSON, no secrets, each with
// a ttl. The client records cannot hold them: they are sealed whole
// (encryption: value), so nothing in them can be queried, and Python
// servers that share the table would not keep them up to date anyway.
const (
	// usageCollection holds, per client ID, when the client was last used.
	usageCollection = "oauthserver-client-usage"
	// registrationKeyCollection maps an idempotent registration's key to
	// the client it created (idempotent.go).
	registrationKeyCollection = "oauthserver-registration-keys"
	// codeCollection holds the authorization codes in flight (authorize.go).
	codeCollection = "oauthserver-authorization-codes"
)

// sideView returns the untyped view of a store opened without encryption
// (plainOptions) over the clients' table: the view through which the
// server's own collections are written.
func sideView(plain *oauthclients.Store, err error) (kv.Store[map[string]any], error) {
	if err != nil {
		return nil, err
	}
	return plain.Untyped(), nil
}

// plainOptions open the store that sideView takes its view from.
var plainOptions = oauthclients.Options{AllowPlaintext: true}

// Bounds of usage recording.
const (
	// usageRetention is the ttl of a usage row, rewritten at each recorded
	// use: longer than any reap age (maxReapAge) plus one recording interval,
	// so that a client in use always has its row.
	usageRetention = 400 * 24 * time.Hour
	// defaultUsageInterval is how often, at most, one client's use is written.
	defaultUsageInterval = time.Hour
	// maxUsageInterval bounds the interval: a client's recorded last use
	// lags its real one by less than the interval, and reaping must not
	// mistake that lag for disuse (minReapAge).
	maxUsageInterval = 24 * time.Hour
	// usageMemory bounds how many clients the server remembers having
	// recorded; beyond it, it forgets the oldest records.
	usageMemory = 100_000
)

// usageLog records when clients are used, coalescing writes: at most one
// per client per interval, whatever the number of requests and replicas.
// It remembers what it wrote; for a client it has not seen it reads the row
// first, and skips the write when another replica recorded a use within the
// interval. A write that loses a race to another replica is not retried:
// that replica recorded the same use.
type usageLog struct {
	rows     kv.Store[map[string]any]
	interval time.Duration
	now      func() time.Time
	log      *slog.Logger

	mu       sync.Mutex
	recorded map[string]time.Time // client ID → last use known to be stored
}

func newUsageLog(rows kv.Store[map[string]any], interval time.Duration, now func() time.Time, log *slog.Logger) *usageLog {
	if interval <= 0 {
		interval = defaultUsageInterval
	}
	return &usageLog{rows: rows, interval: interval, now: now, log: log, recorded: map[string]time.Time{}}
}

// touch records a use of client clientID now, unless one within the
// interval is stored. A failure is logged, never the request's failure.
func (u *usageLog) touch(ctx context.Context, clientID string) {
	now := u.now()
	if last, ok := u.lastRecorded(clientID); ok && now.Sub(last) < u.interval {
		return
	}
	e, version, err := u.rows.GetVersion(ctx, usageCollection, clientID)
	if err == nil && e.Found {
		if last, ok := usedAt(e.Value); ok && now.Sub(last) < u.interval {
			u.remember(clientID, last)
			return
		}
	}
	if err != nil {
		// An unreadable row is replaced: it holds nothing but a time.
		u.log.WarnContext(ctx, "reading a client's usage", "client_id", clientID, "err", err)
		err = u.rows.Put(ctx, usageCollection, clientID, usageRow(now), usageRetention)
	} else {
		_, err = u.rows.CompareAndSwap(ctx, usageCollection, clientID, version, usageRow(now), usageRetention)
	}
	if err != nil {
		u.log.WarnContext(ctx, "recording a client's use", "client_id", clientID, "err", err)
		return
	}
	u.remember(clientID, now)
}

func (u *usageLog) lastRecorded(clientID string) (time.Time, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	t, ok := u.recorded[clientID]
	return t, ok
}

// remember notes a stored use. Past usageMemory clients, the records older
// than the interval go (the next use of those clients reads the row again).
func (u *usageLog) remember(clientID string, at time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.recorded) >= usageMemory {
		cutoff := u.now().Add(-u.interval)
		for id, t := range u.recorded {
			if t.Before(cutoff) {
				delete(u.recorded, id)
			}
		}
	}
	if len(u.recorded) < usageMemory {
		u.recorded[clientID] = at
	}
}

// forget drops a deleted client's row.
func (u *usageLog) forget(ctx context.Context, clientID string) {
	u.mu.Lock()
	delete(u.recorded, clientID)
	u.mu.Unlock()
	if _, err := u.rows.Delete(ctx, usageCollection, clientID); err != nil {
		u.log.WarnContext(ctx, "deleting a client's usage", "client_id", clientID, "err", err)
	}
}

// usageRow is the stored form of a use at t: {"last_used_at": <Unix seconds>}.
func usageRow(t time.Time) map[string]any {
	return map[string]any{"last_used_at": t.Unix()}
}

// usedAt reads a usage row; false when it holds no valid time.
func usedAt(row map[string]any) (time.Time, bool) {
	n, ok := row["last_used_at"].(json.Number)
	if !ok {
		return time.Time{}, false
	}
	seconds, err := n.Int64()
	if err != nil || seconds <= 0 {
		return time.Time{}, false
	}
	return time.Unix(seconds, 0), true
}
