package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// fakeResolver answers from a table, as a DNS server an attacker controls
// would: any name may point anywhere.
type fakeResolver map[string][]string

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	answers, ok := f[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	out := make([]netip.Addr, len(answers))
	for i, a := range answers {
		out[i] = netip.MustParseAddr(a)
	}
	return out, nil
}

// TestDefaultPolicyRefusesInternalAddresses: the default policy refuses
// every address that does not lead to the public internet, IPv4 addresses
// smuggled in IPv6 ones included, and lets public ones through.
func TestDefaultPolicyRefusesInternalAddresses(t *testing.T) {
	for addr, kind := range map[string]string{
		"127.0.0.1": "loopback", "127.9.9.9": "loopback", "::1": "loopback",
		"10.0.0.1": "private", "10.255.255.255": "private", "172.16.0.1": "private", "172.31.255.254": "private",
		"192.168.0.1": "private", "192.168.255.255": "private", "fc00::1": "private", "fd12:3456::1": "private",
		"169.254.169.254": "link-local", "169.254.0.1": "link-local", "fe80::1": "link-local", "febf::1": "link-local",
		"0.0.0.0": "unspecified", "::": "unspecified",
		"::ffff:127.0.0.1": "IPv4-mapped", "::ffff:10.0.0.1": "IPv4-mapped", "::ffff:8.8.8.8": "IPv4-mapped",
		"::127.0.0.1": "IPv4-compatible", "::10.0.0.1": "IPv4-compatible",
		"64:ff9b::7f00:1": "NAT64", "2002:7f00:1::1": "6to4", "2001:0:7f00:1::1": "Teredo",
		"100.64.0.1": "carrier-grade NAT", "100.127.255.254": "carrier-grade NAT",
		"224.0.0.1": "multicast", "ff02::1": "multicast", "255.255.255.255": "reserved",
		"192.0.2.1": "documentation", "2001:db8::1": "documentation", "fe80::1%eth0": "scoped",
		"100::1": "not a global unicast",
	} {
		err := publicAddressesOnly(netip.MustParseAddr(addr))
		if err == nil || !strings.Contains(err.Error(), kind) {
			t.Errorf("%s: %v, want refused as %s", addr, err, kind)
		}
	}
	for _, addr := range []string{"8.8.8.8", "1.1.1.1", "93.184.216.34", "172.32.0.1", "192.169.0.1", "100.128.0.1",
		"2606:4700:4700::1111", "2a00:1450:4001:82a::200e"} {
		if err := publicAddressesOnly(netip.MustParseAddr(addr)); err != nil {
			t.Errorf("%s: refused (%v), want allowed", addr, err)
		}
	}
}

