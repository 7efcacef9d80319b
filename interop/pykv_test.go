package interop_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// python is Debian's interpreter: another python3 on PATH may not see the
// python3-asyncpg and python3-cryptography packages.
const python = "/usr/bin/python3"

// pyKV is one running py-key-value-aio process (pykv_driver.py) on one table.
type pyKV struct {
	t   testing.TB
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
	// stderr holds what Python printed (tracebacks), logged at the end.
	stderr *lockedBuffer
}

// pykvDir is where the library's source is: KVGEN_PYKV_DIR, else the
// shared/pykv-0.4.4 directory beside the repository.
func pykvDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("KVGEN_PYKV_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "pykv-0.4.4")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(abs, "src", "key_value", "aio")); err != nil {
		t.Fatalf("py-key-value-aio 0.4.4 not found at %s (set KVGEN_PYKV_DIR to its directory): %v", abs, err)
	}
	return abs
}

// startPyKV starts the Python side on table of the database at url, with the
// Fernet keys (first encrypts, all decrypt; none: plaintext, the bare store).
func startPyKV(t testing.TB, url, table string, keys ...string) *pyKV {
	t.Helper()
	dir := pykvDir(t)
	cmd := exec.Command(python, "pykv_driver.py")
	cmd.Env = append(os.Environ(),
		"PYTHONPATH="+filepath.Join(dir, "src")+string(os.PathListSeparator)+filepath.Join(dir, "shim"),
		"PYTHONDONTWRITEBYTECODE=1")
	stderr := new(lockedBuffer)
	cmd.Stderr = stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s (apt-get install python3 python3-asyncpg python3-cryptography): %v", python, err)
	}
	p := &pyKV{t: t, cmd: cmd, in: in, out: bufio.NewScanner(out), stderr: stderr}
	p.out.Buffer(nil, 64<<20)
	t.Cleanup(p.close)
	if err := p.call("open", map[string]any{"url": url, "table": table, "keys": keys}, nil); err != nil {
		t.Fatalf("py-key-value could not open the store (are python3-asyncpg and python3-cryptography installed?): %v", err)
	}
	return p
}

// useKeys replaces the key ring of the Python side (none: the bare store).
func (p *pyKV) useKeys(keys ...string) {
	p.t.Helper()
	p.must(p.call("use", map[string]any{"keys": keys}, nil))
}

// call runs op with args and decodes the result into result (when not nil).
// An exception on the Python side is the returned error.
func (p *pyKV) call(op string, args map[string]any, result any) error {
	req, err := json.Marshal(map[string]any{"op": op, "args": args})
	if err != nil {
		return err
	}
	if _, err := p.in.Write(append(req, '\n')); err != nil {
		return fmt.Errorf("py-key-value driver: %w", err)
	}
	if !p.out.Scan() {
		return fmt.Errorf("py-key-value driver exited during %s: %v\n%s", op, p.out.Err(), p.stderr)
	}
	var resp struct {
		OK     bool            `json:"ok"`
		Result json.RawMessage `json:"result"`
		Error  string          `json:"error"`
	}
	if err := json.Unmarshal(p.out.Bytes(), &resp); err != nil {
		return fmt.Errorf("py-key-value driver: %w: %q", err, p.out.Bytes())
	}
	if !resp.OK {
		return pyError(resp.Error)
	}
	if result == nil {
		return nil
	}
	return json.Unmarshal(resp.Result, result)
}

// pyError is an exception raised by py-key-value, as "Type: message".
type pyError string

func (e pyError) Error() string { return "python: " + string(e) }

func (p *pyKV) must(err error) {
	p.t.Helper()
	if err != nil {
		p.t.Fatal(err)
	}
}

func (p *pyKV) put(collection, key string, value any, ttl float64) {
	p.t.Helper()
	args := map[string]any{"collection": collection, "key": key, "value": value}
	if ttl > 0 {
		args["ttl"] = ttl
	}
	p.must(p.call("put", args, nil))
}

func (p *pyKV) putMany(collection string, keys []string, values []any, ttl float64) {
	p.t.Helper()
	args := map[string]any{"collection": collection, "keys": keys, "values": values}
	if ttl > 0 {
		args["ttl"] = ttl
	}
	p.must(p.call("put_many", args, nil))
}

// get returns the value of key as JSON ("null" when missing), or the
// exception Python raised.
func (p *pyKV) get(collection, key string) (json.RawMessage, error) {
	var v json.RawMessage
	err := p.call("get", map[string]any{"collection": collection, "key": key}, &v)
	return v, err
}

func (p *pyKV) getMany(collection string, keys []string) ([]json.RawMessage, error) {
	var vs []json.RawMessage
	err := p.call("get_many", map[string]any{"collection": collection, "keys": keys}, &vs)
	return vs, err
}

// ttl returns the value and the seconds left (nil: no expiry).
func (p *pyKV) ttl(collection, key string) (json.RawMessage, *float64, error) {
	var pair [2]json.RawMessage
	if err := p.call("ttl", map[string]any{"collection": collection, "key": key}, &pair); err != nil {
		return nil, nil, err
	}
	var left *float64
	if err := json.Unmarshal(pair[1], &left); err != nil {
		return nil, nil, err
	}
	return pair[0], left, nil
}

func (p *pyKV) delete(collection, key string) bool {
	p.t.Helper()
	var ok bool
	p.must(p.call("delete", map[string]any{"collection": collection, "key": key}, &ok))
	return ok
}

func (p *pyKV) deleteMany(collection string, keys []string) int {
	p.t.Helper()
	var n int
	p.must(p.call("delete_many", map[string]any{"collection": collection, "keys": keys}, &n))
	return n
}

func (p *pyKV) close() {
	if p.cmd.Process == nil || p.cmd.ProcessState != nil {
		return
	}
	_ = p.call("close", nil, nil)
	_ = p.in.Close()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			p.t.Errorf("py-key-value driver: %v\n%s", err, p.stderr)
		}
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		p.t.Errorf("py-key-value driver did not exit")
	}
}

// lockedBuffer is the driver's stderr, written by exec's copying goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
