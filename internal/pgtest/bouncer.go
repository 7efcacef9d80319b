package pgtest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

const (
	// bouncerEnv names the pgbouncer binary to use; it overrides the search.
	bouncerEnv = "KVGEN_PGBOUNCER"
	// bouncerStartTimeout bounds the wait for PgBouncer to listen.
	bouncerStartTimeout = 30 * time.Second
	// bouncerUp is what PgBouncer logs once it listens, in every version.
	bouncerUp = "process up"
)

// bouncerPaths are where packages put pgbouncer, after PATH: Debian's is
// in /usr/sbin, which is not on an ordinary user's PATH.
var bouncerPaths = []string{"/usr/sbin/pgbouncer", "/usr/local/sbin/pgbouncer"}

const installBouncer = "install it (Debian, Ubuntu: apt-get install -y pgbouncer) or set " + bouncerEnv + " to its path"

// findBouncer returns the pgbouncer binary: KVGEN_PGBOUNCER if set (the
// only place looked at then), else pgbouncer on PATH, else bouncerPaths.
func findBouncer(getenv func(string) string) (string, error) {
	if path := getenv(bouncerEnv); path != "" {
		if err := isExecutable(path); err != nil {
			return "", fmt.Errorf("no PgBouncer: %s=%s: %w", bouncerEnv, path, err)
		}
		// PgBouncer runs in its own dir, where a relative path means nothing.
		return filepath.Abs(path)
	}
	if path, err := exec.LookPath("pgbouncer"); err == nil {
		return path, nil
	}
	for _, path := range bouncerPaths {
		if isExecutable(path) == nil {
			return path, nil
		}
	}
	return "", fmt.Errorf("no PgBouncer: pgbouncer is not on PATH nor at %s; %s",
		strings.Join(bouncerPaths, ", "), installBouncer)
}

func isExecutable(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return errors.New("no such file")
	}
	if info.IsDir() || info.Mode()&0o111 == 0 {
		return errors.New("not an executable file")
	}
	return nil
}

var bouncerVersionLine = regexp.MustCompile(`PgBouncer (\d+)\.(\d+)(\.\d+)?`)

// bouncerVersion runs pgbouncer --version: "PgBouncer 1.18.0" and the
// numbers of its major and minor versions.
func bouncerVersion(path string) (string, [2]int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--version").CombinedOutput()
	if err != nil {
		return "", [2]int{}, fmt.Errorf("%s --version failed: %w: %s", path, err, bytes.TrimSpace(out))
	}
	m := bouncerVersionLine.FindSubmatch(out)
	if m == nil {
		return "", [2]int{}, fmt.Errorf("%s --version printed no PgBouncer version: %q", path, bytes.TrimSpace(out))
	}
	major, _ := strconv.Atoi(string(m[1])) // digits, checked by the regexp
	minor, _ := strconv.Atoi(string(m[2]))
	return string(m[0]), [2]int{major, minor}, nil
}

// Bouncer is a PgBouncer that the harness runs in front of a harness-owned
// cluster, the way production runs one: transaction pooling, and no
// tracking of protocol-level prepared statements. It listens on 127.0.0.1
// on a free port, trusts the superuser, and maps every database name to the
// same name on the cluster, so a test's fresh database is reachable through
// it as soon as it exists.
//
// A redeploy of an application is a new pool on the same PgBouncer: open a
// second pgx pool on the same DSN. PgBouncer keeps its server connections,
// and whatever the first pool left on them (prepared statements) with them.
type Bouncer struct {
	target  *Cluster
	path    string
	version string
	root    string // temp dir: pgbouncer.ini, userlist.txt, pgbouncer.pid, pgbouncer.log
	port    int
	user    serverUser

	mu     sync.Mutex
	closed bool
	proc   *bouncerProcess // nil until started
	reaper *os.File        // write end of the reaper's pipe
}

// NewBouncer starts a private PgBouncer in front of target for t and
// closes it when t ends. Most tests want BouncerURL, which uses the one
// shared PgBouncer in front of the shared server.
func NewBouncer(t testing.TB, target *Cluster) *Bouncer {
	t.Helper()
	b, err := startBouncer(target)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("pgtest: closing PgBouncer: %v", err)
		}
	})
	t.Logf("pgtest: private %s", b)
	return b
}

