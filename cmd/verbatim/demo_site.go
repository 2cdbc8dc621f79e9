package main

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// demoSite serves, on loopback, what the demo snapshots: X-like post pages,
// embed renderings, and two articles, an original and a republished copy
// that mangles its embedded posts the way the seed case does.
type demoSite struct {
	URL string
	srv *http.Server

	mu    sync.Mutex
	posts map[string]sitePost // by version id
}

// sitePost is one post as the site shows it.
type sitePost struct {
	ID, Handle, Name, Text, Photo string
	At                            time.Time
	Deleted                       bool
}

func startDemoSite() (*demoSite, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo site: %w", err)
	}
	s := &demoSite{URL: "http://" + ln.Addr().String(), posts: make(map[string]sitePost)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{handle}/status/{id}", s.postPage)
	mux.HandleFunc("GET /embed/Tweet.html", s.embedPage)
	mux.HandleFunc("GET /articles/{name}", s.articlePage)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Println("demo site:", err)
		}
	}()
	return s, nil
}

func (s *demoSite) Close() { s.srv.Shutdown(context.Background()) }

// Set adds or replaces a post.
func (s *demoSite) Set(p sitePost) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.posts[p.ID] = p
}

// Delete makes a post's pages say it does not exist, as X's do.
func (s *demoSite) Delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.posts[id]
	p.Deleted = true
	s.posts[id] = p
}

func (s *demoSite) get(id string) (sitePost, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.posts[id]
	return p, ok && !p.Deleted
}

