package main

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvgen/kvgen/kv"
)

// countingRows is a real store of the server's own rows that counts the
// writes of usage rows, and fails them when told to.
type countingRows struct {
	kv.Store[map[string]any]
	writes atomic.Int64
	fail   atomic.Bool
}

var errWriteRefused = errors.New("the test refuses this write")

func (c *countingRows) write(collection string) error {
	if collection != usageCollection {
		return nil
	}
	if c.fail.Load() {
		return errWriteRefused
	}
	c.writes.Add(1)
	return nil
}

func (c *countingRows) Put(ctx context.Context, collection, key string, v map[string]any, ttl time.Duration) error {
	if err := c.write(collection); err != nil {
		return err
	}
	return c.Store.Put(ctx, collection, key, v, ttl)
}

func (c *countingRows) CompareAndSwap(ctx context.Context, collection, key string, old kv.Version, v map[string]any, ttl time.Duration) (bool, error) {
	if err := c.write(collection); err != nil {
		return false, err
	}
	return c.Store.CompareAndSwap(ctx, collection, key, old, v, ttl)
}

// TestUsageIsRecordedCoalesced: a client's use at the token endpoint is
// written at most once per interval, whatever the number of requests, and
// across two replicas on one table; on PostgreSQL and in memory.
func TestUsageIsRecordedCoalesced(t *testing.T) {
	for name, open := range bothStores {
		t.Run(name, func(t *testing.T) {
			clock := newTestClock(time.Now().Truncate(time.Second))
			st := open(t, clock.now)
			rows := &countingRows{Store: st.side}
			st.side = rows
			opts := serverOptions{now: clock.now, usageInterval: time.Hour}
			a, b := serveWith(t, st, opts), serveWith(t, st, opts)
			reg := a.mustRegister(t, metadata("https://a.example/cb", map[string]any{"grant_types": []string{"client_credentials"}}))
			if _, found := lastUsed(t, st, reg.clientID); found {
				t.Fatal("a registration recorded a use")
			}
			use := func(ts *testServer, times int) {
				t.Helper()
				for range times {
					if r := requestToken(t, nil, ts.URL, authSecretBasic, reg.clientID, reg.clientSecret, nil); r.status != http.StatusOK {
						t.Fatalf("token: %d %s", r.status, r.raw)
					}
				}
			}
			expect := func(step string, writes int64, at time.Time) {
				t.Helper()
				last, _ := lastUsed(t, st, reg.clientID)
				if n := rows.writes.Load(); n != writes || !last.Equal(at) {
					t.Fatalf("%s: %d writes, last use %v; want %d, %v", step, n, last, writes, at)
				}
			}
			start := clock.now()

			use(a, 20)
			expect("20 requests on one replica", 1, start)
			use(b, 20)
			expect("20 more on the other", 1, start)
			clock.advance(59 * time.Minute)
			use(a, 1)
			use(b, 1)
			expect("59 minutes later", 1, start)
			clock.advance(2 * time.Minute)
			use(a, 1)
			expect("past the interval", 2, start.Add(61*time.Minute))
			use(b, 1)
			expect("the other replica, which reads the new row", 2, start.Add(61*time.Minute))
			clock.advance(61 * time.Minute)
			use(b, 3)
			use(a, 3)
			expect("past the interval again, on the other replica", 3, start.Add(122*time.Minute))
		})
	}
}

// TestUsageAtAuthorizationAndDeletion: the authorization endpoint records a
// use too; a deleted client's usage row goes with it; a failed usage write
// does not fail the request.
func TestUsageAtAuthorizationAndDeletion(t *testing.T) {
	st := memoryStores(t, nil)
	rows := &countingRows{Store: st.side}
	st.side = rows
	ts := serveWith(t, st, serverOptions{})
	const redirect = "http://127.0.0.1:9000/cb"
	reg := ts.mustRegister(t, metadata(redirect, map[string]any{"token_endpoint_auth_method": "none"}))
	verifier, challenge := pkcePair()
	code := ts.redirectParams(t, ts.authorizeRequest(t, reg.clientID, redirect, challenge, nil), redirect).Get("code")
	if _, found := lastUsed(t, st, reg.clientID); !found {
		t.Error("an authorization recorded no use")
	}
	if tok := ts.exchangeCode(t, reg.clientID, code, redirect, verifier); tok.status != http.StatusOK {
		t.Fatalf("code exchange: %d %s", tok.status, tok.raw)
	}
	if n := rows.writes.Load(); n != 1 {
		t.Errorf("an authorization and its code exchange: %d usage writes, want 1", n)
	}
	if r := withBearer(t, nil, http.MethodDelete, reg.configURI, reg.registrationToken); r.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.status, r.raw)
	}
	if _, found := lastUsed(t, st, reg.clientID); found {
		t.Error("the deleted client's usage row is still there")
	}

	other := ts.mustRegister(t, metadata(redirect, map[string]any{"token_endpoint_auth_method": "none"}))
	rows.fail.Store(true)
	if tok := ts.authorizationCodeFlow(t, other.clientID, redirect); tok.status != http.StatusOK {
		t.Errorf("a failed usage write failed the flow: %d %s", tok.status, tok.raw)
	}
	if !strings.Contains(ts.logs.String(), "recording a client's use") {
		t.Error("the failed usage write is not logged")
	}
}

// TestUsageOutlivesReapAge: a client in use always has its usage row when
// a reap looks, and a recorded use lags less than the youngest reap age.
func TestUsageOutlivesReapAge(t *testing.T) {
	if usageRetention <= maxReapAge+maxUsageInterval {
		t.Errorf("usage rows live %v, not longer than the oldest reap age %v plus the interval %v", usageRetention, maxReapAge, maxUsageInterval)
	}
	if minReapAge < maxUsageInterval {
		t.Errorf("the youngest reap age %v is below the longest usage interval %v", minReapAge, maxUsageInterval)
	}
}

// lastUsed reads the usage row of a client.
func lastUsed(t *testing.T, st testStores, clientID string) (time.Time, bool) {
	t.Helper()
	row, found, err := st.side.Get(context.Background(), usageCollection, clientID)
	if err != nil {
		t.Fatal(err)
	}
	at, ok := usedAt(row)
	return at, found && ok
}
