// Command kvgen generates a typed, encrypted key-value store over PostgreSQL
// and SQLite from a YAML schema (see docs/design.md §8). `kvgen help` lists
// its commands (the table commands below is their one source), and
// `kvgen help COMMAND` describes one with its flags.
//
// A SCHEMA is a file, a directory (its *.yaml and *.yml files) or a pattern
// such as schema/*.yaml, which kvgen expands itself since go generate runs
// no shell. Flags may come before or after the schemas.
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
	"slices"
	"strings"

	"github.com/kvgen/kvgen/generator"
)

// usageTail follows the list of commands in the usage.
const usageTail = `
A SCHEMA is a file, a directory (its *.yaml and *.yml files) or a pattern
such as 'schema/*.yaml'. Flags may come before or after the schemas.
Exit codes: 0 done, 1 drift or an error, 2 a usage error.
`

// usage is kvgen's help: a line per command, from commands.
func usage() string {
	var b strings.Builder
	b.WriteString("usage:\n")
	line := func(synopsis, short string) { fmt.Fprintf(&b, "\tkvgen %-28s %s\n", synopsis, short) }
	for _, c := range commands {
		line(strings.TrimSpace(c.name+" "+c.args), c.short)
	}
	line("help [command]", "print this help, or a command's (so do -h and --help)")
	b.WriteString(usageTail)
	return b.String()
}

// usageErr is a command line kvgen cannot run, saying what was wrong; it exits 2.
type usageErr struct {
	msg       string
	showUsage bool // print the whole usage after msg
}

func (e *usageErr) Error() string { return e.msg }

// errDrift is returned by check after it printed the drift; it exits 1.
var errDrift = errors.New("drift")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	err := dispatch(ctx, args, stdout, stderr)
	var ue *usageErr
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue) && ue.showUsage:
		fmt.Fprintf(stderr, "kvgen: %v\n%s", err, usage())
		return 2
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "kvgen: %v\nrun 'kvgen help' for usage\n", err)
		return 2
	case errors.Is(err, errDrift), errors.Is(err, errIncomplete):
		return 1
	}
	fmt.Fprintln(stderr, err)
	return 1
}

func usageError(format string, args ...any) error {
	return &usageErr{msg: fmt.Sprintf(format, args...)}
}

// command is one of kvgen's commands: its flags and what it does with them
// and its arguments. short is its line in the usage, summary what
// `kvgen help` of it says.
type command struct {
	name, args, short, summary string
	flags                      func(fs *flag.FlagSet) func(ctx context.Context, c *cli, args []string) error
}

// cli is what a command writes to.
type cli struct{ stdout, stderr io.Writer }

var commands = []*command{
	{name: "generate", args: "[flags] SCHEMA...", short: "write the generated files, run sqlc, delete stale output", summary: "write the generated files, run sqlc, and delete the files an earlier run generated that the schemas no longer produce", flags: generateFlags},
	{name: "check", args: "[flags] SCHEMA...", short: "exit 1 with a diff and the fix command on drift", summary: "exit 1 with a diff and the command that fixes it when a generated file is changed, missing or stale", flags: checkFlags},
	{name: "init", args: "[flags]", short: "scaffold schema/, sqlc.yaml and kvgen.go with the //go:generate line", summary: "scaffold " + generator.ExampleSchemaPath + ", kvgen.go (the //go:generate line), sqlc.yaml and everything generate makes of them", flags: initFlags},
	{name: "keygen", args: "[-o file]", short: "print a new Fernet key, or write it to a new file (mode 0600)", summary: "print a new Fernet key (the format of Python's Fernet.generate_key()), or write it to a new file of mode 0600", flags: keygenFlags},
	{name: "reencrypt", args: "[flags] SCHEMA...", short: "re-encrypt every row of the schemas' table under the first key", summary: "re-encrypt every row of the schemas' table, every collection, under the first key of $KVGEN_ENCRYPTION_KEYS (or -keys-file), in $DATABASE_URL; give the schema of every record stored in the table", flags: reencryptFlags},
	{name: "migrate", args: "[flags] SCHEMA...", short: "create the tables, build their field indexes without blocking writes", summary: "create the schemas' tables in $DATABASE_URL if missing, then build the indexes of their indexed fields without blocking writes (CREATE INDEX CONCURRENTLY, outside a transaction), rebuilding INVALID ones, and report each; give the schema of every record stored in a table, or its other records' indexes are taken for stale", flags: migrateFlags},
	{name: "copy", args: "[flags] SCHEMA...", short: "copy the schemas' table between a SQLite file and PostgreSQL", summary: "copy every row of the schemas' table, as stored (ciphertext untouched, no key needed), from the SQLite file -sqlite to $DATABASE_URL (-to postgresql) or back (-to sqlite), in batches it reports and resumes from", flags: copyFlags},
	{name: "version", args: "", short: "print kvgen's module version", summary: "print kvgen's module version", flags: versionFlags},
}

func lookup(name string) *command {
	i := slices.IndexFunc(commands, func(c *command) bool { return c.name == name })
	if i < 0 {
		return nil
	}
	return commands[i]
}

func isHelp(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := &cli{stdout: stdout, stderr: stderr}
	switch {
	case len(args) == 0:
		return &usageErr{msg: "no command given", showUsage: true}
	case isHelp(args[0]):
		fmt.Fprint(stdout, usage())
		return nil
	case args[0] == "help":
		return help(c, args[1:])
	case args[0] == "--version" || args[0] == "-version":
		args = []string{"version"}
	}
	cmd := lookup(args[0])
	if cmd == nil {
		return usageError("unknown command %q; the commands are %s", args[0], commandNames())
	}
	fs := flag.NewFlagSet("kvgen "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parse errors are returned, and printed once by run
	runCmd := cmd.flags(fs)
	positional, err := parseInterleaved(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		cmd.printUsage(stdout, fs)
		return nil
	}
	if err != nil {
		return usageError("%s: %v", cmd.name, err)
	}
	return runCmd(ctx, c, positional)
}

// parseInterleaved parses flags wherever they stand among the arguments
// (`kvgen generate schema -out gen` as well as `kvgen generate -out gen
// schema`) and returns the other arguments; after "--" every argument is one.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var tail []string
	if i := slices.Index(args, "--"); i >= 0 {
		args, tail = args[:i], args[i+1:]
	}
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return append(positional, tail...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

func help(c *cli, args []string) error {
	switch {
	case len(args) == 0:
		fmt.Fprint(c.stdout, usage())
		return nil
	case len(args) > 1:
		return usageError("help takes one command, got %q", args)
	}
	cmd := lookup(args[0])
	if cmd == nil {
		return usageError("no help for unknown command %q; the commands are %s", args[0], commandNames())
	}
	fs := flag.NewFlagSet("kvgen "+cmd.name, flag.ContinueOnError)
	cmd.flags(fs)
	cmd.printUsage(c.stdout, fs)
	return nil
}

func (cmd *command) printUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: kvgen %s %s\n\n%s.\n", cmd.name, cmd.args, cmd.summary)
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprintf(w, "\nflags:\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
}

func commandNames() string {
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}
