package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/verbatim-archive/verbatim/archive/report"
)

// maxMarkdown is the most Markdown a report message carries: Slack takes
// up to 12,000 characters in the markdown blocks of one message; a longer
// report is cut at a line and points to the full one.
const maxMarkdown = 11000

// Poster posts integrity reports to a channel with the Web API
// (chat.postMessage), as the bot user of a token.
type Poster struct {
	api *slackgo.Client
}

// NewPoster returns a Poster for a bot token (VERBATIM_SLACK_BOT_TOKEN) at
// the Web API's base URL (slack.api_url, ending in "/"). A nil client gets
// one with a timeout.
func NewPoster(token, apiURL string, client *http.Client) *Poster {
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	return &Poster{api: slackgo.New(token, slackgo.OptionAPIURL(apiURL), slackgo.OptionHTTPClient(client))}
}

// PostReport posts the report to channel: its headline as the message's
// text (what notifications show) and its Markdown in a markdown block,
// cut if too long (then pointing to the report's HTML when opt has a
// BaseURL). It returns the message's timestamp; the error says why Slack
// refused it.
func (p *Poster) PostReport(ctx context.Context, channel string, r *report.Report, opt report.RenderOptions) (string, error) {
	if channel == "" {
		return "", errors.New("slack: no channel")
	}
	md := r.Markdown(opt)
	link := opt.ReportURL(r.Name)
	if len(md) > maxMarkdown {
		cut := strings.LastIndex(md[:maxMarkdown], "\n")
		if cut < 0 {
			cut = maxMarkdown
		}
		md = md[:cut] + "\n\n… (cut here"
		if link != "" {
			md += "; [the full report](" + link + ")"
		}
		md += ")\n"
	}
	_, ts, err := p.api.PostMessageContext(ctx, channel,
		slackgo.MsgOptionText(r.Headline(), true),
		slackgo.MsgOptionBlocks(slackgo.NewMarkdownBlock("report", md)),
		slackgo.MsgOptionDisableLinkUnfurl(),
		slackgo.MsgOptionDisableMediaUnfurl())
	if err != nil {
		return "", fmt.Errorf("slack: post the report to %s: %w", channel, err)
	}
	return ts, nil
}
