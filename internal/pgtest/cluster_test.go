package pgtest

import (
	"context"
	"errors"
	"os"
	"testing"
)

func TestClusterStopStartRestart(t *testing.T) {
	c := NewCluster(t)
	dsn := c.AdminURL()
	if _, err := connect(t, dsn).Exec(context.Background(), "CREATE TABLE survivor (id int)"); err != nil {
		t.Fatal(err)
	}

	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := canConnect(dsn); err == nil {
		t.Fatal("connected to a stopped cluster")
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	if err := canConnect(dsn); err != nil {
		t.Fatalf("cluster does not accept connections after Start: %v", err)
	}
	if err := c.Restart(); err != nil {
		t.Fatal(err)
	}
	// Same cluster, same data, same port: not a fresh one.
	var survivor *string
	if err := connect(t, dsn).QueryRow(context.Background(), "SELECT to_regclass('survivor')::text").Scan(&survivor); err != nil {
		t.Fatalf("after Restart: %v", err)
	}
	if survivor == nil {
		t.Error("a table created before Stop is gone after Start/Restart")
	}

	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.root); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cluster dir %s still there after Close: %v", c.root, err)
	}
	if err := canConnect(dsn); err == nil {
		t.Error("connected to a closed cluster")
	}
	if err := c.Start(); !errors.Is(err, errClosed) {
		t.Errorf("Start after Close: %v, want errClosed", err)
	}
}

func TestServerCleanupStartsStoppedCluster(t *testing.T) {
	c := NewCluster(t)
	t.Run("stops the server", func(t *testing.T) {
		keepRunningAfter(t, c)
		if err := c.Stop(); err != nil {
			t.Fatal(err)
		}
	})
	if err := canConnect(c.AdminURL()); err != nil {
		t.Errorf("cluster left stopped by a test is still down after it: %v", err)
	}
	s := &sharedServer{resolve: func() resolution {
		return resolution{srv: throwawayServer(c)}
	}}
	if got := s.cluster(t); got != c {
		t.Error("Server did not hand out the harness-owned cluster")
	}
}
