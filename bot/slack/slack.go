// Package slack is Verbatim's newsroom chat front door: a Slack slash
// command ("/verbatim search charter --account @VP") and the Events API
// endpoint Slack needs to verify the app. It only translates: a command's
// text goes to a Commander (bot.Router), and the bot.Reply that comes back is
// posted to Slack as Block Kit.
//
// Every request must carry a valid Slack signature made with the app's
// signing secret, be no more than five minutes old, and not have been seen
// before; anything else is refused with 401 before it is parsed. A slash
// command is acknowledged at once with an ephemeral "Working on it" and run
// in the background; the answer is posted to the command's response_url,
// retried once if Slack fails, and logged in full if it still cannot be
// delivered.
package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/verbatim-archive/verbatim/bot"
)

// Commander runs one chat command. *bot.Router implements it.
type Commander interface {
	// Handle runs one command line. A mistake in the command comes back as
	// a Reply that says so; an error is a failure of the server.
	Handle(ctx context.Context, line string) (bot.Reply, error)
}

var _ Commander = (*bot.Router)(nil)

// Defaults of the Options left zero.
const (
	DefaultMaxBody        = 64 << 10
	DefaultCommandTimeout = 2 * time.Minute
	DefaultRetryDelay     = time.Second
	DefaultMaxInFlight    = 8
)

// DefaultResponseHosts are the hosts Slack's response_url points at: Slack's
// commercial and GovSlack webhooks.
var DefaultResponseHosts = []string{"hooks.slack.com", "hooks.slack-gov.com"}

const (
	// maxSkew is how far a request's timestamp may be from now.
	maxSkew = 5 * time.Minute
	// postTimeout bounds one attempt to post to a response_url.
	postTimeout = 15 * time.Second
	// maxRetryAfter caps how long a 429's Retry-After is honoured.
	maxRetryAfter = 30 * time.Second
)

// Options configure a Handler. Router and SigningSecret are required.
type Options struct {
	// Router runs the commands.
	Router Commander
	// SigningSecret is the Slack app's signing secret
	// (VERBATIM_SLACK_SIGNING_SECRET). It is never logged. With none, every
	// request is refused.
	SigningSecret string
	// BaseURL is the public base URL of the web UI ("https://verbatim.example").
	// With it, replies link to their permalinks and show screenshots (which
	// Slack fetches from BaseURL + "/blobs/{sha256}", so it must be reachable
	// from the internet); without it they carry text only.
	BaseURL string
	// HTTPClient posts replies to response_url. The default has a timeout
	// and does not follow redirects.
	HTTPClient *http.Client
	// Now is the clock requests' timestamps are judged by; time.Now when nil.
	Now func() time.Time
	// Log receives one line per refused request, failed command and failed
	// delivery; slog.Default when nil.
	Log *slog.Logger
	// MaxBody is the largest request body accepted (DefaultMaxBody when 0);
	// a larger one gets 413.
	MaxBody int64
	// CommandTimeout bounds a command run in the background
	// (DefaultCommandTimeout when 0).
	CommandTimeout time.Duration
	// RetryDelay is the wait before the one retry of a failed post to
	// response_url (DefaultRetryDelay when 0).
	RetryDelay time.Duration
	// MaxInFlight is how many commands may run at once (DefaultMaxInFlight
	// when 0); beyond it a command is answered "busy, try again".
	MaxInFlight int
	// ResponseHosts are the host names a response_url may point at
	// (DefaultResponseHosts when empty). Replies are posted nowhere else.
	ResponseHosts []string
	// AllowHTTPResponseURL lets a response_url use plain http, for tests
	// with a fake Slack on httptest. In production Slack's response_url is
	// always https.
	AllowHTTPResponseURL bool
}

// Handler serves the Slack endpoints:
//
//	POST /slack/command  a slash command (form fields text, user_id, response_url, …)
//	POST /slack/events   the Events API: url_verification is answered, other events acknowledged
//
// Mount it at the root of the server's mux (or under "/slack/") without
// stripping the prefix. It runs commands in the background; Wait and
// Shutdown wait for them.
type Handler struct {
	opt  Options
	mux  *http.ServeMux
	log  *slog.Logger
	base context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup

	mu       sync.Mutex
	seen     map[string]int64 // signatures accepted → their timestamps
	pruned   time.Time
	inFlight int
	closed   bool
}

