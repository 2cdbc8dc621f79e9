// Package netguard decides whether Verbatim may fetch a URL or dial an
// address. Captures follow links chosen by others (posts, articles, their
// redirects and subresources), so a URL must not be able to reach the
// machine Verbatim runs on or its private network: loopback, RFC 1918 and
// unique-local ranges, link-local (cloud metadata at 169.254.169.254), CGNAT,
// multicast and the like are refused unless the operator allows private
// addresses (for tests and the demo).
//
// Check judges a URL by resolving its host; DialContext judges the address
// actually dialled, so a name that resolves to a public address when checked
// and to a private one when dialled (DNS rebinding) is still refused.
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
)

// ErrPrivateAddress is wrapped by every error that refuses a URL or an
// address because it is loopback, private, link-local or otherwise not
// public.
var ErrPrivateAddress = errors.New("private address")

// ErrBadURL is wrapped by the errors for URLs that cannot be fetched at all:
// a scheme other than http or https, no host, or a malformed host.
var ErrBadURL = errors.New("unsupported url")

// allowHint ends every refusal, so an operator knows the way out.
const allowHint = "set VERBATIM_ALLOW_PRIVATE_URLS=1 to allow"

// Resolver looks up the addresses of a host name. *net.Resolver implements
// it.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// Guard refuses URLs and addresses that are not public. The zero value is
// ready to use and strict.
type Guard struct {
	// AllowPrivate turns the guard off: every address is allowed. URLs must
	// still be http or https with a host.
	AllowPrivate bool
	// Allow lists prefixes that are allowed even though they are not public,
	// such as 127.0.0.0/8 for a test server on loopback while everything
	// else stays guarded.
	Allow []netip.Prefix
	// Resolver resolves host names; net.DefaultResolver when nil.
	Resolver Resolver
}

// AddressError is the error for a refused URL or address. It wraps
// ErrPrivateAddress.
type AddressError struct {
	// URL is the URL that was checked; empty for DialContext.
	URL string
	// Host is the host as given, a name or an address literal.
	Host string
	// Addr is the refused address; not valid when a name itself was refused
	// (such as "localhost").
	Addr netip.Addr
	// Kind says what the address is: "a private address", "a loopback
	// address", "a link-local address", ...
	Kind string
}

// Error returns one line such as "url http://10.0.0.5/: 10.0.0.5 is a
// private address; set VERBATIM_ALLOW_PRIVATE_URLS=1 to allow".
func (e *AddressError) Error() string {
	var what string
	switch {
	case !e.Addr.IsValid():
		what = fmt.Sprintf("%s is %s", e.Host, e.Kind)
	case e.Host == "" || e.Host == e.Addr.String():
		what = fmt.Sprintf("%s is %s", e.Addr, e.Kind)
	default:
		what = fmt.Sprintf("%s resolves to %s, %s", e.Host, e.Addr, e.Kind)
	}
	if e.URL != "" {
		return fmt.Sprintf("url %s: %s; %s", e.URL, what, allowHint)
	}
	return fmt.Sprintf("%s; %s", what, allowHint)
}

// Unwrap returns ErrPrivateAddress.
func (e *AddressError) Unwrap() error { return ErrPrivateAddress }

// Check returns nil if rawURL may be fetched: its scheme is http or https, it
// has a host, and every address the host resolves to is public (or allowed).
// A refusal wraps ErrPrivateAddress; a malformed URL wraps ErrBadURL; a
// failed lookup is returned wrapped.
func (g *Guard) Check(ctx context.Context, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("url %s: %w: %w", rawURL, ErrBadURL, err)
	}
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
		return fmt.Errorf("url %s: %w: scheme %q (only http and https)", rawURL, ErrBadURL, u.Scheme)
	}
	host := u.Hostname()
	if host == "" {
		return fmt.Errorf("url %s: %w: no host", rawURL, ErrBadURL)
	}
	addrs, err := g.lookup(ctx, host)
	if err != nil {
		var ae *AddressError
		if errors.As(err, &ae) {
			ae.URL = rawURL
			return ae
		}
		return fmt.Errorf("url %s: %w", rawURL, err)
	}
	for _, a := range addrs {
		if err := g.CheckAddr(a); err != nil {
			ae := err.(*AddressError)
			ae.URL, ae.Host = rawURL, host
			return ae
		}
	}
	return nil
}

