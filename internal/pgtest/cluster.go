package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	// superuser is the bootstrap role initdb creates; trust auth, no password.
	superuser = "postgres"
	// maintenanceDB is the database admin connections use.
	maintenanceDB = "postgres"
	// startAttempts bounds retries when the free port we picked is taken
	// by someone else between our probe and the postmaster's bind.
	startAttempts = 5
	// pgCtlWait is how long pg_ctl waits for the server to start or stop.
	pgCtlWait = 30 * time.Second
	// maxSocketPath is the longest unix socket path the kernel accepts
	// (sun_path is 108 bytes with its NUL).
	maxSocketPath = 107
)

// Cluster is a throwaway PostgreSQL cluster that the harness owns: its data
// lives in a temp dir, it listens on 127.0.0.1 only, and trusts every local
// connection. Its methods are safe for concurrent use.
type Cluster struct {
	binDir     string
	root       string // temp dir: data/, server.log and the unix socket
	dataDir    string
	logFile    string
	port       int
	user       serverUser
	version    string // server_version, for logs
	versionNum int    // server_version_num
	extraConf  string // settings of this kind of cluster, added to kvgen.conf

	mu      sync.Mutex
	running bool
	closed  bool
	reaper  *os.File // write end of the reaper's pipe
}

// NewCluster starts a private throwaway cluster for t, whatever DATABASE_URL
// says, and closes it when t ends. It is meant for fault-injection tests
// that stop, start or restart the server.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	binDir, err := findBinDir(os.Getenv)
	if err != nil {
		t.Fatalf("pgtest: private cluster: %v", err)
	}
	c, err := startCluster(binDir)
	if err != nil {
		t.Fatalf("pgtest: private cluster: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("pgtest: closing private cluster: %v", err)
		}
	})
	t.Logf("pgtest: private %s", c)
	return c
}

// startCluster runs initdb into a new temp dir and starts the server.
func startCluster(binDir string) (*Cluster, error) {
	return newCluster(binDir, "", func(c *Cluster) error {
		if err := c.run(2*time.Minute, "initdb", "-D", c.dataDir, "-U", superuser, "--auth=trust",
			"-E", "UTF8", "--no-locale", "--no-sync"); err != nil {
			return err
		}
		return c.configure()
	})
}

// newCluster makes a cluster in a new temp dir: makeData fills its data
// dir (initdb, or pg_basebackup for a standby), then the server starts on a
// free port with extraConf added to kvgen.conf.
func newCluster(binDir, extraConf string, makeData func(*Cluster) error) (_ *Cluster, err error) {
	user, err := lookupServerUser()
	if err != nil {
		return nil, err
	}
	root, err := os.MkdirTemp("", "kvgen-pg-")
	if err != nil {
		return nil, fmt.Errorf("creating cluster dir: %w", err)
	}
	c := &Cluster{
		binDir:    binDir,
		root:      root,
		dataDir:   filepath.Join(root, "data"),
		logFile:   filepath.Join(root, "server.log"),
		extraConf: extraConf,
		user:      user,
	}
	defer func() {
		if err != nil {
			c.Close() // the start error is the one worth reporting
		}
	}()
	if err := user.own(root); err != nil {
		return nil, fmt.Errorf("handing %s to OS user %s: %w", root, user.name, err)
	}
	// The reaper comes before the server so that no path leaks it.
	if c.reaper, err = startReaper(filepath.Join(c.dataDir, "postmaster.pid"), postmasterStopSignal, root); err != nil {
		return nil, err
	}
	if err := makeData(c); err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		c.port, err = freePort()
		if err != nil {
			return nil, err
		}
		if err := c.writePortConfig(); err != nil {
			return nil, err
		}
		logStart := c.logSize()
		err = c.Start()
		if err == nil {
			break
		}
		if attempt == startAttempts || !c.lostPortRace(logStart) {
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	if c.version, c.versionNum, err = probe(ctx, c.AdminURL()); err != nil {
		return nil, fmt.Errorf("connecting to the new cluster: %w", err)
	}
	return c, nil
}

// configure points postgresql.conf at kvgen.conf, which holds our settings
// (rewritten with a new port when a start loses a port race).
func (c *Cluster) configure() error {
	f, err := os.OpenFile(filepath.Join(c.dataDir, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("configuring cluster: %w", err)
	}
	_, err = f.WriteString("\ninclude 'kvgen.conf'\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("configuring cluster: %w", err)
	}
	return nil
}

func (c *Cluster) writePortConfig() error {
	socketDir := c.root
	if len(filepath.Join(c.root, fmt.Sprintf(".s.PGSQL.%d", c.port))) > maxSocketPath {
		socketDir = "" // TCP only: the temp dir path is too long for a socket
	}
	// The data is thrown away with the cluster, so durability buys nothing;
	// a crash of the postmaster alone (Stop, immediate shutdown) is still
	// recovered from, since the OS keeps the written pages.
	conf := fmt.Sprintf(`listen_addresses = '127.0.0.1'
port = %d
unix_socket_directories = '%s'
fsync = off
synchronous_commit = off
full_page_writes = off
`, c.port, strings.ReplaceAll(socketDir, "'", "''")) + c.extraConf
	path := filepath.Join(c.dataDir, "kvgen.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		return fmt.Errorf("configuring cluster: %w", err)
	}
	return c.user.own(path)
}

// freePort asks the kernel for a free loopback port. Another process may
// take it before the postmaster binds it; startCluster retries then.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (c *Cluster) logSize() int64 {
	info, err := os.Stat(c.logFile)
	if err != nil {
		return 0
	}
	return info.Size()
}

// logSince returns what the server logged from byte offset from on.
func (c *Cluster) logSince(from int64) string {
	data, err := os.ReadFile(c.logFile)
	if err != nil || int64(len(data)) < from {
		return ""
	}
	return string(data[from:])
}

// lostPortRace reports whether the last start failed because the port was taken.
func (c *Cluster) lostPortRace(logStart int64) bool {
	log := c.logSince(logStart)
	return strings.Contains(log, "could not bind") || strings.Contains(log, "Address already in use")
}

// run runs one of the cluster's binaries as the server user. Its error
// carries the command's output, which is where PostgreSQL says what is wrong.
func (c *Cluster) run(timeout time.Duration, name string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	path := filepath.Join(c.binDir, name)
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = c.root // the test's working dir may be unreadable to the server user
	cmd.Env = serverEnv()
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	// pg_ctl's background postmaster must not keep our pipe open; it
	// writes to the log file, and this bounds the wait if it ever did.
	cmd.WaitDelay = 5 * time.Second
	c.user.apply(cmd)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s (as OS user %s) failed: %w: %s", path, c.user.name, err, strings.TrimSpace(out.String()))
	}
	return nil
}

