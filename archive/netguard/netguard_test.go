package netguard

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"testing"
)

// fakeResolver answers from a map and counts lookups; a host not in the map
// fails to resolve.
type fakeResolver struct {
	mu      sync.Mutex
	answers map[string][]string
	calls   int
}

func (r *fakeResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	ips, ok := r.answers[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []net.IPAddr
	for _, s := range ips {
		out = append(out, net.IPAddr{IP: net.ParseIP(s)})
	}
	return out, nil
}

var resolver = &fakeResolver{answers: map[string][]string{
	"public.example":   {"93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"},
	"intranet.example": {"10.1.2.3"},
	"mixed.example":    {"93.184.215.14", "192.168.1.1"},
	"meta.example":     {"169.254.169.254"},
	"mapped.example":   {"::ffff:10.0.0.1"},
	"v6ula.example":    {"fd00:ec2::254"},
}}

func TestCheck(t *testing.T) {
	tests := []struct {
		url     string
		wantErr error // nil, ErrPrivateAddress or ErrBadURL
	}{
		{"https://public.example/status/1", nil},
		{"http://93.184.215.14/", nil},
		{"http://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]:8080/", nil},
		{"http://10.0.0.5/", ErrPrivateAddress},
		{"http://172.16.0.1/", ErrPrivateAddress},
		{"http://172.31.255.255/", ErrPrivateAddress},
		{"http://172.32.0.1/", nil},
		{"http://192.168.0.1/", ErrPrivateAddress},
		{"http://127.0.0.1:8080/", ErrPrivateAddress},
		{"http://127.1/", ErrPrivateAddress},
		{"http://2130706433/", ErrPrivateAddress},
		{"http://0x7f.0.0.1/", ErrPrivateAddress},
		{"http://017700000001/", ErrPrivateAddress},
		{"http://0.0.0.0/", ErrPrivateAddress},
		{"http://0.1.2.3/", ErrPrivateAddress},
		{"http://169.254.169.254/latest/meta-data/", ErrPrivateAddress},
		{"http://100.64.0.1/", ErrPrivateAddress},
		{"http://100.127.255.255/", ErrPrivateAddress},
		{"http://100.128.0.1/", nil},
		{"http://224.0.0.1/", ErrPrivateAddress},
		{"http://255.255.255.255/", ErrPrivateAddress},
		{"http://[::1]/", ErrPrivateAddress},
		{"http://[::]/", ErrPrivateAddress},
		{"http://[fe80::1%25eth0]/", ErrPrivateAddress},
		{"http://[fc00::1]/", ErrPrivateAddress},
		{"http://[fd12:3456::1]/", ErrPrivateAddress},
		{"http://[ff02::1]/", ErrPrivateAddress},
		{"http://[::ffff:127.0.0.1]/", ErrPrivateAddress},
		{"http://[::ffff:10.0.0.1]/", ErrPrivateAddress},
		{"http://[::ffff:169.254.169.254]/", ErrPrivateAddress},
		{"http://[::ffff:93.184.215.14]/", nil},
		{"http://[64:ff9b::a00:1]/", ErrPrivateAddress},
		{"http://[2002:a00:1::]/", ErrPrivateAddress},
		{"http://localhost/", ErrPrivateAddress},
		{"http://LOCALHOST./", ErrPrivateAddress},
		{"http://api.localhost:3000/", ErrPrivateAddress},
		{"http://printer.local/", ErrPrivateAddress},
		{"http://intranet.example/", ErrPrivateAddress},
		{"http://mixed.example/", ErrPrivateAddress},
		{"http://meta.example/", ErrPrivateAddress},
		{"http://mapped.example/", ErrPrivateAddress},
		{"http://v6ula.example/", ErrPrivateAddress},
		{"ftp://public.example/", ErrBadURL},
		{"file:///etc/passwd", ErrBadURL},
		{"javascript:alert(1)", ErrBadURL},
		{"http:///path", ErrBadURL},
		{"http://1.2.3.4.5/", ErrBadURL},
		{"http://example.256/", ErrBadURL},
		{"http://256.1.1.1/", ErrBadURL},
	}
	g := &Guard{Resolver: resolver}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			err := g.Check(context.Background(), tt.url)
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("Check(%q) = %v, want nil", tt.url, err)
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("Check(%q) = %v, want an error wrapping %v", tt.url, err, tt.wantErr)
			}
		})
	}
}

