//go:build unix

package pgtest

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"syscall"
)

// serverUser is the OS user that runs initdb, pg_ctl and the postmaster.
type serverUser struct {
	name string
	// cred is nil when the server runs as the test process's own user.
	cred *syscall.Credential
}

// lookupServerUser picks who runs the server: the current user, or
// "postgres" when we are root, because PostgreSQL refuses to run as root.
// Setting the credential on the child process (rather than going through
// su or runuser) needs no PAM, no shell quoting and no particular tool.
func lookupServerUser() (serverUser, error) {
	if os.Geteuid() != 0 {
		name := strconv.Itoa(os.Geteuid())
		if u, err := user.Current(); err == nil {
			name = u.Username
		}
		return serverUser{name: name}, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return serverUser{}, fmt.Errorf("running as root, which PostgreSQL refuses, and there is no %q OS user to run it as: %w", "postgres", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return serverUser{}, fmt.Errorf("OS user postgres has a non-numeric uid %q", u.Uid)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return serverUser{}, fmt.Errorf("OS user postgres has a non-numeric gid %q", u.Gid)
	}
	return serverUser{name: u.Username, cred: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}, nil
}

// apply makes cmd run as the server user.
func (u serverUser) apply(cmd *exec.Cmd) {
	if u.cred == nil {
		return
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Credential = u.cred
}

// inOwnSession makes cmd start a session of its own, so that a Ctrl-C to
// the test's process group leaves it to its reaper.
func inOwnSession(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setsid = true
}

// own hands path to the server user, so that the postmaster can use it.
func (u serverUser) own(path string) error {
	if u.cred == nil {
		return nil
	}
	return os.Chown(path, int(u.cred.Uid), int(u.cred.Gid))
}

// reaperScript waits for end-of-file on stdin, which comes when the test
// process has exited, then sends signal $3 to the process whose pid file is
// $1, if it still runs (SIGKILL after 30 s), and removes the temp dir $2.
// The pid is checked to be a plain number above 1 so that a damaged pid
// file can never make it signal a process group or every process.
const reaperScript = `
cat >/dev/null
pid=
if [ -f "$1" ]; then
	read -r pid < "$1" || true
fi
case "$pid" in
'' | *[!0-9]* | 0 | 1) ;;
*)
	if kill -"$3" "$pid" 2>/dev/null; then
		i=0
		while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 30 ]; do
			sleep 1
			i=$((i + 1))
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	;;
esac
rm -rf "$2"
`

// postmasterStopSignal is the postmaster's immediate-shutdown signal.
const postmasterStopSignal = "QUIT"

// startReaper starts the reaper of a server (a postmaster or a PgBouncer)
// and returns the write end of its pipe. Closing it (or the test process
// ending) sets the reaper off: it sends signal to the pid in pidFile and
// removes root. The reaper runs in its own session so that a Ctrl-C to the
// test's process group does not kill it along with the test; the servers
// likewise run in their own sessions, so that would otherwise leak them.
func startReaper(pidFile, signal, root string) (*os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("reaper pipe: %w", err)
	}
	cmd := exec.Command("/bin/sh", "-c", reaperScript, "kvgen-pgtest-reaper", pidFile, root, signal)
	cmd.Stdin = r
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	r.Close()
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("starting reaper: %w", err)
	}
	go cmd.Wait() // reaps the zombie; the reaper has nothing to report
	return w, nil
}