// sharedBouncer is the PgBouncer in front of the shared server.
var sharedBouncer lazy[*Bouncer]

// BouncerURL returns the DSN, through the PgBouncer shared by the test
// binary, of a fresh database on the shared server; the database is dropped
// when t ends. The PgBouncer starts on first use and stops in Main. With
// DATABASE_URL set, t fails: PgBouncer runs in front of the harness's own
// cluster only.
func BouncerURL(t testing.TB) string {
	t.Helper()
	_, bouncer := BouncerURLs(t)
	return bouncer
}

// BouncerURLs is BouncerURL, with the DSN of the same database reached
// directly: for measuring what PgBouncer's hop costs.
func BouncerURLs(t testing.TB) (direct, bouncer string) {
	t.Helper()
	c := shared.owned(t, "PgBouncer runs in front of")
	b := sharedBouncer.get(t, func() (*Bouncer, error) { return startBouncer(c) })
	direct = freshDatabase(t, shared.get(t), "")
	return direct, b.URL(databaseOf(t, direct))
}

// databaseOf returns the database that dsn names.
func databaseOf(t testing.TB, dsn string) string {
	t.Helper()
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		t.Fatalf("pgtest: parsing the DSN of a fresh database: %v", err)
	}
	return cfg.Database
}

// startBouncer starts PgBouncer in front of target in a new temp dir.
func startBouncer(target *Cluster) (_ *Bouncer, err error) {
	b := &Bouncer{target: target}
	if b.path, err = findBouncer(os.Getenv); err != nil {
		return nil, err
	}
	var version [2]int
	if b.version, version, err = bouncerVersion(b.path); err != nil {
		return nil, err
	}
	if b.user, err = lookupServerUser(); err != nil {
		return nil, err
	}
	if b.root, err = os.MkdirTemp("", "kvgen-pgbouncer-"); err != nil {
		return nil, fmt.Errorf("creating PgBouncer dir: %w", err)
	}
	defer func() {
		if err != nil {
			b.Close() // the start error is the one worth reporting
		}
	}()
	if err := b.user.own(b.root); err != nil {
		return nil, fmt.Errorf("handing %s to OS user %s: %w", b.root, b.user.name, err)
	}
	// The reaper comes before PgBouncer so that no path leaks it. SIGTERM
	// stops PgBouncer at once up to 1.22, and from 1.23 on once its clients
	// are gone, as they are when the reaper runs.
	if b.reaper, err = startReaper(b.file("pgbouncer.pid"), "TERM", b.root); err != nil {
		return nil, err
	}
	// PgBouncer with trust auth still wants the user in its auth file.
	if err := b.writeFile("userlist.txt", fmt.Sprintf("%q \"\"\n", superuser)); err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		if b.port, err = freePort(); err != nil {
			return nil, err
		}
		if err := b.writeFile("pgbouncer.ini", b.config(version)); err != nil {
			return nil, err
		}
		proc, err := startBouncerProcess(b)
		if err == nil {
			b.proc = proc
			return b, nil
		}
		if attempt == startAttempts || !errors.Is(err, errPortTaken) {
			return nil, err
		}
	}
}

// config is pgbouncer.ini. The comments in it say why for whoever reads
// the file in a kept temp dir.
func (b *Bouncer) config(version [2]int) string {
	conf := fmt.Sprintf(`[databases]
; Every database, under its own name: tests' fresh databases need no reload.
* = host=127.0.0.1 port=%d

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
pidfile = %s
auth_type = trust
auth_file = %s
; As in production: a server connection serves one client transaction,
; then the next client, without a reset in between.
pool_mode = transaction
; The pools of many tests at once.
max_client_conn = 1000
`, b.target.port, b.port, b.file("pgbouncer.pid"), b.file("userlist.txt"))
	// PgBouncer 1.21 learnt to track protocol-level prepared statements,
	// on from 1.24 by default; production's PgBouncer does not, and earlier
	// versions refuse the setting.
	if version[0] > 1 || version[1] >= 21 {
		conf += "max_prepared_statements = 0\n"
	}
	return conf
}

func (b *Bouncer) file(name string) string { return filepath.Join(b.root, name) }

