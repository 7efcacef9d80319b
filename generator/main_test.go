package generator

import (
	"fmt"
	"os"
	"testing"

	"github.com/kvgen/kvgen/internal/modcache"
)

// TestMain fills the module cache first: the tests run sqlc with
// GOPROXY=off in temporary modules (testModule, the golden cases).
func TestMain(m *testing.M) {
	if err := modcache.Download(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}
