package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"runtime/debug"
	"strings"

	"github.com/kvgen/kvgen/generator"
	"github.com/kvgen/kvgen/generator/schema"
	"github.com/kvgen/kvgen/kv"
)

// modulePath is kvgen's own module, and toolPackage its command as a tool.
const (
	modulePath  = "github.com/kvgen/kvgen"
	toolPackage = modulePath + "/cmd/kvgen"
)

// moduleFlags are the flags of the commands that write into a module.
type moduleFlags struct {
	queries, out, sqlc, dir *string
}

func addModuleFlags(fs *flag.FlagSet) moduleFlags {
	return moduleFlags{
		queries: fs.String("queries", generator.DefaultQueriesDir, "`dir`ectory of the DDL and queries, relative to the module root"),
		out:     fs.String("out", generator.DefaultOutDir, "`dir`ectory of the generated Go packages, relative to the module root"),
		sqlc:    fs.String("sqlc", generator.DefaultSQLCConfig, "`file` of the sqlc configuration, relative to the module root"),
		dir:     fs.String("C", ".", "`dir`ectory inside the target module (its go.mod is searched upward)"),
	}
}

// options finds the module and returns the generator's options for it.
func (f moduleFlags) options() (*generator.Module, generator.Options, error) {
	mod, err := generator.FindModule(*f.dir)
	if err != nil {
		return nil, generator.Options{}, err
	}
	return mod, generator.Options{ModulePath: mod.Path, ModuleDir: mod.Dir, QueriesDir: *f.queries, OutDir: *f.out, SQLCConfig: *f.sqlc}, nil
}

// loadSchemas expands the schema arguments and loads every schema.
func loadSchemas(cmd string, args []string) ([]*schema.Schema, error) {
	if len(args) == 0 {
		return nil, usageError("%s: no schema given; name the schema files, their directory, or a pattern such as 'schema/*.yaml'", cmd)
	}
	files, err := generator.SchemaFiles(args)
	if err != nil {
		return nil, err
	}
	return generator.LoadSchemas(files)
}

func generateFlags(fs *flag.FlagSet) func(context.Context, *cli, []string) error {
	mf := addModuleFlags(fs)
	return func(ctx context.Context, c *cli, args []string) error {
		schemas, err := loadSchemas("generate", args)
		if err != nil {
			return err
		}
		_, opts, err := mf.options()
		if err != nil {
			return err
		}
		opts.StubStaleGo = underGoGenerate()
		res, err := generator.Write(ctx, schemas, opts)
		if res != nil {
			for _, p := range res.Deleted {
				fmt.Fprintf(c.stdout, "kvgen: deleted %s (stale: the schemas no longer produce it)\n", p)
			}
			for _, p := range res.Stubbed {
				fmt.Fprintf(c.stdout, "kvgen: emptied %s (stale: the schemas no longer produce it; go generate is reading it, so the next run deletes it)\n", p)
			}
		}
		return err
	}
}

// underGoGenerate reports whether go generate runs kvgen: it sets $GOFILE
// and $GOPACKAGE for the commands of //go:generate lines.
func underGoGenerate() bool {
	return os.Getenv("GOFILE") != "" && os.Getenv("GOPACKAGE") != ""
}

func checkFlags(fs *flag.FlagSet) func(context.Context, *cli, []string) error {
	mf := addModuleFlags(fs)
	return func(ctx context.Context, c *cli, args []string) error {
		schemas, err := loadSchemas("check", args)
		if err != nil {
			return err
		}
		_, opts, err := mf.options()
		if err != nil {
			return err
		}
		drift, err := generator.Check(ctx, schemas, opts)
		if err != nil || drift == nil {
			return err
		}
		drift.Fix = generator.FixCommand(args, opts) // the schemas as the user named them
		fmt.Fprint(c.stdout, drift.Diff())
		fmt.Fprint(c.stderr, drift.Summary())
		return errDrift
	}
}

// The two ways to make kvgen a tool of a module: from a module proxy once
// kvgen is published, and from a clone until then (a replace needs a
// required version to replace, hence the placeholder).
const (
	installPublished = "go get -tool " + toolPackage + "@latest"
	installFromClone = "go mod edit -replace=" + modulePath + "=/path/to/kvgen -require=" + modulePath +
		"@v0.0.0-00010101000000-000000000000 -tool=" + toolPackage
)