// CheckAddr returns an *AddressError if addr is not public and not allowed,
// and nil otherwise.
func (g *Guard) CheckAddr(addr netip.Addr) error {
	if g.AllowPrivate {
		return nil
	}
	addr = addr.WithZone("")
	for _, p := range g.Allow {
		if p.Contains(addr) || (addr.Is4In6() && p.Contains(addr.Unmap())) {
			return nil
		}
	}
	if kind := Kind(addr); kind != "" {
		return &AddressError{Addr: addr, Kind: kind}
	}
	return nil
}

// lookup returns the addresses of host, which may be an address literal in
// any form a browser accepts ("10.0.0.5", "[::1]", "0x7f.1", "2130706433").
// A name refused by itself, such as "localhost", gives an *AddressError
// when the guard is on.
func (g *Guard) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	name := strings.TrimSuffix(strings.ToLower(host), ".")
	if a, ok, err := parseIPv4Loose(name); err != nil {
		return nil, fmt.Errorf("%w: host %q: %w", ErrBadURL, host, err)
	} else if ok {
		return []netip.Addr{a}, nil
	}
	if g.AllowPrivate {
		// Nothing will be refused, so there is nothing to resolve.
		return nil, nil
	}
	switch kind := classifyName(name); kind {
	case "":
	case kindLoopName:
		// Allowed only where loopback is allowed, as for a test server.
		lo := netip.AddrFrom4([4]byte{127, 0, 0, 1})
		if g.CheckAddr(lo) == nil {
			return []netip.Addr{lo}, nil
		}
		return nil, &AddressError{Host: host, Kind: kind}
	default:
		return nil, &AddressError{Host: host, Kind: kind}
	}
	r := g.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	ips, err := r.LookupIPAddr(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("look up %s: %w", host, err)
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("look up %s: no addresses", host)
	}
	addrs := make([]netip.Addr, 0, len(ips))
	for _, ip := range ips {
		a, ok := netip.AddrFromSlice(ip.IP)
		if !ok {
			return nil, fmt.Errorf("look up %s: bad address %v", host, ip.IP)
		}
		addrs = append(addrs, a.Unmap().WithZone(ip.Zone))
	}
	return addrs, nil
}

// DialContext dials like net.Dialer.DialContext, for use as an
// http.Transport's DialContext. It resolves the host with the guard's
// resolver, refuses it if any of its addresses is refused, and dials the
// checked addresses themselves; the socket's address is checked once more
// just before connecting, so what is dialled is what was checked.
func (g *Guard) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	d := net.Dialer{Control: g.control}
	if g.AllowPrivate {
		return d.DialContext(ctx, network, address)
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", address, err)
	}
	addrs, err := g.lookup(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", address, err)
	}
	for _, a := range addrs {
		if err := g.CheckAddr(a); err != nil {
			err.(*AddressError).Host = host
			return nil, fmt.Errorf("dial %s: %w", address, err)
		}
	}
	var firstErr error
	for _, a := range addrs {
		conn, err := d.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
		if err == nil {
			return conn, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, firstErr
}

// control runs after the socket is made and before it connects, with the
// numeric address being connected to.
func (g *Guard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, err)
	}
	return g.CheckAddr(ap.Addr())
}

// Refused address kinds, as they appear in messages.
const (
	kindUnspecified = "an unspecified address"
	kindThisNetwork = "a \"this network\" address (0.0.0.0/8)"
	kindLoopback    = "a loopback address"
	kindPrivate     = "a private address"
	kindLinkLocal   = "a link-local address"
	kindShared      = "a shared (CGNAT) address"
	kindMulticast   = "a multicast address"
	kindBroadcast   = "a broadcast address"
	kindReserved    = "a reserved address"
	kindLoopName    = "a loopback name"
	kindLocalName   = "a local (mDNS) name"
)

var (
	thisNetwork = netip.MustParsePrefix("0.0.0.0/8")
	shared      = netip.MustParsePrefix("100.64.0.0/10")
	reserved4   = netip.MustParsePrefix("240.0.0.0/4")
	siteLocal6  = netip.MustParsePrefix("fec0::/10")
	nat64       = netip.MustParsePrefix("64:ff9b::/96")
	nat64Local  = netip.MustParsePrefix("64:ff9b:1::/48")
	sixToFour   = netip.MustParsePrefix("2002::/16")
	compat4     = netip.MustParsePrefix("::/96")
)

