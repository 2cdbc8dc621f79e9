package slack

import (
	"fmt"
	"strings"
	"unicode/utf8"

	slackgo "github.com/slack-go/slack"

	"github.com/verbatim-archive/verbatim/bot"
)

// Block Kit limits (https://docs.slack.dev/reference/block-kit/blocks).
const (
	maxHeader    = 150  // header text
	maxText      = 3000 // section text
	maxFieldText = 2000 // one section field
	maxFields    = 10   // fields in one section
	// maxSections is how many of a reply's sections are shown; the rest are
	// counted and linked.
	maxSections = 10
)

// message renders a reply as an ephemeral Block Kit message for a
// response_url or an immediate answer.
func message(rep bot.Reply, baseURL string) *slackgo.WebhookMessage {
	return &slackgo.WebhookMessage{
		ResponseType: slackgo.ResponseTypeEphemeral,
		Text:         escapeTrunc(title(rep), maxText), // the notification's fallback text
		Blocks:       &slackgo.Blocks{BlockSet: Blocks(rep, baseURL)},
	}
}

// Blocks renders a reply as Block Kit: a header with the title, a section
// with the text, a section of label–value fields (at most ten), a section
// for each of the first ten of the reply's sections with a link to its
// permalink, the screenshot as an image, and a link to the reply's
// permalink. Links and the screenshot need baseURL, the public base URL of
// the web UI; with "" they are left out.
//
// Archived text is put in plain_text objects, which Slack shows as they are:
// a post that reads "<!channel>" or "*bold*" is neither a mention nor
// formatting. Only the labels, links and counts this package writes itself
// are mrkdwn, with anything from the reply escaped.
func Blocks(rep bot.Reply, baseURL string) []slackgo.Block {
	blocks := []slackgo.Block{slackgo.NewHeaderBlock(plain(truncate(title(rep), maxHeader)))}
	if strings.TrimSpace(rep.Text) != "" {
		blocks = append(blocks, slackgo.NewSectionBlock(plain(truncate(rep.Text, maxText)), nil, nil))
	}
	if len(rep.Fields) > 0 {
		var fields []*slackgo.TextBlockObject
		for _, f := range rep.Fields[:min(len(rep.Fields), maxFields)] {
			fields = append(fields, field(f))
		}
		blocks = append(blocks, slackgo.NewSectionBlock(nil, fields, nil))
	}
	for _, s := range rep.Sections[:min(len(rep.Sections), maxSections)] {
		if strings.TrimSpace(s.Text) == "" {
			continue
		}
		blocks = append(blocks, slackgo.NewSectionBlock(plain(truncate(s.Text, maxText)), nil, nil))
		if u := link(baseURL, s.Permalink); u != "" {
			blocks = append(blocks, slackgo.NewContextBlock("", mrkdwn("<"+escape(u)+"|Open in Verbatim>")))
		}
	}
	if more := len(rep.Sections) - maxSections; more > 0 {
		text := fmt.Sprintf("… and %d more", more)
		if u := link(baseURL, rep.Permalink); u != "" {
			text = fmt.Sprintf("… and %d more: <%s|see all in Verbatim>", more, escape(u))
		}
		blocks = append(blocks, slackgo.NewContextBlock("", mrkdwn(text)))
	}
	if u := link(baseURL, screenshotPath(rep.Screenshot)); u != "" {
		blocks = append(blocks, slackgo.NewImageBlock(u, "Screenshot captured by Verbatim", "", plain("Screenshot")))
	}
	if u := link(baseURL, rep.Permalink); u != "" {
		blocks = append(blocks, slackgo.NewContextBlock("", mrkdwn("<"+escape(u)+"|Open in Verbatim>")))
	}
	return blocks
}

