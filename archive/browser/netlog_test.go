package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/verbatim-archive/verbatim/archive/netguard"
)

// netLogHost is a public-looking name that the test maps to the loopback
// test server, both in Chromium (--host-resolver-rules) and in the guard:
// some background services skip pages on IP addresses or localhost but
// not pages on a name (optimization hints, safe browsing lookups, ...).
const netLogHost = "news.verbatim.example"

// frenchPage has another language than the browser's (for Translate) and
// a login form (for autofill's server queries).
const frenchPage = `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Le ministre a signé la charte</title></head>
<body><article><h1>Le ministre a signé la charte aujourd'hui</h1>
<p>Une bonne journée pour nos deux pays. La charte de partenariat stratégique
renforce la coopération entre les deux gouvernements dans les domaines de
l'énergie, de la défense et de la culture.</p>
<img src="/photo.png" alt="Photo"></article>
<form action="/login" method="post"><label>Adresse e-mail <input type="email" name="email" autocomplete="username"></label>
<label>Mot de passe <input type="password" name="password" autocomplete="current-password"></label>
<button>Se connecter</button></form></body></html>
`

// TestNoBackgroundTraffic runs the pool's Chromium with a NetLog, captures
// pages of a loopback test site, lets the browser idle and closes it: the
// log must name no host but loopback (and the test's name for it), neither
// in a request, a DNS lookup nor a connection. Background calls to Google
// services (optimization guide, accounts, component updater, network time,
// ...) show up in the log even though they fail in a sandbox without
// network, so the test sees the attempt without anything leaving the
// machine.
//
// What remains in the log, and is not traffic: Chromium's IPv6
// reachability check connects a UDP socket to 2001:4860:4860::8888 (Google
// Public DNS) to learn whether the machine has an IPv6 route, and sends
// nothing on it (HOST_RESOLVER_MANAGER_IPV6_REACHABILITY_CHECK); no flag
// turns it off. The test skips UDP sockets that send no datagram.
//
// VERBATIM_NETLOG_IDLE (a Go duration, default 5s) sets the idle time, for
// a longer check by hand: Chromium schedules some background work minutes
// after its start.
func TestNoBackgroundTraffic(t *testing.T) {
	idle := 5 * time.Second
	if v := os.Getenv("VERBATIM_NETLOG_IDLE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("VERBATIM_NETLOG_IDLE: %v", err)
		}
		idle = d
	}
	site := newSite(t)
	img := photo()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /fr", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, frenchPage)
	})
	mux.HandleFunc("GET /photo.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(img)
	})
	named := httptest.NewServer(mux)
	t.Cleanup(named.Close)
	_, port, _ := net.SplitHostPort(named.Listener.Addr().String())

	logFile := filepath.Join(t.TempDir(), "netlog.json")
	p := newPool(t, context.Background(), Options{
		Tabs:    1,
		Timeout: 30 * time.Second,
		Guard: &netguard.Guard{
			Allow:    loopback.Allow,
			Resolver: staticResolver{netLogHost: netip.MustParseAddr("127.0.0.1")},
		},
		flags: map[string]any{
			"log-net-log":          logFile,
			"net-log-capture-mode": "Default",
			"host-resolver-rules":  "MAP " + netLogHost + " 127.0.0.1",
		},
	})
	for _, u := range []string{site.URL + "/post", "http://" + net.JoinHostPort(netLogHost, port) + "/fr"} {
		res, err := p.Capture(ctx(t, time.Minute), Request{URL: u})
		if err != nil {
			t.Fatalf("capture %s: %v", u, err)
		}
		if res.Verdict != VerdictOK {
			t.Errorf("capture %s: verdict %s (%s)", u, res.Verdict, res.Detail)
		}
	}
	time.Sleep(idle)

	// A graceful close makes Chromium finish the log file.
	p.mu.Lock()
	inst := p.cur
	p.mu.Unlock()
	cctx, cancel := context.WithTimeout(inst.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Cancel(cctx); err != nil && !errors.Is(err, context.Canceled) {
		t.Logf("closing chromium: %v", err)
	}
	<-inst.ctx.Done()

	data, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatalf("net log: %v", err)
	}
	nl, err := parseNetLog(data)
	if err != nil {
		t.Fatalf("net log %s: %v", logFile, err)
	}
	seen, quiet := nl.hosts()
	t.Logf("%d net log events; hosts: %v", len(nl.Events), slices.Sorted(maps.Keys(seen)))
	for _, h := range quiet {
		t.Logf("not traffic: %s", h)
	}
	for _, want := range []string{"127.0.0.1", netLogHost} {
		if _, ok := seen[want]; !ok {
			t.Errorf("the net log never names %s (hosts %v): is it logging the captures at all?", want, slices.Sorted(maps.Keys(seen)))
		}
	}
	// The services moved to refusedURL must fail before any connection
	// (the test site's shows that connections are seen).
	if a := site.Listener.Addr().String(); !nl.connects(a) {
		t.Errorf("the net log shows no connection to the test site at %s", a)
	}
	if refused, _ := url.Parse(refusedURL); nl.connects(refused.Host) {
		t.Errorf("Chromium opened a connection to %s, which it should refuse as an unsafe port", refused.Host)
	}
	var outside []string
	for host, where := range seen {
		if !isLoopbackHost(host) && host != netLogHost {
			outside = append(outside, fmt.Sprintf("%s (%s)", host, strings.Join(where, "; ")))
		}
	}
	slices.Sort(outside)
	if len(outside) > 0 {
		t.Errorf("Chromium tried to reach hosts outside loopback:\n%s", strings.Join(outside, "\n"))
	}
}