func TestCheckAllowPrivate(t *testing.T) {
	g := &Guard{AllowPrivate: true, Resolver: &fakeResolver{}}
	for _, u := range []string{"http://10.0.0.5/", "http://localhost:8080/", "http://[::1]/", "http://unresolvable.example/"} {
		if err := g.Check(context.Background(), u); err != nil {
			t.Errorf("Check(%q) with AllowPrivate = %v, want nil", u, err)
		}
	}
	if err := g.Check(context.Background(), "ftp://10.0.0.5/"); !errors.Is(err, ErrBadURL) {
		t.Errorf("Check(ftp) with AllowPrivate = %v, want ErrBadURL", err)
	}
}

func TestCheckAllowPrefix(t *testing.T) {
	g := &Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Resolver: resolver}
	tests := []struct {
		url  string
		want bool // allowed
	}{
		{"http://127.0.0.1:8080/", true},
		{"http://[::ffff:127.0.0.1]/", true},
		{"http://localhost:8080/", true},
		{"http://[::1]/", false},
		{"http://169.254.169.254/", false},
		{"http://10.0.0.1/", false},
	}
	for _, tt := range tests {
		if err := g.Check(context.Background(), tt.url); (err == nil) != tt.want {
			t.Errorf("Check(%q) = %v, want allowed=%v", tt.url, err, tt.want)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	g := &Guard{Resolver: resolver}
	tests := []struct{ url, want string }{
		{"http://10.0.0.5/", "url http://10.0.0.5/: 10.0.0.5 is a private address; set VERBATIM_ALLOW_PRIVATE_URLS=1 to allow"},
		{"http://intranet.example/x", "url http://intranet.example/x: intranet.example resolves to 10.1.2.3, a private address; set VERBATIM_ALLOW_PRIVATE_URLS=1 to allow"},
		{"http://localhost:9/", "url http://localhost:9/: localhost is a loopback name; set VERBATIM_ALLOW_PRIVATE_URLS=1 to allow"},
		{"http://169.254.169.254/", "url http://169.254.169.254/: 169.254.169.254 is a link-local address; set VERBATIM_ALLOW_PRIVATE_URLS=1 to allow"},
	}
	for _, tt := range tests {
		err := g.Check(context.Background(), tt.url)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Check(%q) = %v\nwant %s", tt.url, err, tt.want)
		}
		var ae *AddressError
		if !errors.As(err, &ae) || ae.URL != tt.url {
			t.Errorf("Check(%q): got %#v, want an *AddressError with the URL", tt.url, err)
		}
	}
}

func TestCheckLookupFailure(t *testing.T) {
	g := &Guard{Resolver: resolver}
	err := g.Check(context.Background(), "http://nowhere.example/")
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) || errors.Is(err, ErrPrivateAddress) {
		t.Fatalf("Check(unresolvable) = %v, want a DNS error that is not a refusal", err)
	}
}