// New returns a Handler for the Slack endpoints.
func New(opt Options) *Handler {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.MaxBody <= 0 {
		opt.MaxBody = DefaultMaxBody
	}
	if opt.CommandTimeout <= 0 {
		opt.CommandTimeout = DefaultCommandTimeout
	}
	if opt.RetryDelay <= 0 {
		opt.RetryDelay = DefaultRetryDelay
	}
	if opt.MaxInFlight <= 0 {
		opt.MaxInFlight = DefaultMaxInFlight
	}
	if len(opt.ResponseHosts) == 0 {
		opt.ResponseHosts = DefaultResponseHosts
	}
	if opt.HTTPClient == nil {
		opt.HTTPClient = &http.Client{
			Timeout:       postTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	opt.BaseURL = strings.TrimRight(opt.BaseURL, "/")
	h := &Handler{opt: opt, mux: http.NewServeMux(), log: opt.Log.With("component", "slack"), seen: map[string]int64{}}
	h.base, h.stop = context.WithCancel(context.Background())
	if opt.SigningSecret == "" {
		h.log.Warn("no Slack signing secret configured; every Slack request will be refused")
	}
	h.mux.HandleFunc("POST /slack/command", h.command)
	h.mux.HandleFunc("POST /slack/events", h.events)
	return h
}

// ServeHTTP serves the Slack endpoints.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Wait blocks until every command started so far has run and its reply has
// been posted or logged. It is meant for tests, and for after the server has
// stopped taking requests.
func (h *Handler) Wait() { h.wg.Wait() }

// Shutdown stops taking new commands and waits for those running to finish
// and post their replies. If ctx ends first, it cancels them (their replies
// are logged as lost), waits for them to return and returns ctx's error.
func (h *Handler) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	done := make(chan struct{})
	go func() {
		h.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		h.stop()
		return nil
	case <-ctx.Done():
		h.stop()
		<-done
		return ctx.Err()
	}
}

// command serves a slash command.
func (h *Handler) command(w http.ResponseWriter, r *http.Request) {
	body, ok := h.verified(w, r)
	if !ok {
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "malformed form body", http.StatusBadRequest)
		return
	}
	sc := slackgo.SlashCommand{
		TeamID: form.Get("team_id"), ChannelID: form.Get("channel_id"), UserID: form.Get("user_id"),
		UserName: form.Get("user_name"), Command: form.Get("command"), Text: form.Get("text"),
		ResponseURL: form.Get("response_url"),
	}
	line := CommandLine(sc.Text)
	if first, _, _ := strings.Cut(line, " "); line == "" || strings.EqualFold(first, "help") {
		writeJSON(w, message(helpReply(sc.Command), h.opt.BaseURL))
		return
	}
	log := h.log.With("command", line, "user", sc.UserID, "team", sc.TeamID, "channel", sc.ChannelID)
	if err := h.checkResponseURL(sc.ResponseURL); err != nil {
		log.Warn("slack command refused: unusable response_url", "err", err)
		writeJSON(w, ephemeral("Cannot answer this command: Slack sent no usable response_url."))
		return
	}
	h.mu.Lock()
	switch {
	case h.closed:
		h.mu.Unlock()
		writeJSON(w, ephemeral("Verbatim is restarting; try again in a minute."))
		return
	case h.inFlight >= h.opt.MaxInFlight:
		n := h.inFlight
		h.mu.Unlock()
		log.Warn("slack command refused: busy", "in_flight", n)
		writeJSON(w, ephemeral(fmt.Sprintf("Verbatim is busy with %d commands; try again in a minute.", n)))
		return
	}
	h.inFlight++
	h.wg.Add(1)
	h.mu.Unlock()
	go h.run(log, line, sc.ResponseURL)
	writeJSON(w, ephemeral("Working on it: "+escape(line)))
}

// run runs a command in the background and posts its reply.
func (h *Handler) run(log *slog.Logger, line, responseURL string) {
	defer func() {
		h.mu.Lock()
		h.inFlight--
		h.mu.Unlock()
		h.wg.Done()
	}()
	ctx, cancel := context.WithTimeout(h.base, h.opt.CommandTimeout)
	rep, err := h.handle(ctx, line)
	ended := ctx.Err()
	cancel()
	if err != nil {
		log.Error("slack command failed", "err", err)
		rep = failureReply(line, ended, h.opt.CommandTimeout)
	}
	h.deliver(log, responseURL, rep)
}

// handle runs one command, turning a panic into an error: a command runs
// in its own goroutine, where a panic would take the server down.
func (h *Handler) handle(ctx context.Context, line string) (rep bot.Reply, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v\n%s", v, debug.Stack())
		}
	}()
	return h.opt.Router.Handle(ctx, line)
}

