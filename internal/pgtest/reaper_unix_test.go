//go:build unix

package pgtest

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReaperCleansUpAfterTestProcess plays the test process dying without
// cleanup: the reaper's pipe closes while the server runs. The reaper must
// end the postmaster and only then remove the dir (a postmaster whose dir
// is gone lingers for up to a minute before it notices).
func TestReaperCleansUpAfterTestProcess(t *testing.T) {
	binDir, err := findBinDir(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	c, err := startCluster(binDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() }) // fails by design once the reaper has done its work
	pid := postmasterPID(t, c)

	c.reaper.Close()

	waitGone(t, c.root)
	if !processGone(pid) {
		t.Errorf("cluster dir removed while its postmaster (pid %d) still runs", pid)
	}
	if err := canConnect(c.AdminURL()); err == nil {
		t.Error("the cluster still accepts connections after its reaper ran")
	}
}

func postmasterPID(t *testing.T, c *Cluster) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(c.dataDir, "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(data), "\n")
	pid, err := strconv.Atoi(first)
	if err != nil || pid <= 1 {
		t.Fatalf("postmaster.pid starts with %q", first)
	}
	return pid
}

// processGone reports whether pid has exited. A zombie counts as exited: the
// postmaster is reparented away from us, and init may not have reaped it yet.
func processGone(pid int) bool {
	if errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
		return true
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return errors.Is(err, os.ErrNotExist)
	}
	// Format: pid (comm) state ...; comm may hold spaces and parentheses.
	rest := string(stat[strings.LastIndexByte(string(stat), ')')+1:])
	return strings.HasPrefix(strings.TrimSpace(rest), "Z")
}

// TestBouncerReaperCleansUp plays the test process dying without cleanup
// while PgBouncer runs: its reaper must stop it and remove its dir.
func TestBouncerReaperCleansUp(t *testing.T) {
	b, err := startBouncer(shared.owned(t, "PgBouncer runs in front of"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() }) // fails by design once the reaper has done its work
	pid := b.proc.cmd.Process.Pid
	if err := canConnect(b.URL(maintenanceDB)); err != nil {
		t.Fatalf("PgBouncer does not accept connections: %v", err)
	}

	b.reaper.Close()

	select {
	case <-b.proc.exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("PgBouncer (pid %d) still runs 30s after the test process went away", pid)
	}
	waitGone(t, b.root)
	if err := canConnect(b.URL(maintenanceDB)); err == nil {
		t.Error("PgBouncer still accepts connections after its reaper ran")
	}
}

func TestBouncerClose(t *testing.T) {
	b := NewBouncer(t, shared.owned(t, "PgBouncer runs in front of"))
	if err := canConnect(b.URL(maintenanceDB)); err != nil {
		t.Fatalf("PgBouncer does not accept connections: %v", err)
	}
	pid := b.proc.cmd.Process.Pid
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if !processGone(pid) {
		t.Errorf("PgBouncer (pid %d) still runs after Close", pid)
	}
	if _, err := os.Stat(b.root); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("PgBouncer dir %s still there after Close: %v", b.root, err)
	}
	if err := canConnect(b.URL(maintenanceDB)); err == nil {
		t.Error("connected through a closed PgBouncer")
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// waitGone waits until the reaper has removed dir.
func waitGone(t *testing.T, dir string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("dir %s still there 30s after the test process went away", dir)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