func initFlags(fs *flag.FlagSet) func(context.Context, *cli, []string) error {
	mf := addModuleFlags(fs)
	return func(ctx context.Context, c *cli, args []string) error {
		if len(args) > 0 {
			return usageError("init takes no arguments, got %q; it writes %s and kvgen.go", args, generator.ExampleSchemaPath)
		}
		mod, opts, err := mf.options()
		if err != nil {
			return err
		}
		res, err := generator.Init(ctx, opts)
		if err != nil {
			return err
		}
		for _, p := range res.Written {
			fmt.Fprintln(c.stdout, "wrote", p)
		}
		fmt.Fprint(c.stdout, nextSteps(mod))
		return nil
	}
}

// nextSteps is what init prints last: how to make kvgen a tool when it is
// not one yet, then the commands that finish the set-up.
func nextSteps(mod *generator.Module) string {
	var b strings.Builder
	if !mod.HasTool(toolPackage) {
		fmt.Fprintf(&b, "\nkvgen is not a tool of %s yet, so go generate cannot run it; add it\n", mod.Path)
		fmt.Fprintf(&b, "\tfrom a module proxy: %s\n", installPublished)
		fmt.Fprintf(&b, "\tor from a clone:     %s\n", installFromClone)
	}
	fmt.Fprintf(&b, "\nnext:\n\tgo mod tidy        # the generated code imports pgx and kvgen's runtime\n\tgo build ./...\n")
	fmt.Fprintf(&b, "then edit %s (or add schemas to %s/) and run `go generate ./...`;\n", generator.ExampleSchemaPath, generator.SchemaDir)
	fmt.Fprintf(&b, "in CI, `go tool kvgen check %s` fails when the committed output is out of date.\n", generator.SchemaDir)
	return b.String()
}

func keygenFlags(fs *flag.FlagSet) func(context.Context, *cli, []string) error {
	out := fs.String("o", "", "write the key to `file`, created with mode 0600; an existing file is never overwritten")
	return func(_ context.Context, c *cli, args []string) error {
		if len(args) > 0 {
			return usageError("keygen takes no arguments, got %q; to write the key to a file, use -o FILE", args)
		}
		key, err := kv.GenerateKey()
		if err != nil {
			return err
		}
		if *out == "" {
			fmt.Fprintln(c.stdout, key)
			return nil
		}
		if err := writeKeyFile(*out, key); err != nil {
			return err
		}
		fmt.Fprintf(c.stderr, "kvgen: wrote a new Fernet key to %s (mode 0600); keep it: what it seals cannot be read without it\n", *out)
		return nil
	}
}

// writeKeyFile creates name, readable by its owner only (a umask can only
// narrow 0600), holding key. It never replaces a file: the key in it may be the only one that opens
// stored secrets.
func writeKeyFile(name, key string) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("kvgen: %s exists; keygen never overwrites a key file, since rows sealed with its key could no longer be read: name another file", name)
	}
	if err != nil {
		return fmt.Errorf("kvgen: %w", err)
	}
	if _, err := f.WriteString(key + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("kvgen: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("kvgen: %w", err)
	}
	return nil
}

func versionFlags(*flag.FlagSet) func(context.Context, *cli, []string) error {
	return func(_ context.Context, c *cli, args []string) error {
		if len(args) > 0 {
			return usageError("version takes no arguments, got %q", args)
		}
		fmt.Fprintln(c.stdout, "kvgen", version())
		return nil
	}
}

// version is kvgen's module version as the build recorded it: the version
// of a module proxy's download, "(devel)" in a build inside this
// repository, the placeholder version and the path of a replacement for a
// clone; and the Go version that built it.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown: the binary has no build information)"
	}
	m := &info.Main
	for _, d := range info.Deps {
		if m.Path != modulePath && d.Path == modulePath {
			m = d
		}
	}
	v := m.Version
	if v == "" {
		v = "(devel)"
	}
	if r := m.Replace; r != nil {
		v += " => " + r.Path
		if r.Version != "" && r.Version != "(devel)" {
			v += " " + r.Version
		}
	}
	return v + " " + info.GoVersion
}