// deliver posts a reply to response_url, retrying once after RetryDelay when
// Slack answers 5xx or 429 or cannot be reached. A reply that cannot be
// delivered is logged in full, so nothing is lost.
func (h *Handler) deliver(log *slog.Logger, responseURL string, rep bot.Reply) {
	msg := message(rep, h.opt.BaseURL)
	log = log.With("response_host", hostOf(responseURL))
	const attempts = 2
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(h.base, postTimeout)
		err := slackgo.PostWebhookCustomHTTPContext(ctx, responseURL, h.opt.HTTPClient, msg)
		cancel()
		if err == nil {
			return
		}
		err = redact(err)
		if attempt == attempts || !retryable(err) {
			log.Error("slack reply lost: posting to response_url failed", "attempts", attempt, "err", err,
				"reply", ReplyText(rep, h.opt.BaseURL))
			return
		}
		delay := h.opt.RetryDelay
		if rl := (*slackgo.RateLimitedError)(nil); errors.As(err, &rl) && rl.RetryAfter > delay {
			delay = min(rl.RetryAfter, maxRetryAfter)
		}
		log.Warn("posting to response_url failed; retrying", "attempt", attempt, "after", delay, "err", err)
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-h.base.Done():
			t.Stop()
			log.Error("slack reply lost: shutting down", "err", err, "reply", ReplyText(rep, h.opt.BaseURL))
			return
		}
	}
}

// retryable reports whether a failed post may succeed if tried again: Slack
// failed (5xx), asked us to slow down (429), or could not be reached. A 4xx
// (an expired or used-up response_url, a malformed message) will not.
func retryable(err error) bool {
	var sc slackgo.StatusCodeError
	if errors.As(err, &sc) {
		return sc.Retryable()
	}
	return true
}

// redact removes the response_url's path from err: the URL lets anyone post
// into the channel for half an hour, so it is not logged. (The url.Error
// inside err is rebuilt rather than edited, since the wrapping error's
// message was fixed when it was made.)
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("posting to response_url: %w", &url.Error{Op: ue.Op, URL: hostOf(ue.URL) + "/…", Err: ue.Err})
	}
	return err
}

// hostOf returns the scheme and host of a URL, without its path.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(invalid url)"
	}
	return u.Scheme + "://" + u.Host
}

// checkResponseURL returns an error unless raw is an https (or, if allowed,
// http) URL on one of the ResponseHosts.
func (h *Handler) checkResponseURL(raw string) error {
	if raw == "" {
		return errors.New("no response_url")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("malformed response_url")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && h.opt.AllowHTTPResponseURL:
	default:
		return fmt.Errorf("response_url scheme %q is not https", u.Scheme)
	}
	if u.User != nil {
		return errors.New("response_url has user info")
	}
	if host := strings.ToLower(u.Hostname()); !slices.Contains(h.opt.ResponseHosts, host) {
		return fmt.Errorf("response_url host %q is not a Slack host", host)
	}
	return nil
}

// events serves the Events API: it answers url_verification with the
// challenge and acknowledges every other event; Verbatim acts on none.
func (h *Handler) events(w http.ResponseWriter, r *http.Request) {
	body, ok := h.verified(w, r)
	if !ok {
		return
	}
	var ev slackevents.EventsAPIURLVerificationEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		http.Error(w, "malformed event", http.StatusBadRequest)
		return
	}
	if ev.Type == slackevents.URLVerification {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte(ev.Challenge))
		return
	}
	h.log.Debug("slack event acknowledged", "type", ev.Type)
	w.WriteHeader(http.StatusOK)
}

// slackLink matches a link as Slack escapes it in a command's text:
// <https://example.com> or <https://example.com|example.com>.
var slackLink = regexp.MustCompile(`<((?:https?|mailto):[^|<>\s]+)(?:\|[^<>]*)?>`)

// CommandLine turns a slash command's text into a command line for the
// router: links Slack wrapped as <url|label> become the bare URL, and the
// &amp; &lt; &gt; Slack escapes are unescaped.
func CommandLine(text string) string {
	s := slackLink.ReplaceAllString(text, "$1")
	s = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

// helpReply is the answer to "help" or an empty command, given at once.
func helpReply(command string) bot.Reply {
	if command == "" {
		command = "/verbatim"
	}
	return bot.Reply{Title: "Verbatim commands", Text: "Type " + command + " followed by one of:\n" + bot.Help}
}

// failureReply is what the user sees when a command failed on the server;
// the error itself is logged, not shown.
// ended is why the command's context ended, if it did.
func failureReply(line string, ended error, timeout time.Duration) bot.Reply {
	switch {
	case errors.Is(ended, context.DeadlineExceeded):
		return bot.Reply{Title: "Command timed out", Text: fmt.Sprintf("%q did not finish within %s. Try again later.", line, timeout)}
	case ended != nil:
		return bot.Reply{Title: "Command cancelled", Text: fmt.Sprintf("%q was cancelled: Verbatim is restarting. Try again in a minute.", line)}
	}
	return bot.Reply{Title: "Command failed", Text: fmt.Sprintf("%q failed on the server. The error has been logged; try again later.", line)}
}

// ack is an immediate answer to a slash command.
type ack struct {
	ResponseType string `json:"response_type"`
	Text         string `json:"text"`
}

// ephemeral is an immediate answer only the user who typed the command sees.
func ephemeral(text string) ack { return ack{ResponseType: slackgo.ResponseTypeEphemeral, Text: text} }

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encoding reply", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}
