package pgtest

import (
	"io"
	"sync"
	"testing"
)

// lazy is a server that the tests of a binary share, like the shared
// PostgreSQL server: the first test that needs it starts it, the others
// wait and get the same one, and Main closes it. A failed start is not
// tried again: every test that asks fails with the same error.
type lazy[T io.Closer] struct {
	mu      sync.Mutex
	started bool
	v       T
	err     error
}

// get starts the server with start on first use, then hands it out; t
// fails with what went wrong if it could not be started.
func (l *lazy[T]) get(t testing.TB, start func() (T, error)) T {
	t.Helper()
	l.mu.Lock()
	first := !l.started
	if first {
		l.v, l.err = start()
		l.started = true
	}
	v, err := l.v, l.err
	l.mu.Unlock()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	if first {
		t.Logf("pgtest: started %v", v)
	}
	return v
}

// close closes the server, if one was started.
func (l *lazy[T]) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.started || l.err != nil {
		return nil
	}
	return l.v.Close()
}
