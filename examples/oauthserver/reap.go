package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/kv"
)

// Bounds of a reap's age: a client's recorded last use lags its real one by
// less than the usage interval (at most maxUsageInterval), and a usage row
// lives usageRetention, which must outlast the oldest reap age.
const (
	minReapAge      = maxUsageInterval
	maxReapAge      = 365 * 24 * time.Hour
	defaultReapPage = 500
)

// reapOptions configure Reap.
type reapOptions struct {
	// olderThan is the disuse that gets a client deleted.
	olderThan time.Duration
	// dryRun counts what would be deleted and deletes nothing.
	dryRun bool
	now    time.Time
	// pageSize is how many clients are read at a time; 0 is defaultReapPage.
	pageSize int
	// progress, when set, gets the counts after each page.
	progress func(reapReport)
	// beforeDelete, when set, runs between a client's read and its delete:
	// tests change or use the client there.
	beforeDelete func(clientID string)
}

// reapReport counts what Reap read and did.
type reapReport struct {
	// Scanned is the clients read.
	Scanned int `json:"scanned"`
	// Unused is the clients last used (or, never used, registered) before
	// the cutoff: deleted, or to be deleted by a run without dry run.
	Unused int `json:"unused"`
	// NeverUsed is those of Unused that have no usage row, dated by
	// client_id_issued_at (or cimd_fetched_at): never used since they
	// registered, or used only through a server that records no use.
	NeverUsed int `json:"never_used"`
	// Deleted is the clients deleted.
	Deleted int `json:"deleted"`
	// Changed is the unused clients kept because they were updated,
	// re-registered, deleted or used between the read and the delete.
	Changed int `json:"changed"`
	// Undated is the clients kept because nothing dates them: no usage
	// row, no client_id_issued_at, no cimd_fetched_at.
	Undated int `json:"undated"`
	// Unreadable is the clients kept because they cannot be decrypted or
	// decoded (a key missing from the ring): never deleted unseen.
	Unreadable int `json:"unreadable"`
}

// errReapAge is an age outside [minReapAge, maxReapAge].
var errReapAge = fmt.Errorf("the age must be at least %v (a recorded use may lag by the usage interval) "+
	"and at most %v (usage rows live %v)", minReapAge, maxReapAge, usageRetention)

// Reap deletes the clients not used for opts.olderThan: those whose last
// recorded use, or without one, whose issue time is before the cutoff. Each
// delete is a compare-and-delete on the version read, after a last look at
// the client's usage row: a client updated, re-registered or used since it
// was read is kept. Clients that cannot be dated or read are kept.
//
// Python servers sharing the table (FastMCP) record no use: their clients
// are dated by their issue time alone, and reaped once that is old enough
// however much they are used.
func Reap(ctx context.Context, clients *oauthclients.Store, rows kv.Store[map[string]any], opts reapOptions) (reapReport, error) {
	if opts.olderThan < minReapAge || opts.olderThan > maxReapAge {
		return reapReport{}, errReapAge
	}
	r := &reaper{clients: clients, rows: rows, opts: opts, cutoff: opts.now.Add(-opts.olderThan)}
	if r.opts.pageSize <= 0 {
		r.opts.pageSize = defaultReapPage
	}
	for after := ""; ; {
		keys, err := clients.KV().Keys(ctx, "", after, r.opts.pageSize)
		if err != nil || len(keys) == 0 {
			return r.report, err
		}
		if err := r.page(ctx, keys); err != nil {
			return r.report, err
		}
		after = keys[len(keys)-1]
		if opts.progress != nil {
			opts.progress(r.report)
		}
	}
}

type reaper struct {
	clients *oauthclients.Store
	rows    kv.Store[map[string]any]
	opts    reapOptions
	cutoff  time.Time
	report  reapReport
}

// page considers the clients of keys, with their usage rows read in one go.
func (r *reaper) page(ctx context.Context, keys []string) error {
	usage, err := r.rows.GetMany(ctx, usageCollection, keys)
	if err != nil && usage == nil {
		return fmt.Errorf("reading usage rows: %w", err)
	}
	badUsage := unreadableKeys(err)
	for i, key := range keys {
		r.report.Scanned++
		if badUsage[key] {
			r.report.Unreadable++
			continue
		}
		if err := r.consider(ctx, key, usage[i]); err != nil {
			return err
		}
	}
	return nil
}

// unreadableKeys lists the keys of the values that GetMany could not decode.
func unreadableKeys(err error) map[string]bool {
	out := map[string]bool{}
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) {
		return out
	}
	for _, e := range joined.Unwrap() {
		var ve *kv.ValueError
		if errors.As(e, &ve) {
			out[ve.Key] = true
		}
	}
	return out
}

// consider deletes one client if it is unused.
func (r *reaper) consider(ctx context.Context, key string, usage kv.Entry[map[string]any]) error {
	c, version, found, err := r.clients.GetVersion(ctx, key)
	switch {
	case errors.Is(err, kv.ErrDecrypt), errors.Is(err, kv.ErrCorrupt):
		r.report.Unreadable++
		return nil
	case err != nil:
		return fmt.Errorf("reading a client: %w", err)
	case !found: // deleted since the page was listed
		return nil
	}
	last, used := lastUse(c, usage)
	switch {
	case last.IsZero():
		r.report.Undated++
		return nil
	case !last.Before(r.cutoff):
		return nil
	}
	r.report.Unused++
	if !used {
		r.report.NeverUsed++
	}
	if r.opts.dryRun {
		return nil
	}
	return r.delete(ctx, key, version)
}

// delete removes an unused client at version, unless a use was recorded
// since its usage row was read; then its usage row.
func (r *reaper) delete(ctx context.Context, key string, version kv.Version) error {
	if r.opts.beforeDelete != nil {
		r.opts.beforeDelete(key)
	}
	fresh, found, err := r.rows.Get(ctx, usageCollection, key)
	if err != nil {
		return fmt.Errorf("reading a usage row: %w", err)
	}
	if t, ok := usedAt(fresh); found && ok && !t.Before(r.cutoff) {
		r.report.Changed++
		return nil
	}
	deleted, err := r.clients.CompareAndDelete(ctx, key, version)
	if err != nil {
		return fmt.Errorf("deleting a client: %w", err)
	}
	if !deleted {
		r.report.Changed++
		return nil
	}
	r.report.Deleted++
	if _, err := r.rows.Delete(ctx, usageCollection, key); err != nil {
		return fmt.Errorf("deleting a usage row: %w", err)
	}
	return nil
}

// lastUse is the latest of c's recorded use, its issue time and its
// metadata document's fetch (a client that was never used is as old as its
// registration), and whether a use was recorded.
func lastUse(c oauthclients.Client, usage kv.Entry[map[string]any]) (time.Time, bool) {
	var last time.Time
	used := false
	if usage.Found {
		last, used = usedAt(usage.Value)
	}
	if issued := c.ClientIDIssuedAt; issued.Unix() > 0 && issued.After(last) {
		last = issued
	}
	if c.CimdFetchedAt != nil {
		if fetched := unixSeconds(*c.CimdFetchedAt); fetched.After(last) {
			last = fetched
		}
	}
	return last, used
}
