package generator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// SQLCTool is the package of sqlc's command, and SQLCVersion the version
// kvgen's output is generated and tested with.
const (
	SQLCTool    = sqlcModule + "/cmd/sqlc"
	SQLCVersion = "v1.31.1"
)

// sqlcModule is the module that holds SQLCTool.
const sqlcModule = "github.com/sqlc-dev/sqlc"

// ErrNoSQLC is returned when neither the module nor PATH provides sqlc.
var ErrNoSQLC = errors.New("kvgen: sqlc not found: add it to the module with `go get -tool " + SQLCTool + "@" + SQLCVersion + "`, or put sqlc on PATH")

// RunSQLC runs `sqlc generate -f config` as a child process in dir: sqlc
// calls os.Exit on errors, so it never runs inside kvgen. It prefers the
// module's own sqlc (`go tool sqlc`, pinned by go.mod), else a sqlc on PATH.
// sqlc resolves the paths in config relative to config's directory; config
// may be relative to dir. sqlc's messages are part of the error.
func RunSQLC(ctx context.Context, dir, config string) error {
	name, args, err := sqlcCommand(dir)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, name, append(args, "generate", "-f", config)...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		if msg == "" {
			return fmt.Errorf("kvgen: %s: %w", strings.Join(cmd.Args, " "), err)
		}
		return fmt.Errorf("kvgen: %s: %w:\n%s", strings.Join(cmd.Args, " "), err, msg)
	}
	return nil
}

// sqlcCommand returns how to start sqlc for the module holding dir.
func sqlcCommand(dir string) (string, []string, error) {
	if m, err := FindModule(dir); err == nil && m.HasTool(SQLCTool) {
		goCmd, err := exec.LookPath("go")
		if err != nil {
			return "", nil, fmt.Errorf("kvgen: %s declares sqlc as a tool, but the go command is not on PATH", m.Dir)
		}
		return goCmd, []string{"tool", "sqlc"}, nil
	}
	if p, err := exec.LookPath("sqlc"); err == nil {
		return p, nil, nil
	}
	return "", nil, ErrNoSQLC
}
