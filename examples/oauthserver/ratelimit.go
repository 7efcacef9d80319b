package main

import (
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
)

// rateLimit is a token bucket's shape: perMinute tokens a minute, up to
// burst at once. A zero perMinute means no limit.
type rateLimit struct {
	perMinute float64
	burst     int
}

// Defaults of the registration limit: a burst for a busy office behind one
// address, then one registration every six seconds.
const (
	defaultRegisterPerMinute = 10
	defaultRegisterBurst     = 20
	// maxLimitedSources bounds the buckets kept; past it, the full ones go.
	maxLimitedSources = 100_000
)

// rateLimiter keeps one token bucket per source. It is in memory: behind
// several replicas, each limits on its own.
type rateLimiter struct {
	limit rateLimit
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time // when tokens was computed
}

func newRateLimiter(limit rateLimit, now func() time.Time) *rateLimiter {
	if limit.perMinute <= 0 {
		return nil
	}
	limit.burst = max(limit.burst, 1)
	return &rateLimiter{limit: limit, now: now, buckets: map[string]*bucket{}}
}

// allow takes a token from source's bucket; when there is none, it says
// how long until there is one. A nil limiter allows everything.
func (l *rateLimiter) allow(source string) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[source]
	if !ok {
		l.makeRoom(now)
		b = &bucket{tokens: float64(l.limit.burst), at: now}
		l.buckets[source] = b
	}
	b.tokens = l.refilled(b, now)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	perSecond := l.limit.perMinute / 60
	return false, time.Duration((1 - b.tokens) / perSecond * float64(time.Second))
}

func (l *rateLimiter) refilled(b *bucket, now time.Time) float64 {
	return min(float64(l.limit.burst), b.tokens+now.Sub(b.at).Seconds()*l.limit.perMinute/60)
}

// makeRoom drops the full buckets (their sources are as if never seen)
// once maxLimitedSources are kept, and all of them if that is not enough:
// many addresses then get a fresh burst each, rather than the table growing
// without end or every newcomer being refused.
func (l *rateLimiter) makeRoom(now time.Time) {
	if len(l.buckets) < maxLimitedSources {
		return
	}
	for source, b := range l.buckets {
		if l.refilled(b, now) >= float64(l.limit.burst) {
			delete(l.buckets, source)
		}
	}
	if len(l.buckets) >= maxLimitedSources {
		clear(l.buckets)
	}
}

// writeTooManyRequests answers 429 with the seconds to wait in Retry-After.
func writeTooManyRequests(w http.ResponseWriter, wait time.Duration) {
	seconds := int(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(max(seconds, 1)))
	writeError(w, http.StatusTooManyRequests, "too_many_requests",
		"too many requests from this address; retry after the seconds in Retry-After")
}

// sourceOf is the address a request comes from, as a rate limit key: the
// peer's address, or, when the peer is one of trusted (a reverse proxy of
// this deployment), the right-most address of X-Forwarded-For that is not a
// trusted proxy, since everything left of it is what the client claims.
// IPv6 addresses count by their /64, which one host usually holds whole.
func sourceOf(r *http.Request, trusted []netip.Prefix) string {
	peer := remoteAddr(r)
	if peer.IsValid() && isTrusted(peer, trusted) {
		peer = forwardedFor(r.Header.Values("X-Forwarded-For"), trusted, peer)
	}
	switch {
	case !peer.IsValid():
		return r.RemoteAddr
	case peer.Is4():
		return peer.String()
	}
	prefix, _ := peer.WithZone("").Prefix(64)
	return prefix.String()
}

func remoteAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, _ := netip.ParseAddr(host)
	return ip.Unmap()
}

func isTrusted(ip netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// forwardedFor walks X-Forwarded-For from the right, past the trusted
// proxies, to the address the last of them saw; an unreadable entry stops
// the walk at the proxy that forwarded it.
func forwardedFor(headers []string, trusted []netip.Prefix, peer netip.Addr) netip.Addr {
	hops := strings.Split(strings.Join(headers, ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		ip, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return peer
		}
		peer = ip.Unmap()
		if !isTrusted(peer, trusted) {
			return peer
		}
	}
	return peer
}
