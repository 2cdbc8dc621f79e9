package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"mime"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/check"
	"github.com/verbatim-archive/verbatim/archive/sqlite"
	"github.com/verbatim-archive/verbatim/bot"
)

// pageLimit is the number of posts a page lists.
const pageLimit = 20

type homePage struct {
	Stats  sqlite.Stats
	Newest []archive.PostSummary
}

func (s *server) home(w http.ResponseWriter, r *http.Request) error {
	st, err := s.db.Stats(r.Context())
	if err != nil {
		return err
	}
	res, err := s.r.Search(r.Context(), sqlite.SearchQuery{Limit: pageLimit})
	if err != nil {
		return err
	}
	s.render(w, http.StatusOK, "home", pageData{Title: "Verbatim", Body: homePage{Stats: st, Newest: res.Results}})
	return nil
}

type searchPage struct {
	Query  sqlite.SearchQuery
	Since  string
	Until  string
	Result sqlite.SearchResult
	Pager  pager
	// CSV and JSONL are the download links of this search.
	CSV, JSONL, JSON string
}

func (s *server) search(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	q, err := bot.ParseSearchParams(v)
	if err != nil {
		return err
	}
	if q.Limit == 0 {
		q.Limit = pageLimit
	}
	res, err := s.r.Search(r.Context(), q)
	if err != nil {
		return err
	}
	api := bot.SearchParams(q)
	api.Del("offset")
	api.Del("limit")
	p := searchPage{Query: q, Since: v.Get("since"), Until: v.Get("until"), Result: res,
		Pager: newPager("/search", v, q.Offset, q.Limit, len(res.Results), res.Total, res.TotalCapped)}
	api.Set("limit", "1000")
	p.JSON = "/api/v1/search?" + api.Encode()
	api.Set("format", "csv")
	p.CSV = "/api/v1/search?" + api.Encode()
	api.Set("format", "jsonl")
	p.JSONL = "/api/v1/search?" + api.Encode()
	title := "Search"
	if q.Text != "" {
		title = "Search: " + q.Text
	}
	s.render(w, http.StatusOK, "search", pageData{Title: title, Q: q.Text, Body: p})
	return nil
}

// versionView is a version with its word diff from the one before.
type versionView struct {
	archive.Version
	N        int
	DiffHTML template.HTML
}

// captureView is a capture with its screenshot picked out.
type captureView struct {
	archive.CaptureSummary
	Screenshot *archive.Artifact
}

type postPage struct {
	Post     archive.PostDetail
	Versions []versionView
	Captures []captureView
	// Shots are the good screenshots and stored images, newest first.
	Shot  *archive.Artifact
	Media []archive.Artifact
}

func (s *server) post(w http.ResponseWriter, r *http.Request) error {
	d, err := s.r.Show(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	p := postPage{Post: d}
	for i, v := range d.Versions {
		vv := versionView{Version: v, N: i + 1}
		if i > 0 {
			vv.DiffHTML = diffHTML(d.Versions[i-1].Text, v.Text)
		}
		p.Versions = append(p.Versions, vv)
	}
	for i := len(d.Captures) - 1; i >= 0; i-- {
		c := d.Captures[i]
		cv := captureView{CaptureSummary: c}
		for j, a := range c.Artifacts {
			switch {
			case a.Kind == "screenshot":
				cv.Screenshot = &c.Artifacts[j]
				if p.Shot == nil && c.Verdict == "ok" {
					p.Shot = cv.Screenshot
				}
			case a.Kind == "media" && isInlineImage(a.MediaType):
				p.Media = append(p.Media, a)
			}
		}
		p.Captures = append(p.Captures, cv)
	}
	who := "@" + d.Handle
	s.render(w, http.StatusOK, "post", pageData{Title: who + " · " + d.CreatedAt.UTC().Format("2006-01-02 15:04"), Body: p})
	return nil
}

type capturePage struct {
	Capture    sqlite.CaptureInfo
	Screenshot *archive.Artifact
	Detail     []kv
	Headers    []kv
}

type kv struct{ K, V string }

func (s *server) capture(w http.ResponseWriter, r *http.Request) error {
	c, err := s.loadCapture(r)
	if err != nil {
		return err
	}
	p := capturePage{Capture: c}
	for i, a := range c.Artifacts {
		if a.Kind == "screenshot" {
			p.Screenshot = &c.Artifacts[i]
		}
	}
	for _, k := range sortedKeys(c.Detail) {
		v := c.Detail[k]
		if k == "headers" {
			if h, ok := v.(map[string]any); ok {
				for _, hk := range sortedKeys(h) {
					p.Headers = append(p.Headers, kv{hk, fmt.Sprint(h[hk])})
				}
				continue
			}
		}
		var text string
		switch x := v.(type) {
		case string:
			text = x
		default:
			b, _ := json.Marshal(x)
			text = string(b)
		}
		p.Detail = append(p.Detail, kv{k, text})
	}
	s.render(w, http.StatusOK, "capture", pageData{Title: fmt.Sprintf("Capture #%d", c.ID), Body: p})
	return nil
}

func (s *server) loadCapture(r *http.Request) (sqlite.CaptureInfo, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return sqlite.CaptureInfo{}, errorf(http.StatusNotFound, "capture %q: not found (capture ids are numbers)", r.PathValue("id"))
	}
	return s.db.CaptureInfo(r.Context(), id)
}