// serverEnv is the environment of initdb and pg_ctl: the test's own, without
// the PG* variables that would change what they do, in the C locale so that
// messages are the English ones lostPortRace looks for.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") || strings.HasPrefix(kv, "LC_") || strings.HasPrefix(kv, "LANG") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LC_ALL=C")
}

// URL returns the DSN of database db on the cluster.
func (c *Cluster) URL(db string) string { return loopbackURL(c.port, db) }

// loopbackURL is the DSN of database db, as the superuser, of whatever
// listens on 127.0.0.1:port: a cluster or a PgBouncer in front of one.
func loopbackURL(port int, db string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(superuser),
		Host:     net.JoinHostPort("127.0.0.1", fmt.Sprint(port)),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// AdminURL returns the DSN of the cluster's maintenance database.
func (c *Cluster) AdminURL() string { return c.URL(maintenanceDB) }

// String describes the cluster for logs.
func (c *Cluster) String() string {
	return fmt.Sprintf("throwaway PostgreSQL %s cluster on 127.0.0.1:%d (data in %s, run as OS user %s)",
		c.version, c.port, c.dataDir, c.user.name)
}

var errClosed = errors.New("pgtest: cluster is closed")

// Stop shuts the server down cleanly (pg_ctl stop -m fast) and waits for it.
// Connections fail until Start.
func (c *Cluster) Stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopLocked("fast")
}

func (c *Cluster) stopLocked(mode string) error {
	if c.closed {
		return errClosed
	}
	if !c.running {
		return nil
	}
	if err := c.run(pgCtlWait+10*time.Second, "pg_ctl", "stop", "-D", c.dataDir, "-m", mode, "-w",
		"-t", fmt.Sprint(int(pgCtlWait.Seconds()))); err != nil {
		return fmt.Errorf("stopping cluster: %w", err)
	}
	c.running = false
	return nil
}

// Start starts the server again on the same port and waits until it accepts
// connections. Starting a running cluster does nothing.
func (c *Cluster) Start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return errClosed
	}
	if c.running {
		return nil
	}
	logStart := c.logSize()
	if err := c.run(pgCtlWait+10*time.Second, "pg_ctl", "start", "-D", c.dataDir, "-l", c.logFile, "-w",
		"-t", fmt.Sprint(int(pgCtlWait.Seconds()))); err != nil {
		return fmt.Errorf("starting cluster: %w; server log: %s", err, strings.TrimSpace(c.logSince(logStart)))
	}
	c.running = true
	return nil
}

// Restart stops the server cleanly and starts it again.
func (c *Cluster) Restart() error {
	if err := c.Stop(); err != nil {
		return err
	}
	return c.Start()
}

// Close stops the server at once (pg_ctl stop -m immediate) and removes its
// temp dir. It is idempotent; NewCluster and Main call it.
func (c *Cluster) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	err := c.stopLocked("immediate")
	if err == nil {
		if rerr := os.RemoveAll(c.root); rerr != nil {
			err = fmt.Errorf("removing cluster dir: %w", rerr)
		}
	}
	c.closed = true
	// On a failed stop the reaper, set off here, kills the postmaster by
	// its pid file and removes the dir.
	if c.reaper != nil {
		c.reaper.Close()
	}
	return err
}