func TestKind(t *testing.T) {
	tests := []struct{ addr, want string }{
		{"8.8.8.8", ""},
		{"2001:4860:4860::8888", ""},
		{"127.0.0.1", kindLoopback},
		{"::1", kindLoopback},
		{"::", kindUnspecified},
		{"0.0.0.0", kindUnspecified},
		{"0.255.0.1", kindThisNetwork},
		{"10.255.255.255", kindPrivate},
		{"fec0::1", kindPrivate},
		{"169.254.0.1", kindLinkLocal},
		{"fe80::abcd", kindLinkLocal},
		{"100.64.0.0", kindShared},
		{"239.255.255.250", kindMulticast},
		{"ff05::2", kindMulticast},
		{"255.255.255.255", kindBroadcast},
		{"240.0.0.1", kindReserved},
		{"::ffff:192.168.1.1", kindPrivate},
		{"::10.0.0.1", kindPrivate},
		{"64:ff9b::7f00:1", kindLoopback},
		{"64:ff9b::808:808", ""},
		{"2002:c0a8:101::1", kindPrivate},
	}
	for _, tt := range tests {
		if got := Kind(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("Kind(%s) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

func TestParseIPv4Loose(t *testing.T) {
	tests := []struct {
		host   string
		want   string
		ok     bool
		hasErr bool
	}{
		{"127.0.0.1", "127.0.0.1", true, false},
		{"127.1", "127.0.0.1", true, false},
		{"10.1.2", "10.1.0.2", true, false},
		{"0x7f000001", "127.0.0.1", true, false},
		{"0x7f.1", "127.0.0.1", true, false},
		{"0177.0.0.1", "127.0.0.1", true, false},
		{"3232235777", "192.168.1.1", true, false},
		{"0x", "0.0.0.0", true, false},
		{"example.com", "", false, false},
		{"1.2.3.example", "", false, false},
		{"09.1.1.1", "", true, true},
		{"1.2.3.4.5", "", true, true},
		{"4294967296", "", true, true},
		{"1.2.65536", "", true, true},
	}
	for _, tt := range tests {
		got, ok, err := parseIPv4Loose(tt.host)
		if ok != tt.ok || (err != nil) != tt.hasErr || (tt.want != "" && got.String() != tt.want) {
			t.Errorf("parseIPv4Loose(%q) = %v, %v, %v; want %s, %v, error %v", tt.host, got, ok, err, tt.want, tt.ok, tt.hasErr)
		}
	}
}

func TestDialContextRefuses(t *testing.T) {
	// Every case is decided before a connection is attempted: the guard
	// refuses the address it would dial, so no packet leaves.
	g := &Guard{Resolver: resolver}
	for _, addr := range []string{"10.0.0.1:80", "[::1]:80", "169.254.169.254:80", "intranet.example:443", "mixed.example:443", "localhost:80"} {
		conn, err := g.DialContext(context.Background(), "tcp", addr)
		if conn != nil {
			conn.Close()
		}
		if !errors.Is(err, ErrPrivateAddress) {
			t.Errorf("DialContext(%s) = %v, want ErrPrivateAddress", addr, err)
		}
	}
}

// rebinder resolves to a public address on the first lookup and to loopback
// on every later one, as a DNS rebinding attack does.
type rebinder struct {
	mu sync.Mutex
	n  int
}

func (r *rebinder) LookupIPAddr(context.Context, string) ([]net.IPAddr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	if r.n == 1 {
		return []net.IPAddr{{IP: net.ParseIP("93.184.215.14")}}, nil
	}
	return []net.IPAddr{{IP: net.ParseIP("127.0.0.1")}}, nil
}

func TestDialContextDefeatsRebinding(t *testing.T) {
	g := &Guard{Resolver: &rebinder{}}
	if err := g.Check(context.Background(), "http://rebind.example/"); err != nil {
		t.Fatalf("first Check = %v, want nil (the name looks public)", err)
	}
	conn, err := g.DialContext(context.Background(), "tcp", "rebind.example:80")
	if conn != nil {
		conn.Close()
	}
	if !errors.Is(err, ErrPrivateAddress) {
		t.Fatalf("DialContext after rebinding = %v, want ErrPrivateAddress", err)
	}
}

func TestControlChecksSocketAddress(t *testing.T) {
	g := &Guard{}
	tests := []struct {
		addr string
		ok   bool
	}{
		{"10.0.0.1:80", false},
		{"[::ffff:127.0.0.1]:80", false},
		{"[fe80::1%eth0]:80", false},
		{"93.184.215.14:443", true},
	}
	for _, tt := range tests {
		if err := g.control("tcp4", tt.addr, nil); (err == nil) != tt.ok {
			t.Errorf("control(%s) = %v, want ok=%v", tt.addr, err, tt.ok)
		}
	}
}

func TestDialContextAllowed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	loop := &fakeResolver{answers: map[string][]string{"site.test": {"127.0.0.1"}}}
	tests := []struct {
		name string
		g    *Guard
		addr string
	}{
		{"allow private", &Guard{AllowPrivate: true}, ln.Addr().String()},
		{"allow prefix, literal", &Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}, ln.Addr().String()},
		{"allow prefix, name", &Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Resolver: loop}, net.JoinHostPort("site.test", strconv.Itoa(port))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := tt.g.DialContext(context.Background(), "tcp", tt.addr)
			if err != nil {
				t.Fatalf("DialContext(%s) = %v, want a connection", tt.addr, err)
			}
			conn.Close()
		})
	}
}
