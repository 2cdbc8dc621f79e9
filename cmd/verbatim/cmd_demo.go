package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/archivetest"
	"github.com/verbatim-archive/verbatim/archive/audit"
	"github.com/verbatim-archive/verbatim/archive/browser"
	"github.com/verbatim-archive/verbatim/archive/check"
	"github.com/verbatim-archive/verbatim/archive/report"
	"github.com/verbatim-archive/verbatim/archive/snapshot"
	"github.com/verbatim-archive/verbatim/archive/sqlite"
	"github.com/verbatim-archive/verbatim/archive/xapi"
	"github.com/verbatim-archive/verbatim/bot"
)

// demoDir is where the demo keeps its archive unless --data is given, so
// that sample posts never mix with a real archive.
const demoDir = "./verbatim-demo"

// Sample accounts of the seed case.
const (
	demoVPID = "1542228578"
	demoPSID = "1879644163769335808"
)

// demoPost is a sample post the fake X API serves.
type demoPost struct {
	user, text, photo string
	at                time.Time
}

func demoPosts() []demoPost {
	at := func(hm string) time.Time {
		t, _ := time.Parse("2006-01-02 15:04:05", "2026-02-10 "+hm)
		return t
	}
	return []demoPost{
		{demoVPID, "Wheels down in Baku. The peace between Armenia and Azerbaijan is holding, and America intends to help it last: through trade, energy and the Trump Route for Internatonal Peace and Prosperity.", "", at("07:48:10")},
		{demoVPID, "📸 In Baku, Azerbaijan, with President Ilham Aliyev.\n\nToday we signed a Charter on Strategic Partnership, held bilateral meetings and spoke to the press 🇺🇸🇦🇿", "baku-aliyev.png", at("09:12:41")},
		{demoPSID, ".@VP and President Aliyev sign the U.S.–Azerbaijan charter on strategic partnership in Baku", "charter-signing.png", at("10:05:17")},
		{demoVPID, "In Azerbaijan today:\n\n“Leaders here and in Armenia, together with @POTUS, chose peace where there had been war.\n\nNow we can build prosperity where there was once only conflict.”", "remarks.png", at("11:31:09")},
		{demoPSID, "Remarks by the Vice President at the signing will be posted on the White House website later today.", "", at("12:02:44")},
	}
}

