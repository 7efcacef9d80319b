// Command kvgen generates a typed, encrypted key-value store over PostgreSQL
// from a YAML schema (see docs/design.md §8):
//
//	kvgen generate [flags] SCHEMA...   write the generated files, run sqlc, delete stale output
//	kvgen check [flags] SCHEMA...      exit 1 with a diff when the committed output is out of date
//	kvgen init [flags]                 scaffold a schema, sqlc.yaml and a //go:generate line
//	kvgen keygen                       print a new Fernet key
//
// Exit codes: 0 done, 1 drift or an error (invalid schema, sqlc), 2 usage.
package main

// This repository's own generated/, queries/ and sqlc.yaml, from its schema.
//go:generate go run . generate ../../schema/oauth_clients.yaml

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/kvgen/kvgen/generator"
	"github.com/kvgen/kvgen/kv"
)

const usage = `usage:
	kvgen generate [flags] SCHEMA...
	kvgen check [flags] SCHEMA...
	kvgen init [flags]
	kvgen keygen

flags of generate, check and init:
`

// errUsage marks a command line kvgen cannot run; it exits 2.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	err := dispatch(ctx, args, stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.Is(err, errDrift):
		return 1
	}
	fmt.Fprintln(stderr, err)
	return 1
}

// errDrift is returned by check after it printed the drift.
var errDrift = errors.New("drift")

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("kvgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	queries := fs.String("queries", generator.DefaultQueriesDir, "`dir`ectory of the DDL and queries, relative to the module root")
	out := fs.String("out", generator.DefaultOutDir, "`dir`ectory of the generated Go packages, relative to the module root")
	sqlc := fs.String("sqlc", generator.DefaultSQLCConfig, "`file` of the sqlc configuration, relative to the module root")
	moduleDir := fs.String("C", ".", "`dir`ectory inside the target module (its go.mod is searched upward)")
	if len(args) == 0 {
		fs.Usage()
		return errUsage
	}
	cmd := args[0]
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage // flag has printed the problem and the usage
	}
	paths := fs.Args()
	wantSchemas := cmd == "generate" || cmd == "check"
	switch {
	case cmd == "keygen" && len(args) == 1:
		key, err := kv.GenerateKey()
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, key)
		return nil
	case wantSchemas && len(paths) == 0, cmd == "init" && len(paths) > 0, !wantSchemas && cmd != "init":
		fs.Usage()
		return errUsage
	}

	mod, err := generator.FindModule(*moduleDir)
	if err != nil {
		return err
	}
	opts := generator.Options{ModulePath: mod.Path, ModuleDir: mod.Dir, QueriesDir: *queries, OutDir: *out, SQLCConfig: *sqlc}
	if cmd == "init" {
		res, err := generator.Init(ctx, opts)
		if err != nil {
			return err
		}
		for _, p := range res.Written {
			fmt.Fprintln(stdout, "wrote", p)
		}
		fmt.Fprintf(stdout, "next: `go get github.com/kvgen/kvgen` and `go get -tool github.com/kvgen/kvgen/cmd/kvgen`, then edit %s and run `go generate ./...`\n", generator.ExampleSchemaPath)
		return nil
	}
	schemas, err := generator.LoadSchemas(dedupe(paths))
	if err != nil {
		return err
	}
	if cmd == "generate" {
		_, err := generator.Write(ctx, schemas, opts)
		return err
	}
	drift, err := generator.Check(ctx, schemas, opts)
	if err != nil || drift == nil {
		return err
	}
	fmt.Fprint(stdout, drift.Diff())
	fmt.Fprint(stderr, drift.Summary())
	return errDrift
}

// dedupe drops repeated schema paths: a shell glob and an explicit name may
// both list a file, which is not a second record.
func dedupe(paths []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range paths {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}