type accountPage struct {
	Account  sqlite.AccountOverview
	Timeline sqlite.SearchResult
	Pager    pager
}

// accountOverview reads an account with the gap thresholds of the query
// (capture_gap, post_gap: Go durations such as 2h or 336h).
func (s *server) accountOverview(r *http.Request) (sqlite.AccountOverview, error) {
	opt := sqlite.AccountOptions{PostURL: s.r.PostURL}
	for _, p := range []struct {
		name string
		dst  *time.Duration
	}{{"capture_gap", &opt.CaptureGap}, {"post_gap", &opt.PostGap}} {
		if v := r.URL.Query().Get(p.name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return sqlite.AccountOverview{}, errorf(http.StatusBadRequest, "%s %q: give a duration such as 2h or 336h", p.name, v)
			}
			*p.dst = d
		}
	}
	return s.db.AccountOverview(r.Context(), archive.PlatformX, r.PathValue("handle"), opt)
}

func (s *server) account(w http.ResponseWriter, r *http.Request) error {
	o, err := s.accountOverview(r)
	if err != nil {
		return err
	}
	v := r.URL.Query()
	off, _ := strconv.Atoi(v.Get("offset"))
	off = max(off, 0)
	res, err := s.r.Search(r.Context(), sqlite.SearchQuery{Account: o.Handle, Limit: pageLimit, Offset: off})
	if err != nil {
		return err
	}
	p := accountPage{Account: o, Timeline: res,
		Pager: newPager("/accounts/"+url.PathEscape(o.Handle), v, off, pageLimit, len(res.Results), res.Total, res.TotalCapped)}
	s.render(w, http.StatusOK, "account", pageData{Title: "@" + o.Handle, Body: p})
	return nil
}

type checkPage struct {
	URL        string
	MaxUpload  int64
	OpenWrites bool
}

func (s *server) checkForm(w http.ResponseWriter, r *http.Request) error {
	s.render(w, http.StatusOK, "check", pageData{Title: "Check an article", Body: checkPage{URL: r.URL.Query().Get("url"), MaxUpload: s.opts.MaxUpload, OpenWrites: s.opts.OpenWrites}})
	return nil
}

// checkSubmit runs the check form: an uploaded HTML file, or else a URL
// the server captures. It answers with a redirect to the recorded check.
func (s *server) checkSubmit(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.runCheck(w, r, true)
	if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/articles/%d", rep.ArticleID), http.StatusSeeOther)
	return nil
}