// writeFile writes one of PgBouncer's files, readable by the server user only.
func (b *Bouncer) writeFile(name, content string) error {
	if err := os.WriteFile(b.file(name), []byte(content), 0o600); err != nil {
		return fmt.Errorf("configuring PgBouncer: %w", err)
	}
	if err := b.user.own(b.file(name)); err != nil {
		return fmt.Errorf("configuring PgBouncer: %w", err)
	}
	return nil
}

// URL returns the DSN of database db through the PgBouncer.
func (b *Bouncer) URL(db string) string { return loopbackURL(b.port, db) }

// String describes the PgBouncer for logs.
func (b *Bouncer) String() string {
	return fmt.Sprintf("%s on 127.0.0.1:%d in transaction pooling mode, in front of 127.0.0.1:%d (files in %s, run as OS user %s)",
		b.version, b.port, b.target.port, b.root, b.user.name)
}

// Close stops PgBouncer and removes its temp dir. It is idempotent;
// NewBouncer and Main call it.
func (b *Bouncer) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	var err error
	if b.proc != nil {
		err = b.proc.kill()
	}
	if err == nil {
		if rerr := os.RemoveAll(b.root); rerr != nil {
			err = fmt.Errorf("removing PgBouncer dir: %w", rerr)
		}
	}
	// If PgBouncer could not be killed, the reaper, set off here, tries
	// again by its pid file and removes the dir.
	if b.reaper != nil {
		b.reaper.Close()
	}
	return err
}

// errPortTaken is a start that lost the race for its free port.
var errPortTaken = errors.New("port taken")

// bouncerProcess is a running pgbouncer.
type bouncerProcess struct {
	cmd    *exec.Cmd
	up     chan struct{} // closed once it listens
	exited chan struct{} // closed once it has exited
	// early is what it logged before it listened or exited; read it
	// only after exited is closed.
	early strings.Builder
}

// startBouncerProcess runs pgbouncer on b's config and waits until it
// listens. Its log goes to pgbouncer.log in b's dir.
func startBouncerProcess(b *Bouncer) (*bouncerProcess, error) {
	cmd := exec.Command(b.path, b.file("pgbouncer.ini"))
	cmd.Dir = b.root
	cmd.Env = serverEnv()
	inOwnSession(cmd)
	b.user.apply(cmd)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("starting PgBouncer: %w", err)
	}
	logFile, err := os.OpenFile(b.file("pgbouncer.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("starting PgBouncer: %w", err)
	}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting %s (as OS user %s): %w", b.path, b.user.name, err)
	}
	p := &bouncerProcess{cmd: cmd, up: make(chan struct{}), exited: make(chan struct{})}
	go p.watch(stderr, logFile)
	timeout := time.NewTimer(bouncerStartTimeout)
	defer timeout.Stop()
	select {
	case <-p.up:
		return p, nil
	case <-p.exited:
	case <-timeout.C:
		p.kill()
		return nil, fmt.Errorf("%s (as OS user %s) did not listen within %s: %s",
			b.path, b.user.name, bouncerStartTimeout, strings.TrimSpace(p.early.String()))
	}
	log := strings.TrimSpace(p.early.String())
	if strings.Contains(log, "Address already in use") {
		return nil, fmt.Errorf("%w: %s", errPortTaken, log)
	}
	return nil, fmt.Errorf("%s (as OS user %s) exited: %v: %s", b.path, b.user.name, cmd.ProcessState, log)
}

// watch copies what pgbouncer logs to logFile, notes when it is up, and
// reaps it once its log ends with its exit. It drains the pipe to the end,
// so that a pgbouncer that logs a lot never blocks on it.
func (p *bouncerProcess) watch(stderr io.Reader, logFile *os.File) {
	defer close(p.exited)
	defer logFile.Close()
	lines := bufio.NewScanner(stderr)
	up := false
	for lines.Scan() {
		line := lines.Text()
		fmt.Fprintln(logFile, line)
		if up {
			continue
		}
		p.early.WriteString(line + "\n")
		if strings.Contains(line, bouncerUp) {
			up = true
			close(p.up)
		}
	}
	io.Copy(logFile, stderr) // past an overlong line, if any
	p.cmd.Wait()
}

// kill stops pgbouncer with SIGKILL and waits for it: it keeps nothing
// that needs a clean shutdown, and its shutdown signals differ between
// versions.
func (p *bouncerProcess) kill() error {
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stopping PgBouncer: %w", err)
	}
	<-p.exited
	return nil
}
