package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"testing"
	"time"
)

// registerFrom sends a registration that says, in X-Forwarded-For, it
// comes from forwardedFor ("" for no header).
func (ts *testServer) registerFrom(t *testing.T, forwardedFor string) response {
	t.Helper()
	body, _ := json.Marshal(metadata("https://a.example/cb", nil))
	req := newRequest(t, http.MethodPost, ts.URL+"/register", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if forwardedFor != "" {
		req.Header.Set("X-Forwarded-For", forwardedFor)
	}
	return do(t, nil, req)
}

// TestRegisterRateLimit: past its burst, a source gets 429 with the
// seconds until its next registration in Retry-After; X-Forwarded-For
// counts only from a trusted proxy, and only right of it.
func TestRegisterRateLimit(t *testing.T) {
	clock := newTestClock(time.Now())
	limit := rateLimit{perMinute: 6, burst: 3} // one every 10 seconds
	expect := func(t *testing.T, r response, status int, retryAfter string) {
		t.Helper()
		if r.status != status || r.header.Get("Retry-After") != retryAfter {
			t.Fatalf("got %d (Retry-After %q) %s, want %d (Retry-After %q)", r.status, r.header.Get("Retry-After"), r.raw, status, retryAfter)
		}
	}

	t.Run("per peer address", func(t *testing.T) {
		ts := serveWith(t, memoryStores(t, nil), serverOptions{now: clock.now, registerLimit: limit})
		for range 3 {
			expect(t, ts.registerFrom(t, ""), http.StatusCreated, "")
		}
		r := ts.registerFrom(t, "")
		expect(t, r, http.StatusTooManyRequests, "10")
		if r.str("error") != "too_many_requests" {
			t.Errorf("429 body: %s", r.raw)
		}
		// Without a trusted proxy, X-Forwarded-For is the caller's say-so.
		expect(t, ts.registerFrom(t, "198.51.100.7"), http.StatusTooManyRequests, "10")
		clock.advance(9 * time.Second)
		expect(t, ts.registerFrom(t, ""), http.StatusTooManyRequests, "1")
		clock.advance(time.Second)
		expect(t, ts.registerFrom(t, ""), http.StatusCreated, "")
		expect(t, ts.registerFrom(t, ""), http.StatusTooManyRequests, "10")
	})
	t.Run("behind a trusted proxy", func(t *testing.T) {
		ts := serveWith(t, memoryStores(t, nil), serverOptions{now: clock.now, registerLimit: limit,
			trustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
		for range 3 {
			expect(t, ts.registerFrom(t, "203.0.113.9"), http.StatusCreated, "")
		}
		expect(t, ts.registerFrom(t, "203.0.113.9"), http.StatusTooManyRequests, "10")
		// What the client put left of the address the proxy saw is ignored.
		expect(t, ts.registerFrom(t, "192.0.2.1, 203.0.113.9"), http.StatusTooManyRequests, "10")
		expect(t, ts.registerFrom(t, "203.0.113.10"), http.StatusCreated, "")
	})
	t.Run("off", func(t *testing.T) {
		ts := serveWith(t, memoryStores(t, nil), serverOptions{now: clock.now})
		for range 30 {
			expect(t, ts.registerFrom(t, ""), http.StatusCreated, "")
		}
	})
}

func TestSourceOf(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	for _, tc := range []struct {
		remote, forwarded, want string
	}{
		{"198.51.100.7:5000", "", "198.51.100.7"},
		{"198.51.100.7:5000", "203.0.113.9", "198.51.100.7"}, // untrusted peer: header ignored
		{"10.1.2.3:5000", "203.0.113.9", "203.0.113.9"},
		{"10.1.2.3:5000", "203.0.113.9, 10.9.9.9", "203.0.113.9"},  // two trusted hops
		{"10.1.2.3:5000", "192.0.2.1, 203.0.113.9", "203.0.113.9"}, // spoofed left part
		{"10.1.2.3:5000", "garbage, 203.0.113.9", "203.0.113.9"},
		{"10.1.2.3:5000", "203.0.113.9, garbage", "10.1.2.3"}, // an unreadable hop: the proxy that sent it
		{"10.1.2.3:5000", "", "10.1.2.3"},
		{"10.1.2.3:5000", "10.4.4.4", "10.4.4.4"}, // only trusted hops: the left-most
		{"[2001:db8:1:2::5]:443", "", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:ffff::6]:443", "", "2001:db8:1:2::/64"},
		{"[2001:db8:1:3::5]:443", "", "2001:db8:1:3::/64"},
		{"[::ffff:198.51.100.7]:443", "", "198.51.100.7"},
		{"[fd00::1]:443", "2001:db8:9:9::1", "2001:db8:9:9::/64"},
	} {
		r, _ := http.NewRequest(http.MethodPost, "/register", nil)
		r.RemoteAddr = tc.remote
		if tc.forwarded != "" {
			r.Header.Set("X-Forwarded-For", tc.forwarded)
		}
		if got := sourceOf(r, trusted); got != tc.want {
			t.Errorf("%s via %q: %s, want %s", tc.remote, tc.forwarded, got, tc.want)
		}
	}
}

// TestRateLimiterBoundsItsMemory: past maxLimitedSources sources, the
// buckets that refilled go, and all go if none has.
func TestRateLimiterBoundsItsMemory(t *testing.T) {
	clock := newTestClock(time.Now())
	l := newRateLimiter(rateLimit{perMinute: 60, burst: 2}, clock.now)
	for i := range maxLimitedSources {
		l.allow(fmt.Sprint(i))
	}
	l.allow("one more")
	if len(l.buckets) != 1 {
		t.Errorf("%d buckets after a newcomer found all %d full of use, want 1", len(l.buckets), maxLimitedSources)
	}
	for i := range maxLimitedSources - 1 {
		l.allow(fmt.Sprint(i))
	}
	clock.advance(2 * time.Second) // all refill
	l.allow("0")
	l.allow("0") // but this one
	l.allow("last")
	if _, kept := l.buckets["0"]; len(l.buckets) != 2 || !kept {
		t.Errorf("%d buckets after all but one refilled, want that one and the newcomer's", len(l.buckets))
	}
}