var postTmpl = template.Must(template.New("post").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Name}} on X: "{{.Short}}"</title>
<style>
body{font-family:system-ui,sans-serif;background:#fff;color:#0f1419;margin:0}
main{max-width:600px;margin:24px auto;border:1px solid #eff3f4;padding:16px}
.who{display:flex;gap:12px;align-items:center}.avatar{width:48px;height:48px;border-radius:50%;background:#1d9bf0}
.name{font-weight:700}.handle,.when{color:#536471}.text{font-size:23px;line-height:1.3;white-space:pre-wrap;margin:12px 0}
img.photo{width:100%;border-radius:16px;border:1px solid #cfd9de}
</style></head>
<body><main><article data-testid="tweet">
<div class="who"><div class="avatar"></div><div><div class="name">{{.Name}}</div><div class="handle">@{{.Handle}}</div></div></div>
<div class="text" data-testid="tweetText">{{.Text}}</div>
{{if .Photo}}<img class="photo" src="{{.Photo}}" alt="">{{end}}
<div class="when"><time datetime="{{.ISO}}">{{.Human}}</time></div>
</article></main></body></html>`))

var missingTmpl = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Page not found / X</title></head>
<body><main><h1>Hmm...this page doesn’t exist. Try searching for something else.</h1></main></body></html>`

type postView struct {
	sitePost
	Short, ISO, Human string
}

func view(p sitePost) postView {
	short := p.Text
	if len(short) > 60 {
		short = short[:60] + "…"
	}
	return postView{p, short, p.At.UTC().Format(time.RFC3339), p.At.UTC().Format("3:04 PM · Jan 2, 2006")}
}

func (s *demoSite) postPage(w http.ResponseWriter, r *http.Request) {
	p, ok := s.get(r.PathValue("id"))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if !ok {
		w.WriteHeader(http.StatusOK) // X answers 200 with a "doesn't exist" page
		fmt.Fprint(w, missingTmpl)
		return
	}
	postTmpl.Execute(w, view(p))
}

var embedTmpl = template.Must(template.New("embed").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>X Post</title>
<style>body{font-family:system-ui,sans-serif;margin:0}.card{max-width:550px;border:1px solid #cfd9de;border-radius:12px;padding:12px 16px;margin:8px}
.text{white-space:pre-wrap;font-size:17px}.meta{color:#536471;font-size:14px}</style></head>
<body><div class="card"><div class="meta"><b>{{.Name}}</b> @{{.Handle}}</div>
<p class="text">{{.Text}}</p>{{if .Photo}}<img src="{{.Photo}}" width="100%" alt="">{{end}}
<div class="meta">{{.Human}}</div></div></body></html>`))

func (s *demoSite) embedPage(w http.ResponseWriter, r *http.Request) {
	p, ok := s.get(r.URL.Query().Get("id"))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if !ok {
		fmt.Fprint(w, `<!doctype html><html><body><div class="card"><p>This Post is unavailable.</p></div></body></html>`)
		return
	}
	embedTmpl.Execute(w, view(p))
}

// articlePage serves the original article (embeds as blockquote.twitter-tweet)
// or the republished copy (embeds flattened to text, attribution lines moved
// into the posts, paragraphs added, changed and removed).
func (s *demoSite) articlePage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	var embeds []sitePost
	for _, id := range demoArticleEmbeds {
		if p, ok := s.posts[id]; ok {
			embeds = append(embeds, p)
		}
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	switch r.PathValue("name") {
	case "original":
		fmt.Fprint(w, renderArticle(false, embeds))
	case "republished":
		fmt.Fprint(w, renderArticle(true, embeds))
	default:
		http.NotFound(w, r)
	}
}

// demoArticleEmbeds lists, in order, the ids of the posts the articles embed;
// the demo fills it once the fake X API has made them.
var demoArticleEmbeds []string

func renderArticle(republished bool, embeds []sitePost) string {
	esc := template.HTMLEscapeString
	var b strings.Builder
	title := "Washington’s new anchor in the South Caucasus"
	byline := "By Mira Castellan"
	if republished {
		b.WriteString(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>` + esc(title) + ` | Regional Courier</title>
<meta name="author" content="Mira Castellan"><meta property="article:published_time" content="2026-02-12T08:00:00Z"></head>
<body><header><nav>Regional Courier · Home · Politics · Energy</nav></header><article><h1>` + esc(title) + `</h1>
<p class="byline">` + esc(byline) + ` · Republished from The Policy Review</p>`)
		b.WriteString(`<p>A shift may be under way in the South Caucasus, and the Regional Courier republishes this analysis of how Washington is positioning itself in the region.</p>`)
	} else {
		b.WriteString(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>` + esc(title) + ` | The Policy Review</title>
<meta name="author" content="Mira Castellan"><meta property="article:published_time" content="2026-02-11T09:30:00Z"></head>
<body><header><nav>The Policy Review · Analysis</nav></header><article><h1>` + esc(title) + `</h1>
<p class="byline">` + esc(byline) + ` · February 11, 2026</p>`)
	}
	paras := []string{
		"The Vice President’s visits to Yerevan and Baku this week were more than a diplomatic milestone. They showed that Washington means to underwrite the peace it helped broker between two old adversaries.",
		"In Armenia, negotiators closed a civil nuclear cooperation agreement that opens the way for American firms to supply technology, fuel and services to a country that wants to depend less on Russia.",
		"In Azerbaijan, the two governments signed a charter on strategic partnership covering trade, energy, security and critical minerals.",
		"Ratification of the peace agreement will take political courage in both capitals, and neighbours such as Russia and Iran are watching closely.",
		"If the agreement holds, the region could become a corridor of commerce rather than a zone of contest.",
		"Vance wrote: “Now we can build prosperity where there was once only conflict.”",
	}
	for i, p := range paras {
		text := p
		if republished && i == 1 {
			text = "In Armenia, negotiators closed a landmark civil nuclear cooperation agreement that opens the way for American firms to supply technology and fuel to a country that wants to depend less on Russia."
		}
		if republished && i == 3 {
			continue // dropped by the republisher
		}
		if republished && i == 5 {
			text = strings.Replace(text, "only conflict", "only war", 1) // misquoted
		}
		b.WriteString("<p>" + esc(text) + "</p>\n")
		if i < len(embeds) {
			e := embeds[i]
			if republished && i == 2 {
				e.Text = strings.Replace(e.Text, "had been war", "had been conflict", 1) // altered in the copy
			}
			b.WriteString(embedHTML(e, republished))
		}
	}
	if republished {
		b.WriteString(`<p>The Regional Courier will follow the ratification debate closely.</p>`)
	}
	b.WriteString("</article><footer>© 2026</footer></body></html>\n")
	return b.String()
}

// embedHTML renders a post as a publisher's CMS would: the standard embed
// markup, or (republished) flattened text with the attribution line moved
// into the middle of the post and the photo link in pic.twitter.com form.
func embedHTML(p sitePost, flattened bool) string {
	esc := template.HTMLEscapeString
	date := p.At.UTC().Format("January 2, 2006")
	text, link := splitLink(p.Text)
	slug := ""
	if i := strings.LastIndex(link, "/"); i >= 0 {
		slug = link[i+1:]
	}
	if !flattened {
		s := `<blockquote class="twitter-tweet"><p lang="en" dir="ltr">` + strings.ReplaceAll(esc(text), "\n", "<br>")
		if slug != "" {
			s += ` <a href="` + esc(link) + `">pic.twitter.com/` + esc(slug) + `</a>`
		}
		return s + `</p>&mdash; ` + esc(p.Name) + ` (@` + esc(p.Handle) + `) <a href="https://twitter.com/` + esc(p.Handle) + `/status/` + esc(p.ID) +
			`?ref_src=twsrc%5Etfw">` + esc(date) + "</a></blockquote>\n"
	}
	lines := strings.Split(strings.TrimSpace(text), "\n")
	var first, rest []string
	for i, l := range lines {
		if i == 0 {
			first = append(first, l)
		} else if strings.TrimSpace(l) != "" {
			rest = append(rest, l)
		}
	}
	attribution := "— " + p.Name + " (@" + p.Handle + ") " + date
	tail := strings.Join(rest, " ")
	if slug != "" {
		tail += " pic.twitter.com/" + slug
	}
	out := "<p>" + esc(strings.Join(first, " ")) + "<br>" + esc(attribution)
	if strings.TrimSpace(tail) != "" {
		out += "<br>" + esc(strings.TrimSpace(tail))
	}
	return out + "</p>\n"
}

// splitLink separates a trailing t.co link from a post's text.
func splitLink(text string) (string, string) {
	i := strings.LastIndex(text, "https://t.co/")
	if i < 0 || strings.ContainsAny(text[i:], " \n") {
		return text, ""
	}
	return strings.TrimSpace(text[:i]), text[i:]
}