// runCheck reads a check request (multipart upload "file" or field "url",
// a form or JSON {"url"}, or an HTML body), authorizes it and runs it.
// form says the token may come in the "token" field of the HTML form.
func (s *server) runCheck(w http.ResponseWriter, r *http.Request, form bool) (check.Report, error) {
	if !form && !s.authorized(r, "") {
		return check.Report{}, errUnauthorized
	}
	if err := s.limitBody(w, r); err != nil {
		return check.Report{}, err
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var pageURL, name string
	var body []byte
	switch ct {
	case "multipart/form-data":
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			return check.Report{}, bodyErr(err)
		}
		if f, h, err := r.FormFile("file"); err == nil {
			defer f.Close()
			if body, err = readAll(f); err != nil {
				return check.Report{}, bodyErr(err)
			}
			name = path.Base(strings.ReplaceAll(h.Filename, `\`, "/"))
		}
		pageURL = r.FormValue("url")
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return check.Report{}, bodyErr(err)
		}
		pageURL = r.PostFormValue("url")
	case "application/json":
		var in struct {
			URL  string `json:"url"`
			HTML string `json:"html"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			return check.Report{}, bodyErr(err)
		}
		pageURL = in.URL
		if in.HTML != "" {
			body, name = []byte(in.HTML), in.URL
		}
	default:
		b, err := readAll(r.Body)
		if err != nil {
			return check.Report{}, bodyErr(err)
		}
		body, name = b, r.URL.Query().Get("url")
	}
	if form && !s.authorized(r, r.FormValue("token")) {
		return check.Report{}, errUnauthorized
	}
	pageURL = strings.TrimSpace(pageURL)
	if len(body) > 0 {
		if name == "" {
			name = "upload.html"
		}
		return s.r.CheckPage(r.Context(), check.Page{HTML: body, URL: name, ContentType: "text/html"})
	}
	if pageURL == "" {
		return check.Report{}, errorf(http.StatusBadRequest, "give an article URL or an HTML file to check")
	}
	return s.r.CheckURL(r.Context(), pageURL)
}

// bodyErr keeps a body over the limit a 413 and makes other unreadable
// bodies a 400.
func bodyErr(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || strings.Contains(err.Error(), "request body too large") {
		return &http.MaxBytesError{}
	}
	return errorf(http.StatusBadRequest, "unreadable request body: %s", oneLine(err.Error()))
}

// embedView is one checked embed with its side-by-side diff.
type embedView struct {
	check.Embed
	N                   int
	Left, Right         template.HTML
	SideBySide, Changed bool
}

type articlePage struct {
	Record sqlite.ArticleRecord
	Report check.Report
	Embeds []embedView
}

func (s *server) loadArticle(r *http.Request) (sqlite.ArticleRecord, check.Report, error) {
	var rep check.Report
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return sqlite.ArticleRecord{}, rep, errorf(http.StatusNotFound, "article %q: not found (article ids are numbers)", r.PathValue("id"))
	}
	rec, err := s.db.Article(r.Context(), id)
	if err != nil {
		return rec, rep, err
	}
	if err := json.Unmarshal([]byte(rec.Result), &rep); err != nil {
		return rec, rep, fmt.Errorf("article %d: stored report: %w", id, err)
	}
	rep.ArticleID = rec.ID
	if rep.Embeds == nil {
		rep.Embeds = []check.Embed{}
	}
	return rec, rep, nil
}

func (s *server) article(w http.ResponseWriter, r *http.Request) error {
	rec, rep, err := s.loadArticle(r)
	if err != nil {
		return err
	}
	p := articlePage{Record: rec, Report: rep}
	for i, e := range rep.Embeds {
		ev := embedView{Embed: e, N: i + 1}
		if e.Diff != "" {
			ev.Left, ev.Right, ev.Changed = sides(e.Diff)
		}
		if !ev.Changed && e.Archived != nil {
			ev.Left, ev.Right = template.HTML(template.HTMLEscapeString(e.Archived.Text)), template.HTML(template.HTMLEscapeString(e.Text))
		}
		ev.SideBySide = e.Archived != nil
		p.Embeds = append(p.Embeds, ev)
	}
	title := rep.Title
	if title == "" {
		title = rep.URL
	}
	s.render(w, http.StatusOK, "article", pageData{Title: "Check: " + title, Body: p})
	return nil
}

func (s *server) status(w http.ResponseWriter, r *http.Request) error {
	st, err := s.r.Status(r.Context())
	if err != nil {
		return err
	}
	s.render(w, http.StatusOK, "status", pageData{Title: "Status", Body: st})
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
