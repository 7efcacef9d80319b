// Package modcache fills the module cache for tests that run the go command
// offline (GOPROXY=off) in temporary modules: those find every module of
// this repository's build list, sqlc's included, in the cache, and nothing
// else. On a fresh machine `go test` downloads only the modules it compiles,
// so a test binary calls Download before going offline.
package modcache

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
)

var once = sync.OnceValue(download)

// Download runs `go mod download` in the module of the current directory,
// once per process: every module of its build list is then in the cache.
func Download() error { return once() }

func download() error {
	cmd := exec.Command("go", "mod", "download")
	cmd.Env = onlineEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go mod download (to fill the module cache before the tests go offline): %v\n%s", err, out)
	}
	return nil
}

// onlineEnv is the environment without a GOPROXY=off or -mod flag a caller's
// environment may carry.
func onlineEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if v, ok := strings.CutPrefix(kv, "GOPROXY="); ok && v == "off" {
			continue
		}
		env = append(env, kv)
	}
	return env
}
