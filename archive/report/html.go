package report

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/verbatim-archive/verbatim/archive/sqlite"
	"github.com/verbatim-archive/verbatim/verify"
)

//go:embed templates/report.html
var reportHTML string

//go:embed templates/report.css
var reportCSS string

// CSP is the Content-Security-Policy to serve a report's HTML with: no
// scripts, nothing loaded from anywhere, and no style but the report's
// own <style> element, allowed by its hash.
var CSP = "default-src 'none'; style-src '" + styleHash() + "'; img-src 'none'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

func styleHash() string {
	sum := sha256.Sum256([]byte(reportCSS))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"when":   when,
	"leaves": leaves,
	"add":    func(a, b int) int { return a + b },
	"plural": func(n int, noun string) string {
		if noun == "hash" && n != 1 {
			return fmt.Sprintf("%d hashes", n)
		}
		return plural(n, noun)
	},
	"mb": func(n int64) string { return fmt.Sprintf("%.1f", float64(n)/1e6) },
	"showing": func(shown, total int) string {
		if shown < total {
			return fmt.Sprintf(", the first %d", shown)
		}
		return ""
	},
}).Parse(reportHTML))

type htmlData struct {
	R           *Report
	State       string
	Style       template.CSS
	Chart       *chart
	Accounts    []accountView
	Edits       []editView
	Deletions   []deletionView
	Failed      []failedView
	FailedTotal int
	Articles    []articleView
}

type accountView struct {
	sqlite.AccountActivity
	Kinds string
}

type editView struct {
	Edit
	Link string
	Diff template.HTML
}

type deletionView struct {
	StatusChange
	Link string
}

type failedView struct {
	sqlite.CaptureProblem
	Link string
}

type articleView struct {
	Article
	Link      string
	Kinds     string
	Misquotes []misquoteView
}

type misquoteView struct {
	Misquote
	Diff template.HTML
}

// HTML renders the report as one self-contained page for people: a chart
// of captures per day (inline SVG), every list as a table or cards, edits
// and misquotes as word diffs. Everything archived is escaped; the page
// has no scripts and loads nothing (serve it with CSP).
func (r *Report) HTML(w io.Writer, opt RenderOptions) error {
	d := htmlData{R: r, State: "OK", Style: template.CSS(reportCSS), Chart: newChart(r),
		FailedTotal: r.Summary.FailedCaptures + r.Summary.DegradedCapture}
	if !r.OK {
		d.State = "PROBLEMS"
	}
	for _, a := range r.Accounts {
		d.Accounts = append(d.Accounts, accountView{AccountActivity: a, Kinds: plainKinds(a.ByKind)})
	}
	for _, e := range r.Edits {
		d.Edits = append(d.Edits, editView{Edit: e, Link: opt.postLink(e.PostID, e.URL),
			Diff: template.HTML(verify.RenderHTML(verify.DiffWords(e.Before, e.After)))})
	}
	for _, x := range r.Deletions {
		d.Deletions = append(d.Deletions, deletionView{StatusChange: x, Link: opt.postLink(x.PostID, x.URL)})
	}
	for _, f := range r.FailedCaptures {
		d.Failed = append(d.Failed, failedView{CaptureProblem: f, Link: opt.captureLink(f.ID)})
	}
	for _, a := range r.Articles {
		av := articleView{Article: a, Link: opt.articleLink(a.ID, a.URL), Kinds: plainKinds(a.Verdicts)}
		for _, m := range a.Misquotes {
			mv := misquoteView{Misquote: m}
			if m.Diff != "" {
				mv.Diff = template.HTML(verify.RenderHTML(parseTextDiff(m.Diff)))
			}
			av.Misquotes = append(av.Misquotes, mv)
		}
		d.Articles = append(d.Articles, av)
	}
	var b bytes.Buffer
	if err := htmlTemplate.Execute(&b, d); err != nil {
		return fmt.Errorf("report html: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// plainKinds writes counts as "api 1, snapshot 2" (for HTML, which
// escapes it).
func plainKinds(m map[string]int) string { return kinds(m, func(s string) string { return s }) }

// chart is the bar chart of captures per day, laid out for the SVG.
type chart struct {
	W, H, Left, Top, Base, YLabelX int
	Max                            int
	First, Last                    string
	Bars                           []chartBar
}

type chartBar struct {
	Day          string
	N            int
	X, Y, BW, BH int
	CX, VY, LY   int
	Value, Label string
	InWindow     bool
}

// Chart geometry, in SVG user units.
const (
	barWidth   = 22
	barGap     = 6
	plotHeight = 110
	chartLeft  = 30
	chartTop   = 14
	chartFoot  = 18
)

// newChart lays out the report's captures per day; nil when there are no
// days.
func newChart(r *Report) *chart {
	days := r.CapturesPerDay
	if len(days) == 0 {
		return nil
	}
	c := &chart{Left: chartLeft, Top: chartTop, Base: chartTop + plotHeight, YLabelX: chartLeft - 4,
		First: days[0].Day, Last: days[len(days)-1].Day}
	c.W = chartLeft + len(days)*(barWidth+barGap)
	c.H = c.Base + chartFoot
	for _, d := range days {
		c.Max = max(c.Max, d.Captures)
	}
	scale := max(c.Max, 1)
	dense := len(days) > 31
	from := r.From.UTC().Format(time.DateOnly)
	for i, d := range days {
		h := d.Captures * plotHeight / scale
		if d.Captures > 0 && h < 2 {
			h = 2
		}
		x := chartLeft + barGap/2 + i*(barWidth+barGap)
		b := chartBar{Day: d.Day, N: d.Captures, X: x, Y: c.Base - h, BW: barWidth, BH: h, CX: x + barWidth/2,
			VY: c.Base - h - 3, LY: c.Base + 13, InWindow: d.Day >= from}
		if d.Captures > 0 && !dense {
			b.Value = fmt.Sprint(d.Captures)
		}
		if !dense || i%7 == 0 || i == len(days)-1 {
			b.Label = strings.TrimLeft(d.Day[8:], "0")
		}
		c.Bars = append(c.Bars, b)
	}
	return c
}
