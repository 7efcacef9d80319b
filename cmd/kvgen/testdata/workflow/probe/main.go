// Command probe is the program of the scratch server module that
// TestWorkflowInAnotherModule builds (as cmd/probe) against the store kvgen
// generated there. It reads and writes OAuth clients in the PostgreSQL
// database of DATABASE_URL, with the keys of KVGEN_ENCRYPTION_KEYS, as a
// server on the generated store would. It never names a field of the record
// in code, so it builds against every version of the schema the test makes.
//
//	probe put                 store the client read as JSON (plaintext secrets) from stdin
//	probe get ID [FIELD...]   print {"typed": {FIELD: value}, "untyped": {...}}
//	probe rename ID NAME      read the client, change client_name, write it back
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kvgen/kvgen/kv"

	"example.com/scratchserver/generated/oauthclients"
)

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: probe put | get ID [FIELD...] | rename ID NAME")
	}
	keys, err := kv.ParseKeys(os.Getenv("KVGEN_ENCRYPTION_KEYS"))
	if err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		return errors.New("DATABASE_URL is not a usable DSN")
	}
	defer pool.Close()
	if err := oauthclients.CreateTable(ctx, pool); err != nil {
		return fmt.Errorf("creating the table: %w", err)
	}
	store, err := oauthclients.New(pool, oauthclients.Options{Encrypter: keys})
	if err != nil {
		return err
	}
	switch cmd, rest := args[0], args[1:]; {
	case cmd == "put" && len(rest) == 0:
		return put(ctx, store, os.Stdin)
	case cmd == "get" && len(rest) >= 1:
		return get(ctx, store, rest[0], rest[1:])
	case cmd == "rename" && len(rest) == 2:
		return rename(ctx, store, rest[0], rest[1])
	}
	return fmt.Errorf("bad command line %q", args)
}

func put(ctx context.Context, store *oauthclients.Store, in io.Reader) error {
	var c oauthclients.Client
	if err := json.NewDecoder(in).Decode(&c); err != nil {
		return fmt.Errorf("reading the client: %w", err)
	}
	return store.Put(ctx, c)
}

// get reads the client through the typed store, which must decode it, and
// prints the asked fields of the Go struct beside the untyped view (every
// member of the stored object, sensitive ones decrypted).
func get(ctx context.Context, store *oauthclients.Store, id string, fields []string) error {
	c, ok, err := store.Get(ctx, id)
	if err != nil {
		return fmt.Errorf("typed get: %w", err)
	}
	if !ok {
		return fmt.Errorf("no client %q", id)
	}
	typed := map[string]any{}
	for _, name := range fields {
		v := reflect.ValueOf(c).FieldByName(name)
		if !v.IsValid() {
			return fmt.Errorf("the generated Client has no field %s", name)
		}
		typed[name] = v.Interface()
	}
	untyped, ok, err := store.Untyped().Get(ctx, "", id)
	if err != nil {
		return fmt.Errorf("untyped get: %w", err)
	}
	if !ok {
		return fmt.Errorf("no client %q in the untyped view", id)
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{"typed": typed, "untyped": untyped})
}

// rename rewrites the client through the typed store, as a server updating
// a registration does.
func rename(ctx context.Context, store *oauthclients.Store, id, name string) error {
	c, ok, err := store.Get(ctx, id)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("no client %q", id)
	}
	c.ClientName = name
	return store.Put(ctx, c)
}
