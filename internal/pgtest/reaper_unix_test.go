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

	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(c.root); errors.Is(err, os.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster dir %s still there 30s after the test process went away", c.root)
		}
		time.Sleep(50 * time.Millisecond)
	}
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
