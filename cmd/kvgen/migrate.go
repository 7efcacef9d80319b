package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"

	"github.com/kvgen/kvgen/generator"
	"github.com/kvgen/kvgen/generator/render"
	"github.com/kvgen/kvgen/generator/schema"
	"github.com/kvgen/kvgen/kv/pgkv"
)

func migrateFlags(fs *flag.FlagSet) func(context.Context, *cli, []string) error {
	dropStale := fs.Bool("drop-stale", false, "drop, concurrently, the indexes kvgen built for fields that are no longer indexed")
	return func(ctx context.Context, c *cli, args []string) error {
		schemas, err := loadSchemas("migrate", args)
		if err != nil {
			return err
		}
		// As generate refuses them: the tables' DDL would not be the
		// generated stores'.
		if err := generator.ValidateSet(schemas); err != nil {
			return err
		}
		dsn := os.Getenv(databaseURLEnv)
		if dsn == "" {
			return usageError("migrate: $%s is not set: it names the database to migrate", databaseURLEnv)
		}
		pool, err := openPool(ctx, "migrate", dsn)
		if err != nil {
			return err
		}
		defer pool.Close()
		tables, err := generator.TableModels(schemas)
		if err != nil {
			return err
		}
		for _, table := range slices.Sorted(maps.Keys(tables)) {
			if err := migrateTable(ctx, c, pool, table, tables[table], *dropStale); err != nil {
				return err
			}
		}
		return nil
	}
}

// migrateTable brings one table to what the schemas of its records want,
// printing each action as it is reported.
func migrateTable(ctx context.Context, c *cli, conn pgkv.DBTX, table string, records []*schema.Model, dropStale bool) error {
	ddl, err := render.TableCreate(table)
	if err != nil {
		return err
	}
	found, err := render.Indexes(table, records)
	if err != nil {
		return err
	}
	indexes := make([]pgkv.Index, len(found))
	for i, idx := range found {
		indexes[i] = pgkv.Index{Name: idx.Name, Member: idx.JSONName}
	}
	done, err := pgkv.Migrate(ctx, conn, table, string(ddl), indexes, pgkv.MigrateOptions{DropStale: dropStale})
	for _, a := range done {
		fmt.Fprintf(c.stdout, "kvgen: migrate: %s\n", a)
	}
	if err != nil {
		return fmt.Errorf("kvgen: migrate %s: %w", table, err)
	}
	return nil
}
