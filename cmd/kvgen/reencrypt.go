package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvgen/kvgen/generator"
	"github.com/kvgen/kvgen/generator/schema"
	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/pgkv"
)

// The environment of reencrypt: where the database and the keys come from,
// as for the servers that use the store. Neither is ever a flag, since a
// command line is visible to every user of the machine.
const (
	databaseURLEnv = "DATABASE_URL"
	keysEnv        = "KVGEN_ENCRYPTION_KEYS"
)

// reencryptOptions are the flags of reencrypt: what a run asks for besides
// its schemas.
type reencryptOptions struct {
	keysFile        string
	batch           int
	afterCollection string
	afterKey        string
}

func reencryptFlags(fs *flag.FlagSet) func(context.Context, *cli, []string) error {
	var r reencryptOptions
	fs.StringVar(&r.keysFile, "keys-file", "", "read the key ring from `file` when $"+keysEnv+" is unset")
	fs.IntVar(&r.batch, "batch", kv.DefaultReencryptBatch, "rows per read and per write: `n`")
	fs.StringVar(&r.afterCollection, "after-collection", "", "resume after this `collection`, as an interrupted run printed")
	fs.StringVar(&r.afterKey, "after-key", "", "resume after this `key` of -after-collection")
	return func(ctx context.Context, c *cli, args []string) error {
		schemas, err := loadSchemas("reencrypt", args)
		if err != nil {
			return err
		}
		return r.run(ctx, c, schemas)
	}
}

// run re-encrypts the table of schemas under the first key of the ring,
// and reports what it did.
func (r reencryptOptions) run(ctx context.Context, c *cli, schemas []*schema.Schema) error {
	table, err := reencryptTable(schemas)
	if err != nil {
		return err
	}
	if r.afterKey != "" && r.afterCollection == "" {
		return usageError("reencrypt: -after-key needs -after-collection, the collection it belongs to")
	}
	dsn := os.Getenv(databaseURLEnv)
	if dsn == "" {
		return usageError("reencrypt: $%s is not set: it names the database of table %s", databaseURLEnv, table)
	}
	ring, err := kv.LoadKeys(keysEnv, r.keysFile)
	if err != nil {
		return err
	}
	pool, err := openPool(ctx, "reencrypt", dsn)
	if err != nil {
		return err
	}
	defer pool.Close()
	t, err := pgkv.NewTable(pool, table)
	if err != nil {
		return err
	}
	done, err := kv.ReencryptTable(ctx, t, kv.ReencryptTableOptions{
		Encrypter: ring, Declared: declared(schemas), BatchSize: r.batch,
		AfterCollection: r.afterCollection, AfterKey: r.afterKey,
		Progress: func(res kv.ReencryptResult) { fmt.Fprintln(c.stderr, progressLine(table, res)) },
	})
	if err != nil {
		return reencryptError(table, done, err)
	}
	return reencryptSummary(c, table, done)
}

// reencryptTable is the one table of schemas, which hold no two records
// in one collection.
func reencryptTable(schemas []*schema.Schema) (string, error) {
	table, err := sharedTable(schemas)
	if err != nil {
		return "", err
	}
	// As generate refuses them: two records in one collection would
	// leave unsaid which one's sealed fields its rows hold.
	if err := generator.ValidateSet(schemas); err != nil {
		return "", err
	}
	return table, nil
}

// reencryptError is the error of a run that failed after the collections
// done: with the flags that resume it after the last row it rewrote.
func reencryptError(table string, done []kv.ReencryptResult, err error) error {
	if len(done) > 0 {
		last := done[len(done)-1]
		return fmt.Errorf("kvgen: reencrypt %s: %w\nresume with: -after-collection %q -after-key %q", table, err, last.Collection, last.Cursor)
	}
	return fmt.Errorf("kvgen: reencrypt %s: %w", table, err)
}

// reencryptSummary prints the totals of a run, and fails it with
// errIncomplete when concurrent writers kept rows under older keys.
func reencryptSummary(c *cli, table string, done []kv.ReencryptResult) error {
	var rewritten, scanned, conflicts int
	for _, r := range done {
		rewritten += r.Rewritten
		scanned += r.Scanned
		conflicts += r.Conflicts
	}
	fmt.Fprintf(c.stdout, "kvgen: reencrypt %s: %d collections, %d rows read, %d rewritten under the first key", table, len(done), scanned, rewritten)
	if conflicts > 0 {
		fmt.Fprintf(c.stdout, "; %d changed by another writer meanwhile and left as it wrote them: make every writer encrypt with the new key first, then run reencrypt again\n", conflicts)
		return errIncomplete
	}
	fmt.Fprintln(c.stdout, "; the other keys may leave the ring")
	return nil
}

// errIncomplete is a reencrypt run that left rows to concurrent writers,
// after saying so; it exits 1, as the old key must stay.
var errIncomplete = errors.New("reencrypt left rows under older keys")

// openPool connects to dsn for the command cmd. A DSN that does not parse
// is reported without the parser's words, which may quote part of a
// password.
func openPool(ctx context.Context, cmd, dsn string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("kvgen: %s: $%s is not a PostgreSQL connection string (a URL or key=value pairs)", cmd, databaseURLEnv)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 10 * time.Second // a host that never answers
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("kvgen: %s: $%s: %w", cmd, databaseURLEnv, err)
	}
	return pool, nil
}

// sharedTable is the one table the schemas name: reencrypt rotates a table,
// and needs the schema of every record stored in it.
func sharedTable(schemas []*schema.Schema) (string, error) {
	table := schemas[0].Table
	for _, s := range schemas[1:] {
		if s.Table != table {
			return "", usageError("reencrypt: %s stores in table %s, %s in %s: run reencrypt once per table, with the schemas of its records",
				schemas[0].Path, table, s.Path, s.Table)
		}
	}
	return table, nil
}

// declared maps each schema's collection to the paths of the members it
// seals one by one: where envelopes sit comes from the schemas, not from
// the data.
func declared(schemas []*schema.Schema) map[string][]string {
	out := make(map[string][]string, len(schemas))
	for _, s := range schemas {
		var fields []string
		if s.Encryption == schema.EncryptFields {
			fields = s.SensitivePaths()
		}
		out[s.Collection] = fields
	}
	return out
}

func progressLine(table string, r kv.ReencryptResult) string {
	return fmt.Sprintf("kvgen: reencrypt %s: collection %q: %d read, %d rewritten, %d left to their concurrent writer (at key %q)",
		table, r.Collection, r.Scanned, r.Rewritten, r.Conflicts, r.Cursor)
}
