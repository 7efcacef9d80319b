package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// runReap is `oauthserver reap`: Reap over the database, with its counts
// as log lines on stderr after each page and a summary on stdout. Run it
// with -dry-run first: the summary says how many clients a real run would
// delete.
func runReap(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	cfg, opts, err := parseReapConfig(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		log.Error("invalid command line", "err", err.Error())
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	startCtx, cancel := context.WithTimeout(ctx, startupTimeout)
	store, err := openStorage(startCtx, cfg, log)
	cancel()
	if err != nil {
		log.Error("cannot reap: " + err.Error())
		return 1
	}
	defer store.close()

	opts.now = time.Now()
	opts.progress = func(r reapReport) { log.Info("reaping", reapAttrs(r, opts.dryRun)...) }
	report, err := Reap(ctx, store.clients, store.side, opts)
	fmt.Fprintln(stdout, reapSummary(report, opts))
	if err != nil {
		log.Error("reaping stopped", "err", err.Error())
		return 1
	}
	return 0
}

// parseReapConfig reads reap's flags: the age, -dry-run, and the storage.
// A database is required: the memory store of a new process holds nothing.
func parseReapConfig(args []string, getenv func(string) string, stderr io.Writer) (storageConfig, reapOptions, error) {
	fs := flag.NewFlagSet("oauthserver reap", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg storageConfig
	var opts reapOptions
	fs.DurationVar(&opts.olderThan, "older-than", 0,
		fmt.Sprintf("delete the clients not used for this long, e.g. 720h for 30 days (%v to %v)", minReapAge, maxReapAge))
	fs.BoolVar(&opts.dryRun, "dry-run", false, "count the clients a run would delete, and delete none")
	storageFlags(fs, &cfg)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: oauthserver reap -older-than DURATION [-dry-run] [flags]\n\n"+
			"Deletes the clients not used for DURATION: by their last recorded use, or, never used, by their issue time.\n"+
			"Run it with -dry-run first. Encryption keys come from $"+keysEnv+" or -key-file.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return cfg, opts, err
	}
	resolveStorage(&cfg, getenv)
	if cfg.databaseURL == "" && cfg.dbPath != "" {
		if _, err := os.Stat(cfg.dbPath); err != nil {
			cfg.dbPath = "" // a SQLite file that is not there holds nothing to reap
		}
	}
	switch {
	case fs.NArg() > 0:
		return cfg, opts, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	case opts.olderThan < minReapAge || opts.olderThan > maxReapAge:
		return cfg, opts, fmt.Errorf("-older-than: %w", errReapAge)
	case cfg.memory || (cfg.databaseURL == "" && cfg.dbPath == ""):
		return cfg, opts, errors.New("reap needs a database: set DATABASE_URL or -database-url, or -db FILE, an existing SQLite file")
	}
	return cfg, opts, nil
}

func reapAttrs(r reapReport, dryRun bool) []any {
	return []any{"dry_run", dryRun, "scanned", r.Scanned, "unused", r.Unused, "never_used", r.NeverUsed,
		"deleted", r.Deleted, "changed", r.Changed, "undated", r.Undated, "unreadable", r.Unreadable}
}

// reapSummary is the line reap prints when it ends.
func reapSummary(r reapReport, opts reapOptions) string {
	cutoff := opts.now.Add(-opts.olderThan).UTC().Format(time.RFC3339)
	verb := fmt.Sprintf("deleted %d", r.Deleted)
	if opts.dryRun {
		verb = fmt.Sprintf("dry run: would delete %d", r.Unused)
	}
	return fmt.Sprintf("%s of %d clients not used since %s (%d of them never used, dated by their issue time); "+
		"kept: %d changed or used meanwhile, %d undated, %d unreadable",
		verb, r.Scanned, cutoff, r.NeverUsed, r.Changed, r.Undated, r.Unreadable)
}
