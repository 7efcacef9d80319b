package docs

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kvgen/kvgen/internal/checkout"
	"github.com/kvgen/kvgen/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// The README's shell blocks are run by TestReadme, in order, in one bash
// process, as a user pastes them into one terminal. Every ```sh block has a
// marker, an HTML comment on the line before it (invisible on GitHub), and
// the marker is the only difference between what runs and what a user
// pastes:
//
//	<!-- readme-test: run -->                     run verbatim
//	<!-- readme-test: run; supplied: 8080 -->     run with each listed value replaced by the test's (suppliedValues)
//	<!-- readme-test: instead NAME: why -->       run the test's set-up NAME instead (insteadScripts)
//	<!-- readme-test: skip: why -->               not run; why says what proves it instead
//
// The script runs with `set -euo pipefail`, so a failing command fails the
// test; the blocks use `curl -f` so that an HTTP error fails too.
var markerLine = regexp.MustCompile(`^<!-- readme-test: (.*) -->$`)

// block is one shell block of the README and what its marker asks.
type block struct {
	line     int // of the opening fence, 1-based
	text     string
	action   string   // run, instead, skip
	supplied []string // values the test replaces (run)
	instead  string   // name of the set-up that replaces the block (instead)
}

// parseReadme returns the shell blocks of a Markdown document. A shell block
// without a marker, a marker without a block, an unknown action or a
// supplied value the block does not hold is an error.
func parseReadme(doc string) ([]block, error) {
	lines := strings.Split(doc, "\n")
	var (
		blocks []block
		errs   []error
		marker string
		mline  int
	)
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if m := markerLine.FindStringSubmatch(l); m != nil {
			marker, mline = m[1], i+1
			continue
		}
		fence, ok := strings.CutPrefix(l, "```")
		if !ok {
			if marker != "" && strings.TrimSpace(l) != "" {
				errs = append(errs, fmt.Errorf("README.md:%d: a readme-test marker must be followed by a ```sh block", mline))
				marker = ""
			}
			continue
		}
		var body []string
		start := i + 1
		for i++; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
			body = append(body, lines[i])
		}
		isShell := fence == "sh" || fence == "bash" || fence == "shell"
		switch {
		case isShell && marker == "":
			errs = append(errs, fmt.Errorf("README.md:%d: a ```%s block without a readme-test marker: say whether the test runs it", start, fence))
		case isShell:
			b, err := parseMarker(marker, block{line: start, text: strings.Join(body, "\n") + "\n"})
			if err != nil {
				errs = append(errs, fmt.Errorf("README.md:%d: %w", mline, err))
			} else {
				blocks = append(blocks, b)
			}
		case marker != "":
			errs = append(errs, fmt.Errorf("README.md:%d: a readme-test marker on a ```%s block, which is not shell", mline, fence))
		}
		marker = ""
	}
	return blocks, errors.Join(errs...)
}

func parseMarker(marker string, b block) (block, error) {
	switch action, rest, _ := strings.Cut(marker, " "); {
	case marker == "run":
		b.action = "run"
	case action == "run;":
		values, ok := strings.CutPrefix(rest, "supplied: ")
		if !ok {
			return b, fmt.Errorf("want `run; supplied: VALUE, ...`, not %q", marker)
		}
		b.action = "run"
		for _, v := range strings.Split(values, ", ") {
			if _, known := suppliedValues[v]; !known {
				return b, fmt.Errorf("the test supplies no value for %q", v)
			}
			if !strings.Contains(b.text, v) {
				return b, fmt.Errorf("%q is supplied, but the block does not hold it", v)
			}
			b.supplied = append(b.supplied, v)
		}
	case action == "instead":
		name, why, _ := strings.Cut(rest, ": ")
		if _, known := insteadScripts[name]; !known || why == "" {
			return b, fmt.Errorf("want `instead NAME: why` with NAME one of the test's set-ups, not %q", marker)
		}
		b.action, b.instead = "instead", name
	case strings.HasPrefix(marker, "skip: ") && len(marker) > len("skip: "):
		b.action = "skip"
	default:
		return b, fmt.Errorf("unknown readme-test marker %q", marker)
	}
	return b, nil
}

// readmeEnv is what the test supplies: the values of the README it replaces
// and the directories and database of the run.
type readmeEnv struct {
	port        string // for 8080: a free port, so that parallel runs do not collide
	checkout    string // a copy of this checkout, standing for a fresh clone
	databaseURL string // a fresh database of internal/pgtest's server
}

// suppliedValues are the README's values that a marker may list, and what
// the test puts in their place.
var suppliedValues = map[string]func(readmeEnv) string{
	"8080":           func(e readmeEnv) string { return e.port },
	"/path/to/kvgen": func(e readmeEnv) string { return e.checkout },
}