// ReplyText renders a reply as plain text, every part of it: what is
// logged when a reply cannot be delivered.
func ReplyText(rep bot.Reply, baseURL string) string {
	var sb strings.Builder
	sb.WriteString(title(rep))
	line := func(s string) {
		if s != "" {
			sb.WriteString("\n" + s)
		}
	}
	line(rep.Text)
	for _, f := range rep.Fields {
		line(f.Label + ": " + f.Value)
	}
	for _, s := range rep.Sections {
		line(s.Text)
		line(link(baseURL, s.Permalink))
	}
	if rep.Screenshot != "" {
		line("Screenshot: " + firstNonEmpty(link(baseURL, screenshotPath(rep.Screenshot)), rep.Screenshot))
	}
	line(firstNonEmpty(link(baseURL, rep.Permalink), rep.Permalink))
	return sb.String()
}

func title(rep bot.Reply) string {
	if t := strings.TrimSpace(rep.Title); t != "" {
		return t
	}
	return "Verbatim"
}

// field is a label above its value: mrkdwn with the label in bold and the
// value a link if it is a URL, or plain_text if the value holds characters
// mrkdwn would take for formatting (a word diff of a post, say), so that
// it is shown exactly.
func field(f bot.Field) *slackgo.TextBlockObject {
	if strings.ContainsAny(f.Value, "*_~`") && !isURL(f.Value) {
		return plain(truncate(strings.TrimSpace(f.Label)+"\n"+f.Value, maxFieldText))
	}
	return mrkdwn(fieldText(f))
}

func isURL(s string) bool {
	return isLinkable(s) && (strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://"))
}

// fieldText is a field as mrkdwn: the label in bold above the value, the
// value a link if it is a URL.
func fieldText(f bot.Field) string {
	label := escapeTrunc(f.Label, 100)
	v := f.Value
	switch {
	case strings.TrimSpace(v) == "":
		v = "—"
	case isURL(v) && len(v) < maxFieldText-len(label)-10:
		v = "<" + escape(v) + ">"
	default:
		v = escapeTrunc(v, maxFieldText-len(label)-5)
	}
	return "*" + label + "*\n" + v
}

// screenshotPath is the web UI's path of a screenshot blob, or "" if sha is
// not a sha256.
func screenshotPath(sha string) string {
	if len(sha) != 64 || strings.Trim(strings.ToLower(sha), "0123456789abcdef") != "" {
		return ""
	}
	return "/blobs/" + strings.ToLower(sha)
}

// link joins the base URL and a path, or returns "" if either is missing
// or the result could not be written as a Slack link. Put in mrkdwn, it
// goes through escape (a query's & becomes &amp;, as Slack expects).
func link(baseURL, path string) string {
	if baseURL == "" || !strings.HasPrefix(path, "/") {
		return ""
	}
	u := baseURL + path
	if !isLinkable(u) {
		return ""
	}
	return u
}

// isLinkable reports whether s, escaped, can go between < and > in mrkdwn.
func isLinkable(s string) bool {
	return s != "" && !strings.ContainsAny(s, "<>| \t\r\n")
}

func plain(s string) *slackgo.TextBlockObject {
	return slackgo.NewTextBlockObject(slackgo.PlainTextType, s, false, false)
}

// mrkdwn is a mrkdwn text object with automatic parsing off, so that text
// that looks like a channel name or a URL stays as written.
func mrkdwn(s string) *slackgo.TextBlockObject {
	return slackgo.NewTextBlockObject(slackgo.MarkdownType, s, false, true)
}

var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// escape escapes the three characters mrkdwn gives meaning to.
func escape(s string) string { return mrkdwnEscaper.Replace(s) }

// escapeTrunc escapes s and cuts it to at most n characters, ending in "…"
// if cut, never in the middle of an escape.
func escapeTrunc(s string, n int) string {
	if e := escape(s); utf8.RuneCountInString(e) <= n {
		return e
	}
	var sb strings.Builder
	count := 0
	for _, r := range s {
		piece := escape(string(r))
		k := utf8.RuneCountInString(piece)
		if count+k > n-1 {
			break
		}
		sb.WriteString(piece)
		count += k
	}
	return sb.String() + "…"
}

// truncate cuts s to at most n characters, ending in "…" if cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
