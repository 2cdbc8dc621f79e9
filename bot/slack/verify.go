package slack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Slack's signature headers.
const (
	headerSignature = "X-Slack-Signature"
	headerTimestamp = "X-Slack-Request-Timestamp"
)

// Reasons a request is refused. None is shown to the caller beyond 401.
var (
	errNoSecret     = errors.New("no signing secret configured")
	errNoSignature  = errors.New("missing signature headers")
	errBadTimestamp = errors.New("malformed timestamp")
	errStale        = errors.New("timestamp more than 5 minutes from now")
	errBadSignature = errors.New("signature does not match")
	errReplay       = errors.New("request already seen")
)

// verified reads the request body, at most MaxBody bytes, and returns it if
// the request is signed with the signing secret, recent, and not a replay.
// Otherwise it answers 401 (413 for a body too large) and returns false,
// and nothing is executed.
func (h *Handler) verified(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	sig, ts := r.Header.Get(headerSignature), r.Header.Get(headerTimestamp)
	if sig == "" || ts == "" {
		h.refuse(w, r, http.StatusUnauthorized, errNoSignature)
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.opt.MaxBody))
	if err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			h.refuse(w, r, http.StatusRequestEntityTooLarge, err)
		} else {
			h.refuse(w, r, http.StatusBadRequest, err)
		}
		return nil, false
	}
	if err := h.verify(sig, ts, body); err != nil {
		h.refuse(w, r, http.StatusUnauthorized, err)
		return nil, false
	}
	return body, true
}

// refuse answers a request that is not let through and logs why. It logs
// neither the signature nor the body.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, status int, why error) {
	h.log.Warn("slack request refused", "path", r.URL.Path, "remote", r.RemoteAddr, "status", status, "reason", why.Error())
	http.Error(w, http.StatusText(status), status)
}

// verify checks Slack's v0 signature: "v0=" + hex(HMAC-SHA256(secret,
// "v0:" + timestamp + ":" + body)), compared in constant time, with a
// timestamp within five minutes of Now. A signature accepted once is
// remembered until its timestamp is too old to pass, and refused if it
// comes again.
//
// It is written here rather than with slack.NewSecretsVerifier, which judges
// the timestamp by the wall clock rather than Options.Now and does not
// refuse replays.
func (h *Handler) verify(sig, ts string, body []byte) error {
	if h.opt.SigningSecret == "" {
		return errNoSecret
	}
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || t < 0 {
		return errBadTimestamp
	}
	now := h.opt.Now()
	if d := now.Unix() - t; d > int64(maxSkew/time.Second) || d < -int64(maxSkew/time.Second) {
		return errStale
	}
	got, err := hex.DecodeString(strings.TrimPrefix(sig, "v0="))
	if err != nil || !strings.HasPrefix(sig, "v0=") {
		return errBadSignature
	}
	mac := hmac.New(sha256.New, []byte(h.opt.SigningSecret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return errBadSignature
	}
	// Key on the decoded signature, so that the same one in upper case is
	// still a replay.
	return h.remember(hex.EncodeToString(got), t, now)
}

// remember records an accepted signature, or returns errReplay if it was
// accepted before. Signatures whose timestamps are too old to pass again
// are forgotten once a minute.
func (h *Handler) remember(key string, ts int64, now time.Time) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if now.Sub(h.pruned) >= time.Minute {
		oldest := now.Add(-maxSkew).Unix()
		for k, t := range h.seen {
			if t < oldest {
				delete(h.seen, k)
			}
		}
		h.pruned = now
	}
	if _, ok := h.seen[key]; ok {
		return errReplay
	}
	h.seen[key] = ts
	return nil
}