func runDemo(ctx context.Context, a *app, args []string) error {
	fs := a.flags("demo", "")
	noServe := fs.Bool("no-serve", false, "stop after the report instead of serving")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if a.dataFlag == "" {
		a.dataFlag = demoDir
	}
	if err := a.setup(); err != nil {
		return err
	}
	out := a.stdout
	fmt.Fprintf(out, "Verbatim demo: official posts of 2026-02-10 from @VP and @VPPressSec (built-in sample data, served on loopback)\n")
	fmt.Fprintf(out, "Archive: %s\n\n", a.cfg.DataDir)
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()

	// A fake X API and a fake media server, both on loopback, hold the
	// sample posts: those of 2026-02-09 and those of the day.
	cdn, err := startDemoCDN()
	if err != nil {
		return err
	}
	defer cdn.Close()
	fake := archivetest.StartFakeX()
	defer fake.Close()
	fake.SetNow(time.Date(2026, 2, 10, 13, 0, 0, 0, time.UTC))
	fake.AddUser(demoVPID, "VP", "Vice President JD Vance")
	fake.AddUser(demoPSID, "VPPressSec", "Taylor Van Kirk")
	day1 := []string{
		fake.Post(demoVPID, "Arrived in Yerevan, Armenia. Grateful to Prime Minister Pashinyan for the warm welcome.", time.Date(2026, 2, 9, 8, 2, 33, 0, time.UTC)),
		fake.Post(demoVPID, "Productive day in Yerevan. We concluded negotiations on a civil nuclear cooperation agreement that will let American companies help modernise Armenia’s energy sector.", time.Date(2026, 2, 9, 16, 20, 5, 0, time.UTC)),
	}
	day1 = append(day1, fake.Edit(day1[1], "Productive day in Yerevan. We concluded negotiations on a civil nuclear cooperation agreement (the “123 Agreement”) that will let American companies help modernize Armenia’s energy sector.", time.Date(2026, 2, 9, 16, 24, 52, 0, time.UTC)))
	ids := make([]string, len(demoPosts()))
	for i, p := range demoPosts() {
		ids[i] = fake.Post(p.user, p.text, p.at)
		if p.photo != "" {
			fake.AttachPhoto(ids[i], cdn.URL+"/media/"+p.photo)
		}
	}
	r := a.runner(st)
	r.X = xapi.New(fake.URL(), fake.Token, &http.Client{Timeout: 30 * time.Second}, xapi.WithLogger(a.log))

	// 1. An earlier export of 2026-02-09 (JSONL, as archiving tools write
	// it), imported as a file.
	samples := filepath.Join(a.cfg.DataDir, "samples")
	file, err := writeDemoExport(ctx, r.X, samples, day1)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "== verbatim import %s\n", file)
	if _, err := importFiles(ctx, a, st, []string{file}, "", true); err != nil {
		return err
	}

	// 2. A capture pass of the watched accounts.
	fmt.Fprintf(out, "\n== verbatim capture @VP @VPPressSec   (X API: fake on %s)\n", fake.URL())
	accounts := []archive.Account{{Platform: "x", Handle: "VP"}, {Platform: "x", Handle: "VPPressSec"}}
	pass, err := r.CaptureAccounts(ctx, accounts)
	if err != nil {
		return err
	}
	if pass.MediaStored, pass.MediaFailed, err = r.DownloadMedia(ctx, 100); err != nil {
		return err
	}
	printPass(out, pass)

	// Browser snapshots of every post (its page and its embed rendering)
	// and of two articles, all served by the demo's own loopback site.
	site, err := startDemoSite()
	if err != nil {
		return err
	}
	defer site.Close()
	for _, id := range append(append([]string{}, day1[0], day1[2]), ids...) {
		d, err := st.db.Post(ctx, id, "")
		if err != nil {
			return err
		}
		sp := sitePost{ID: id, Handle: d.Handle, Name: d.AuthorName, Text: d.Text, At: d.CreatedAt}
		for _, v := range d.Versions {
			for _, m := range v.Media {
				sp.Photo = m.URL
			}
		}
		site.Set(sp)
	}
	demoArticleEmbeds = []string{ids[1], ids[2], ids[3]}
	a.cfg.X.PostURL = site.URL + "/{handle}/status/{id}"
	a.cfg.X.EmbedURL = site.URL + "/embed/Tweet.html?id={id}"
	r.PostURL = a.cfg.X.PostURL
	fmt.Fprintf(out, "\n== browser snapshots (site on %s)\n", site.URL)
	pool, perr := a.browserPool(ctx, true)
	var snap *snapshot.Snapshotter
	if perr != nil {
		fmt.Fprintf(out, "skipped: %v\n(make demo, or scripts/ensure-chromium.sh, installs Chromium on Debian)\n", perr)
	} else {
		defer pool.Close()
		snap = a.snapshotter(st, pool)
		sp, err := snap.SnapshotDuePosts(ctx, time.Now().Add(-time.Hour), 50)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "posts: %d snapshots ok, %d degraded\n", sp.OK, sp.Degraded)
		arts, errs := snapshotURLs(ctx, snap, []string{site.URL + "/articles/original", site.URL + "/articles/republished"}, "article", a.cfg.Browser.Tabs)
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
		printSnapshots(out, arts)
	}

	// 3. Later that day: one post is edited, another deleted. A recheck
	// notices both and keeps everything.
	fake.SetNow(time.Date(2026, 2, 10, 16, 0, 0, 0, time.UTC))
	fake.Edit(ids[0], strings.Replace(demoPosts()[0].text, "Internatonal", "International", 1), time.Date(2026, 2, 10, 7, 52, 30, 0, time.UTC))
	fake.Delete(ids[4])
	site.Delete(ids[4])
	fmt.Fprintf(out, "\n== (later) @VP edits a post, @VPPressSec deletes one\n== verbatim recheck --all\n")
	rc, err := r.Recheck(ctx, true)
	if err != nil {
		return err
	}
	printRecheck(out, rc)
	// A capture to make a receipt for in the hints: the deleted post's
	// page, when the browser ran.
	receiptID := int64(1)
	if snap != nil {
		// The deleted post's page now says so; that is kept as evidence too.
		d, _ := st.db.Post(ctx, ids[4], "")
		res, err := snap.Snapshot(ctx, snapshot.Target{URL: archive.PostURL(a.cfg.X.PostURL, d.Handle, ids[4]), Kind: "post", PostID: ids[4]})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "snapshot of the deleted post's page: %s (%s)\n", res.Verdict, oneLine(res.Detail))
		receiptID = res.ID
	}

	// 4. Search and show, as a fact-checker would.
	fmt.Fprintf(out, "\n== verbatim search 'charter strategic'\n")
	res, err := st.db.Search(ctx, sqlite.SearchQuery{Text: "charter strategic", PostURL: a.cfg.X.PostURL})
	if err != nil {
		return err
	}
	printSearch(out, res, sqlite.SearchQuery{}, isTerminal(out))
	fmt.Fprintf(out, "\n== verbatim search --deleted\n")
	if res, err = st.db.Search(ctx, sqlite.SearchQuery{Deleted: true, PostURL: a.cfg.X.PostURL}); err != nil {
		return err
	}
	printSearch(out, res, sqlite.SearchQuery{}, isTerminal(out))
	fmt.Fprintf(out, "\n== verbatim show %s\n", ids[0])
	d, err := st.db.Post(ctx, ids[0], a.cfg.X.PostURL)
	if err != nil {
		return err
	}
	bot.AddDiffs(&d)
	printPost(out, d)
	// 5. The republished article against its original and the archive.
	fmt.Fprintf(out, "\n== verbatim compare %s/articles/original %s/articles/republished\n", site.URL, site.URL)
	var pages [2]check.Page
	for i, name := range []string{"original", "republished"} {
		if pages[i], err = fetchDemoPage(ctx, site.URL+"/articles/"+name); err != nil {
			return err
		}
	}
	c := a.checker(ctx, st)
	cmp, err := c.Compare(ctx, pages[0], pages[1])
	if err != nil {
		return err
	}
	for _, r := range []*check.Report{&cmp.Original, &cmp.Republished} {
		if err := c.Save(ctx, r); err != nil {
			return err
		}
	}
	printComparison(out, cmp, isTerminal(out))

	// 6. The evidence: an audit of everything stored, then the integrity
	// report of the day (kept in the archive's reports/, never sent to
	// Slack from the demo).
	fmt.Fprintf(out, "\n== verbatim audit\n")
	v, err := a.ledgerVerifier("")
	if err != nil {
		return err
	}
	if v == nil {
		key, err := a.ledgerKey()
		if err != nil {
			return err
		}
		v = key.Verifier()
	}
	arep, err := audit.Run(ctx, st.db, st.blobs, audit.Options{Verifier: v, Log: a.log})
	if err != nil {
		return err
	}
	printAudit(out, arep)
	fmt.Fprintf(out, "\n== verbatim report --format md\n")
	a.cfg.Slack.ReportChannel = ""
	rep, files, err := a.integrityReport(ctx, st, a.cfg.Report.Since)
	if err != nil {
		return err
	}
	fmt.Fprint(out, rep.Markdown(report.RenderOptions{}))
	fmt.Fprintf(out, "\n(written to %s, .md and .html beside it)\n", files.JSON)
	fmt.Fprintf(out, "\nTry it yourself (go build -o verbatim ./cmd/verbatim, or go run ./cmd/verbatim):\n  verbatim --data %s search 'peace OR prosperity'\n  verbatim --data %s search --edited --format json\n  verbatim --data %s show %s\n  verbatim --data %s export --format warc -o snapshots.warc\n",
		a.cfg.DataDir, a.cfg.DataDir, a.cfg.DataDir, ids[1], a.cfg.DataDir)
	fmt.Fprintf(out, "  verbatim --data %s check-article --format html republished.html > check.html\n", a.cfg.DataDir)
	fmt.Fprintf(out, "  verbatim --data %s proof %d > receipt.json && verbatim --data %s verify-receipt receipt.json\n", a.cfg.DataDir, receiptID, a.cfg.DataDir)
	fmt.Fprintf(out, "  verbatim --data %s report --since 24h --format html > report.html\n", a.cfg.DataDir)
	if *noServe {
		return nil
	}
	// 6. The web UI on the archive just built, until interrupted. Writes
	// are open (checks from the form need no token): it listens on
	// loopback only, and the demo's own articles are on loopback too.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("demo: serve: %w", err)
	}
	a.cfg.Browser.AllowPrivateURLs = true
	pools := &lazyPool{start: func() (*browser.Pool, error) {
		if perr != nil {
			return nil, perr
		}
		return pool, nil
	}}
	rt := a.router(ctx, st, r, pools)
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(out, "\n== the web UI on this archive: %s/  (Ctrl-C to stop)\n", base)
	fmt.Fprintf(out, "  a post:            %s/posts/%s\n", base, ids[0])
	fmt.Fprintf(out, "  an account:        %s/accounts/VP\n", base)
	fmt.Fprintf(out, "  check an article:  %s/check?url=%s  (the republished copy on the demo site)\n", base, url.QueryEscape(site.URL+"/articles/republished"))
	fmt.Fprintf(out, "  the JSON API:      %s/api/v1/search?q=charter\n", base)
	fmt.Fprintf(out, "  the report:        %s/reports/%s.html  (all of them: %s/reports.atom)\n", base, rep.Name, base)
	fmt.Fprintf(out, "  the checkpoint:    %s/checkpoint  (public key: %s/checkpoint.pub)\n", base, base)
	return serveHTTP(ctx, a.frontDoor(rt, st, true, nil, nil), ln)
}

