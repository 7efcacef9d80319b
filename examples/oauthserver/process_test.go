package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kvgen/kvgen/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// buildServer builds the oauthserver command, as a user would run it, into
// a temporary directory of t.
func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "oauthserver")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// serverProcess is a running oauthserver binary.
type serverProcess struct {
	cmd     *exec.Cmd
	logs    *logBuffer
	exited  chan struct{}
	waitErr error
	// addr and baseURL come from the server's "listening" log line.
	addr, baseURL string
}

// childEnv is the test's environment without the variables that configure
// the server (the test's own DATABASE_URL is the harness's admin DSN), plus extra.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "DATABASE_URL=") || strings.HasPrefix(kv, keysEnv+"=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// launch starts the binary with env and args, its stderr captured.
func launch(t *testing.T, bin string, env []string, args ...string) *serverProcess {
	t.Helper()
	p := &serverProcess{cmd: exec.Command(bin, args...), logs: &logBuffer{}, exited: make(chan struct{})}
	p.cmd.Env = env
	p.cmd.Stderr = p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting the server: %v", err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

// startServer launches the server and waits until it listens.
func startServer(t *testing.T, bin string, env []string, args ...string) *serverProcess {
	t.Helper()
	p := launch(t, bin, env, args...)
	deadline := time.After(60 * time.Second)
	for {
		if addr, base, ok := listeningLine(p.logs.String()); ok {
			p.addr, p.baseURL = addr, base
			return p
		}
		select {
		case <-p.exited:
			t.Fatalf("the server exited before listening (%v); its logs:\n%s", p.waitErr, p.logs)
		case <-deadline:
			t.Fatalf("the server did not listen within 60s; its logs:\n%s", p.logs)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// listeningLine finds the server's "listening" log line.
func listeningLine(logs string) (addr, baseURL string, ok bool) {
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		var line struct {
			Msg     string `json:"msg"`
			Addr    string `json:"addr"`
			BaseURL string `json:"base_url"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
			return line.Addr, line.BaseURL, true
		}
	}
	return "", "", false
}

// kill stops the server with SIGKILL: no shutdown, no flushing, like a crash.
func (p *serverProcess) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL: %v", err)
	}
	<-p.exited
}

// exitCode waits for the process to exit by itself and returns its code.
func (p *serverProcess) exitCode(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(within):
		t.Fatalf("the server did not exit within %v; its logs:\n%s", within, p.logs)
	}
	var exitErr *exec.ExitError
	if errors.As(p.waitErr, &exitErr) {
		return exitErr.ExitCode()
	}
	if p.waitErr != nil {
		t.Fatalf("waiting for the server: %v", p.waitErr)
	}
	return 0
}

// httpClient is a client for one server process: its pooled connections
// die with the process, so a restarted server gets a new client.
func httpClient() *http.Client {
	return &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 32},
	}
}