// TestDefaultPolicyRefusesLocalServers: with the default policy, a fetch
// never reaches a server on loopback, however its URL names it: by
// address, by IPv4-mapped address, or by a host name that resolves to an
// internal address (among public ones too). The refusal names the host and
// the kind of address, never the address a name resolved to.
func TestDefaultPolicyRefusesLocalServers(t *testing.T) {
	docs := newDocServer(t)
	_, port, _ := net.SplitHostPort(docs.Listener.Addr().String())
	pool := x509.NewCertPool()
	pool.AddCert(docs.Certificate())
	resolver := fakeResolver{
		"loopback.test": {"127.0.0.1"}, "mapped.test": {"::ffff:127.0.0.1"}, "private.test": {"10.1.2.3"},
		"mixed.test": {"93.184.216.34", "192.168.1.7"}, "metadata.test": {"169.254.169.254"},
		"v6loopback.test": {"::1"}, "v6linklocal.test": {"fe80::1"}, "cgnat.test": {"100.64.1.2"},
	}
	fetcher := newCIMDFetcher(cimdConfig{rootCAs: pool, resolver: resolver, timeout: 2 * time.Second})
	for host, kind := range map[string]string{
		"127.0.0.1": "loopback", "[::1]": "loopback", "[::ffff:127.0.0.1]": "IPv4-mapped",
		"loopback.test": "loopback", "mapped.test": "IPv4-mapped", "private.test": "private",
		"mixed.test": "private", "metadata.test": "link-local", "v6loopback.test": "loopback",
		"v6linklocal.test": "link-local", "cgnat.test": "carrier-grade NAT",
	} {
		_, err := fetcher.fetch(context.Background(), "https://"+host+":"+port+"/client.json", time.Now())
		// Refused by name, before any connection: a name that also points
		// inward is not trusted for its public answers either.
		msg := fmt.Sprint(err)
		if !strings.Contains(msg, "refusing to connect to "+strings.Trim(host, "[]")+": ") || !strings.Contains(msg, kind) {
			t.Errorf("%s: %v, want a refusal of the host naming a %s address", host, err, kind)
		}
		if !strings.Contains(host, "127.0.0.1") && (strings.Contains(msg, "127.0.0.1") || strings.Contains(msg, "10.1.2.3") || strings.Contains(msg, "192.168.1.7")) {
			t.Errorf("%s: the refusal shows the resolved address: %s", host, msg)
		}
	}
	if n := docs.fetches.Load(); n != 0 {
		t.Errorf("the local server was reached %d times", n)
	}

	t.Run("through the server", func(t *testing.T) {
		ts := serveWith(t, memoryStores(t, nil), serverOptions{cimd: true, cimdConfig: cimdConfig{rootCAs: pool}})
		_, challenge := pkcePair()
		r := ts.authorizeRequest(t, docs.URL+"/client.json", cimdRedirect, challenge, nil)
		if r.status != http.StatusBadRequest || r.str("error") != "invalid_client" || !strings.Contains(r.str("error_description"), "loopback") {
			t.Errorf("got %d %s, want 400 invalid_client refusing a loopback address", r.status, r.raw)
		}
		if n := docs.fetches.Load(); n != 0 {
			t.Errorf("the local server was reached %d times", n)
		}
	})
	t.Run("a resolved name is dialed at the address checked", func(t *testing.T) {
		// example.com is in the test server's certificate; the resolver
		// sends it to loopback, which the test policy allows.
		cfg := docs.config()
		cfg.resolver = fakeResolver{"example.com": {"127.0.0.1"}}
		id := "https://example.com:" + port + "/client.json"
		docs.publish(t, "/client.json", cimdDocument(id, nil), "")
		ts := serveWith(t, memoryStores(t, nil), serverOptions{cimd: true, cimdConfig: cfg})
		if tok := ts.authorizationCodeFlow(t, id, cimdRedirect); tok.status != http.StatusOK {
			t.Errorf("flow through the resolver: %d %s", tok.status, tok.raw)
		}
	})
}

// TestGuardedDialerChecksTheSocket: the dialer's last check runs on the
// address of the socket itself, whatever resolved it.
func TestGuardedDialerChecksTheSocket(t *testing.T) {
	d := newGuardedDialer(nil, nil)
	for _, addr := range []string{"127.0.0.1:443", "[::ffff:10.0.0.1]:443", "[fe80::1]:443", "[::1]:443", "169.254.169.254:80"} {
		if err := d.checkSocket("tcp", addr, nil); err == nil {
			t.Errorf("%s: allowed", addr)
		}
	}
	if err := d.checkSocket("tcp", "93.184.216.34:443", nil); err != nil {
		t.Errorf("a public address: %v", err)
	}

	// A policy that lets the first look through and refuses the second:
	// the dial must fail at the socket.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	looks := 0
	twoFaced := func(netip.Addr) error {
		if looks++; looks == 1 {
			return nil
		}
		return errors.New("refused at the socket")
	}
	conn, err := newGuardedDialer(twoFaced, nil).DialContext(context.Background(), "tcp", ln.Addr().String())
	if err == nil {
		conn.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "refused at the socket") {
		t.Errorf("dial: %v, want the socket's refusal", err)
	}
}
