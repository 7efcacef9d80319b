package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"syscall"
)

// addressPolicy says whether the server may open a connection to an
// address on a caller's behalf (a client ID metadata document is fetched
// from wherever its client_id points): nil for yes, else why not.
type addressPolicy func(netip.Addr) error

// refusedRange is a block of addresses the default policy never connects to.
type refusedRange struct {
	prefix netip.Prefix
	kind   string
}

// refusedRanges are the addresses that do not lead to the public internet:
// the server's own host, its private networks, and the ranges that embed an
// IPv4 address in an IPv6 one, which would smuggle any of them past a check
// of the IPv6 address alone.
var refusedRanges = []refusedRange{
	{netip.MustParsePrefix("0.0.0.0/8"), "unspecified"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private"},
	{netip.MustParsePrefix("100.64.0.0/10"), "carrier-grade NAT"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignment"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation"},
	{netip.MustParsePrefix("192.88.99.0/24"), "6to4 relay"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"}, // 255.255.255.255 too
	{netip.MustParsePrefix("::/128"), "unspecified"},
	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("::ffff:0:0/96"), "IPv4-mapped IPv6"},
	{netip.MustParsePrefix("::/96"), "IPv4-compatible IPv6"},
	{netip.MustParsePrefix("64:ff9b::/96"), "NAT64"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "NAT64"},
	{netip.MustParsePrefix("2001::/32"), "Teredo"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
	{netip.MustParsePrefix("2002::/16"), "6to4"},
	{netip.MustParsePrefix("fc00::/7"), "private (unique local)"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}

// globalUnicastV6 is where every public IPv6 address lies; the rest of the
// IPv6 space is special-purpose or unassigned.
var globalUnicastV6 = netip.MustParsePrefix("2000::/3")

// publicAddressesOnly is the default policy: an address of the public
// internet, nothing in refusedRanges, no scoped (zoned) address.
func publicAddressesOnly(ip netip.Addr) error {
	switch {
	case !ip.IsValid():
		return errors.New("not an IP address")
	case ip.Zone() != "":
		return errors.New("a scoped (zoned) address")
	}
	for _, r := range refusedRanges {
		if r.prefix.Contains(ip) {
			return fmt.Errorf("a %s address", r.kind)
		}
	}
	if ip.Is6() && !globalUnicastV6.Contains(ip) {
		return errors.New("not a global unicast IPv6 address")
	}
	return nil
}

// resolver looks host names up; *net.Resolver is one.
type resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// refusedAddressError is a connection the policy refused. Its message names
// the host and the kind of address, not the address: the caller chose the
// host, and the server's view of internal names is none of its business.
type refusedAddressError struct {
	host string
	why  error
}

func (e *refusedAddressError) Error() string {
	return fmt.Sprintf("refusing to connect to %s: it resolves to %v", e.host, e.why)
}

// guardedDialer connects only to addresses its policy allows, checked after
// the host name is resolved and again on the socket about to connect: it
// dials the very address it checked, so a DNS answer that changes between
// the check and the connection (DNS rebinding) cannot lead it elsewhere.
type guardedDialer struct {
	allow    addressPolicy // nil: publicAddressesOnly
	resolver resolver      // nil: net.DefaultResolver
	dialer   net.Dialer
}

func newGuardedDialer(allow addressPolicy, r resolver) *guardedDialer {
	if allow == nil {
		allow = publicAddressesOnly
	}
	if r == nil {
		r = net.DefaultResolver
	}
	d := &guardedDialer{allow: allow, resolver: r}
	d.dialer.Control = d.checkSocket
	return d
}

// DialContext resolves address's host, refuses it when any of its
// addresses is refused (a name that also points inward is not trusted for
// its other answers), and dials the checked addresses in turn.
func (d *guardedDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, portText, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("invalid port in %q", address)
	}
	addrs, err := d.lookup(ctx, host)
	if err != nil {
		return nil, err
	}
	for _, ip := range addrs {
		if why := d.allow(ip); why != nil {
			return nil, &refusedAddressError{host: host, why: why}
		}
	}
	var errs []error
	for _, ip := range addrs {
		conn, err := d.dialer.DialContext(ctx, network, netip.AddrPortFrom(ip, uint16(port)).String())
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// lookup returns the addresses of host: itself when it is an address.
func (d *guardedDialer) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	addrs, err := d.resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("%s has no address", host)
	}
	return addrs, nil
}

// checkSocket is the dialer's last word, run on the socket before it
// connects: whatever led to address, the policy decides.
func (d *guardedDialer) checkSocket(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("refusing to connect to %q: not an address", address)
	}
	if why := d.allow(ap.Addr()); why != nil {
		return &refusedAddressError{host: "the address dialed", why: why}
	}
	return nil
}