// fetchDemoPage reads a page of the demo's own loopback site.
func fetchDemoPage(ctx context.Context, url string) (check.Page, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return check.Page{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return check.Page{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return check.Page{}, err
	}
	return check.Page{HTML: b, URL: url, ContentType: resp.Header.Get("Content-Type")}, nil
}

// writeDemoExport writes the API's pages for the given posts as a JSONL
// export, as archiving tools do.
func writeDemoExport(ctx context.Context, x *xapi.Client, dir string, ids []string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	var b bytes.Buffer
	err := x.Tweets(ctx, ids, func(raw []byte, _ *xapi.Page) error {
		b.Write(bytes.TrimSpace(raw))
		b.WriteByte('\n')
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("demo export: %w", err)
	}
	p := filepath.Join(dir, "x-v2-export-2026-02-09.jsonl")
	return p, os.WriteFile(p, b.Bytes(), 0o644)
}

// demoCDN serves generated images on loopback, standing in for X's media
// servers.
type demoCDN struct {
	URL string
	srv *http.Server
}

func (c *demoCDN) Close() { c.srv.Close() }

func startDemoCDN() (*demoCDN, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo media server: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /media/{name}", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		var seed byte
		for i := 0; i < len(name); i++ {
			seed += name[i]
		}
		img := image.NewRGBA(image.Rect(0, 0, 96, 64))
		for y := 0; y < 64; y++ {
			for x := 0; x < 96; x++ {
				img.Set(x, y, color.RGBA{seed + byte(x), byte(y * 3), 160, 255})
			}
		}
		var b bytes.Buffer
		png.Encode(&b, img)
		w.Header().Set("Content-Type", "image/png")
		w.Write(b.Bytes())
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "demo media server:", err)
		}
	}()
	return &demoCDN{URL: "http://" + ln.Addr().String(), srv: srv}, nil
}