// Kind returns what addr is when it is not a public unicast address
// ("a private address", "a loopback address", ...), and "" when it is.
// IPv4 addresses embedded in IPv6 (mapped, compatible, NAT64, 6to4) are
// judged by the IPv4 address they carry.
func Kind(addr netip.Addr) string {
	addr = addr.WithZone("")
	if addr.Is6() {
		if v4, ok := embedded4(addr); ok {
			if k := Kind(v4); k != "" {
				return k
			}
			if addr.Is4In6() {
				return ""
			}
		}
	}
	switch {
	case !addr.IsValid(), addr.IsUnspecified():
		return kindUnspecified
	case addr.IsLoopback():
		return kindLoopback
	case addr.Is4() && thisNetwork.Contains(addr):
		return kindThisNetwork
	case addr.IsPrivate(), siteLocal6.Contains(addr):
		return kindPrivate
	case addr.IsLinkLocalUnicast():
		return kindLinkLocal
	case addr.IsMulticast(), addr.IsLinkLocalMulticast(), addr.IsInterfaceLocalMulticast():
		return kindMulticast
	case shared.Contains(addr):
		return kindShared
	case addr == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return kindBroadcast
	case reserved4.Contains(addr):
		return kindReserved
	}
	return ""
}

// embedded4 returns the IPv4 address carried by an IPv6 address in one of
// the forms that reach IPv4 hosts.
func embedded4(a netip.Addr) (netip.Addr, bool) {
	b := a.As16()
	switch {
	case a.Is4In6():
		return a.Unmap(), true
	case nat64.Contains(a), compat4.Contains(a) && a != netip.IPv6Unspecified() && a != netip.IPv6Loopback():
		return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), true
	case nat64Local.Contains(a):
		// RFC 8215 leaves the embedding to the operator; the common /96
		// form puts the address last.
		return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), true
	case sixToFour.Contains(a):
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), true
	}
	return netip.Addr{}, false
}

// classifyName returns the kind of a host name that is refused by itself,
// before any lookup, and "" for other names. name is lowercase without a
// trailing dot.
func classifyName(name string) string {
	switch {
	case name == "localhost", strings.HasSuffix(name, ".localhost"),
		name == "localhost.localdomain", name == "ip6-localhost", name == "ip6-loopback":
		return kindLoopName
	case strings.HasSuffix(name, ".local"):
		return kindLocalName
	}
	return ""
}

// parseIPv4Loose parses host as the WHATWG URL standard parses an IPv4 host,
// the way browsers do: "127.1", "0x7f.0.0.1", "017700000001" and
// "2130706433" all mean 127.0.0.1. It reports ok=false for a host that is
// not meant as an IPv4 address (its last label is not a number), and an
// error for one that is but is malformed. host is lowercase without a
// trailing dot.
func parseIPv4Loose(host string) (addr netip.Addr, ok bool, err error) {
	parts := strings.Split(host, ".")
	if !isNumberLabel(parts[len(parts)-1]) {
		return netip.Addr{}, false, nil
	}
	if len(parts) > 4 {
		return netip.Addr{}, true, errors.New("too many parts for an IPv4 address")
	}
	nums := make([]uint64, len(parts))
	for i, p := range parts {
		n, err := parseIPv4Number(p)
		if err != nil {
			return netip.Addr{}, true, err
		}
		nums[i] = n
	}
	for _, n := range nums[:len(nums)-1] {
		if n > 255 {
			return netip.Addr{}, true, errors.New("IPv4 part out of range")
		}
	}
	last := nums[len(nums)-1]
	if last >= 1<<(8*(5-len(nums))) {
		return netip.Addr{}, true, errors.New("IPv4 address out of range")
	}
	v := last
	for i, n := range nums[:len(nums)-1] {
		v += n << (8 * (3 - i))
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true, nil
}

// isNumberLabel reports whether a label is a decimal number, or "0x"
// followed by hex digits (possibly none), as in the WHATWG "ends in a
// number" check.
func isNumberLabel(s string) bool {
	if s == "" {
		return false
	}
	if strings.HasPrefix(s, "0x") {
		s = s[2:]
		for _, c := range s {
			if !strings.ContainsRune("0123456789abcdef", c) {
				return false
			}
		}
		return true
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// parseIPv4Number parses one part of a WHATWG IPv4 host: "0x" hex, a leading
// "0" octal, or decimal.
func parseIPv4Number(s string) (uint64, error) {
	base := 10
	switch {
	case strings.HasPrefix(s, "0x"):
		s, base = s[2:], 16
		if s == "" {
			return 0, nil
		}
	case len(s) > 1 && s[0] == '0':
		s, base = s[1:], 8
	}
	if s == "" {
		return 0, errors.New("empty IPv4 part")
	}
	n, err := strconv.ParseUint(s, base, 64)
	if err != nil {
		return 0, fmt.Errorf("IPv4 part %q: %w", s, err)
	}
	return n, nil
}