// staticResolver resolves the names it holds and no other.
type staticResolver map[string]netip.Addr

func (r staticResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	a, ok := r[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return []net.IPAddr{{IP: a.AsSlice()}}, nil
}

// netLog is a NetLog JSON file, as Chromium's --log-net-log writes it.
type netLog struct {
	Constants struct {
		LogEventTypes map[string]int `json:"logEventTypes"`
		LogSourceType map[string]int `json:"logSourceType"`
	} `json:"constants"`
	Events []netLogEvent `json:"events"`

	names map[int]string // event type → name
}

type netLogEvent struct {
	Type   int `json:"type"`
	Source struct {
		ID   int `json:"id"`
		Type int `json:"type"`
	} `json:"source"`
	Params json.RawMessage `json:"params"`
}

// parseNetLog reads a NetLog. A log whose writer was killed lacks its
// closing brackets; they are added.
func parseNetLog(data []byte) (*netLog, error) {
	var log netLog
	if err := json.Unmarshal(data, &log); err != nil {
		fixed := append(bytes.TrimRight(data, ", \r\n\t"), "]}"...)
		if json.Unmarshal(fixed, &log) != nil {
			return nil, err
		}
	}
	if len(log.Events) == 0 {
		return nil, errors.New("no events")
	}
	log.names = make(map[int]string, len(log.Constants.LogEventTypes))
	for name, n := range log.Constants.LogEventTypes {
		log.names[n] = name
	}
	return &log, nil
}

// netLogSkipKeys hold context rather than a destination: headers (Origin,
// Referer), and the sites a request is made for or partitioned by.
var netLogSkipKeys = map[string]bool{
	"headers": true, "request_headers": true, "response_headers": true, "line": true,
	"initiator": true, "site_for_cookies": true, "top_frame_origin": true,
	"network_isolation_key": true, "network_anonymization_key": true,
	"location": true, "referrer": true,
}

// hosts returns every host the log names as a destination: the URL of a
// request, the host of a DNS lookup or of a socket pool group, the
// address of a connection. Each comes with the events (and keys) that
// named it. quiet lists the UDP sockets that connected but sent nothing,
// which is no traffic.
func (l *netLog) hosts() (seen map[string][]string, quiet []string) {
	// UDP sockets that sent a datagram.
	sent := make(map[int]bool)
	for _, ev := range l.Events {
		if strings.HasSuffix(l.names[ev.Type], "BYTES_SENT") {
			sent[ev.Source.ID] = true
		}
	}
	seen = make(map[string][]string)
	add := func(host, where string) {
		host = strings.ToLower(strings.Trim(host, "[]."))
		if host != "" && !slices.Contains(seen[host], where) && len(seen[host]) < 5 {
			seen[host] = append(seen[host], where)
		}
	}
	for _, ev := range l.Events {
		if len(ev.Params) == 0 {
			continue
		}
		var params any
		if json.Unmarshal(ev.Params, &params) != nil {
			continue
		}
		name := l.names[ev.Type]
		walkJSON(params, "", func(key, s string) {
			where := name + "." + key
			switch key {
			case "url", "original_url", "new_url", "host", "hostname", "host_and_port", "group_id", "group_name", "server", "destination":
			case "address":
				// The local end of a socket, or a UDP socket that only
				// asked the kernel for a route, is not a destination.
				if !strings.Contains(name, "CONNECT") || strings.Contains(name, "LOCAL") {
					return
				}
				// A UDP socket logs its connection twice: as the
				// UDP_CLIENT_SOCKET's SOCKET_CONNECT and as the
				// UDP_SOCKET's UDP_CONNECT, which is judged.
				if ev.Source.Type == l.Constants.LogSourceType["UDP_CLIENT_SOCKET"] {
					return
				}
				if strings.HasPrefix(name, "UDP_") && !sent[ev.Source.ID] {
					quiet = append(quiet, fmt.Sprintf("%s %s (no datagram sent)", where, s))
					return
				}
			default:
				return
			}
			for _, h := range hostsIn(s) {
				add(h, where)
			}
		})
	}
	return seen, quiet
}

// connects reports whether an event of the log connects a socket to
// address (host:port).
func (l *netLog) connects(address string) bool {
	for _, ev := range l.Events {
		if !strings.Contains(l.names[ev.Type], "CONNECT") || len(ev.Params) == 0 {
			continue
		}
		var params struct {
			Address string `json:"address"`
		}
		if json.Unmarshal(ev.Params, &params) == nil && params.Address == address {
			return true
		}
	}
	return false
}

// hostsIn finds the hosts in a NetLog value: a URL ("https://a.b/x"), a
// socket group ("pm/https://a.b:443 <null>"), an origin
// ("https://a.b:443"), a host and port ("a.b:443", "[::1]:80") or a bare
// host.
func hostsIn(s string) []string {
	var hosts []string
	// "<...>" holds the network anonymization key of a socket group.
	for _, f := range strings.Fields(netLogBracketed.ReplaceAllString(s, " ")) {
		if i := strings.Index(f, "://"); i >= 0 {
			if u, err := url.Parse(f[strings.LastIndexAny(f[:i], "/ ")+1:]); err == nil && u.Hostname() != "" {
				hosts = append(hosts, u.Hostname())
			}
			continue
		}
		if h, _, err := net.SplitHostPort(f); err == nil {
			hosts = append(hosts, h)
		} else {
			hosts = append(hosts, f)
		}
	}
	return hosts
}

var netLogBracketed = regexp.MustCompile(`<[^>]*>`)

// walkJSON calls f with every string in v and the key it is under, not
// going into the keys of netLogSkipKeys.
func walkJSON(v any, key string, f func(key, s string)) {
	switch v := v.(type) {
	case string:
		f(key, v)
	case map[string]any:
		for k, x := range v {
			if !netLogSkipKeys[k] {
				walkJSON(x, k, f)
			}
		}
	case []any:
		for _, x := range v {
			walkJSON(x, key, f)
		}
	}
}

// isLoopbackHost reports whether host is this machine.
func isLoopbackHost(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.IsLoopback() || a.IsUnspecified()
	}
	return false
}