// insteadScripts are the test's replacements of blocks a test cannot run
// as written (a clone from the network, root's service set-up).
var insteadScripts = map[string]func(readmeEnv) string{
	// The clone is this checkout's copy.
	"clone": func(e readmeEnv) string { return "cd " + shellQuote(e.checkout) + "\n" },
	// The database is a fresh one of the tests' PostgreSQL, not the system's.
	"database": func(e readmeEnv) string { return "export DATABASE_URL=" + shellQuote(e.databaseURL) + "\n" },
	// The server's module is a new one beside the checkout.
	"server-module": func(e readmeEnv) string {
		return "mkdir ../myserver && cd ../myserver && go mod init example.com/myserver\n"
	},
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// script is the bash program of the blocks: each block after a line that
// tells the test which block starts, so that the log names it and times it.
func script(blocks []block, env readmeEnv) string {
	var b strings.Builder
	b.WriteString("set -euo pipefail\n")
	for i, bl := range blocks {
		if bl.action == "skip" {
			continue
		}
		fmt.Fprintf(&b, "echo \"%s%d $(date +%%s.%%N)\" >&3\n", blockStart, i)
		text := bl.text
		if bl.action == "instead" {
			text = insteadScripts[bl.instead](env)
		}
		for _, v := range bl.supplied {
			text = strings.ReplaceAll(text, v, suppliedValues[v](env))
		}
		b.WriteString(text)
	}
	fmt.Fprintf(&b, "echo \"%s%d $(date +%%s.%%N)\" >&3\n", blockStart, len(blocks))
	return b.String()
}

// blockStart is what the script writes to fd 3 when a block starts.
const blockStart = "readme-block "

// TestReadme runs the README's shell blocks (see markerLine) in a scratch
// directory holding a copy of this checkout, against a fresh database of
// the tests' PostgreSQL, and fails when one fails or when they leave a
// process running. It logs each block with the time it took: the quick
// start as a user sees it.
func TestReadme(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq", "psql", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the README's commands need %s, which is not on PATH (.ci/deps (which .ci/test runs) installs it)", tool)
		}
	}
	doc, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := parseReadme(string(doc))
	if err != nil {
		t.Fatal(err)
	}
	scratch := t.TempDir()
	env := readmeEnv{
		port:        freePort(t),
		checkout:    filepath.Join(scratch, "kvgen"),
		databaseURL: pgtest.URL(t),
	}
	if err := checkout.Copy(repoRoot, env.checkout); err != nil {
		t.Fatal(err)
	}

	outFile := filepath.Join(scratch, "readme.out")
	timesFile := filepath.Join(scratch, "readme.times")
	out, times := createFile(t, outFile), createFile(t, timesFile)
	// Files, not pipes: a process the blocks leave running holds them open,
	// and Wait must not wait for it.
	cmd := exec.Command("bash", "-c", script(blocks, env))
	cmd.Dir = scratch
	cmd.Env = userEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.ExtraFiles = []*os.File{times}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(readmeTimeout, func() { killGroup(cmd.Process.Pid) })
	waitErr := cmd.Wait()
	timedOut := !timer.Stop()
	leftover := killGroup(cmd.Process.Pid)
	out.Close()
	times.Close()
	output := mustReadFile(t, outFile)

	ran := blockTimes(mustReadFile(t, timesFile))
	for _, bt := range ran {
		if bt.index < len(blocks) {
			t.Logf("README.md:%d (%s) %.1fs", blocks[bt.index].line, blocks[bt.index].action, bt.took.Seconds())
		}
	}
	switch {
	case waitErr != nil:
		failed := "before the first block"
		if len(ran) > 0 && ran[len(ran)-1].index < len(blocks) {
			failed = fmt.Sprintf("at line %d", blocks[ran[len(ran)-1].index].line)
		}
		if timedOut {
			failed += fmt.Sprintf(", killed after %s,", readmeTimeout)
		}
		t.Fatalf("the README's block %s failed (%v); the output of the blocks:\n%s", failed, waitErr, output)
	case leftover:
		t.Fatalf("the README's blocks left a process running (killed now); they must stop what they start:\n%s", output)
	}
	t.Logf("the output of the blocks:\n%s", output)
}

// readmeTimeout bounds the run of the blocks; the first build of sqlc alone
// takes about 80 s on a 2-core machine.
const readmeTimeout = 15 * time.Minute

type blockTime struct {
	index int
	took  time.Duration
}

// blockTimes reads the script's block starts ("readme-block N UNIXTIME",
// one a line) and returns each block with the time to the next start.
func blockTimes(text string) []blockTime {
	var out []blockTime
	var last float64
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		f := strings.Fields(strings.TrimPrefix(line, blockStart))
		if len(f) != 2 {
			continue
		}
		n, err1 := strconv.Atoi(f[0])
		at, err2 := strconv.ParseFloat(f[1], 64)
		if err1 != nil || err2 != nil {
			continue
		}
		if len(out) > 0 {
			out[len(out)-1].took = time.Duration((at - last) * float64(time.Second))
		}
		out = append(out, blockTime{index: n})
		last = at
	}
	return out
}

func createFile(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func mustReadFile(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// killGroup kills what is left of the script's process group and reports
// whether anything was.
func killGroup(pgid int) bool {
	if syscall.Kill(-pgid, 0) != nil {
		return false
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	return true
}

// userEnv is the environment of a user's shell: the test's, without the
// variables the README has the user set (the tests' DATABASE_URL is the
// harness's admin DSN).
func userEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "DATABASE_URL", "KVGEN_ENCRYPTION_KEYS", "GOWORK":
			continue
		}
		env = append(env, kv)
	}
	return env
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}
