// Package archivetest holds fakes and generators for tests.
//
// Its generator makes posts that look like those of official X accounts:
// 100–280 characters of English-like text with a realistic spread of word
// frequencies (a dozen words in 30–50% of posts, topics whose words go
// together, planted phrases, a long tail of rare words, mentions, hashtags
// and t.co links), some with photos or videos, some replies and quotes, a
// few edited. The same seed always gives the same posts.
package archivetest

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/verbatim-archive/verbatim/archive"
)

// account is an author of generated posts and its share of them.
type account struct {
	archive.Account
	share float64
}

var accounts = []account{
	{archive.Account{Platform: archive.PlatformX, PlatformID: "1542228578", Handle: "VP", Name: "Vice President JD Vance"}, 0.18},
	{archive.Account{Platform: archive.PlatformX, PlatformID: "1879644163769335808", Handle: "VPPressSec", Name: "Office of the VP Press Secretary"}, 0.10},
	{archive.Account{Platform: archive.PlatformX, PlatformID: "822215679726100480", Handle: "POTUS", Name: "President Donald J. Trump"}, 0.16},
	{archive.Account{Platform: archive.PlatformX, PlatformID: "822215673812119553", Handle: "WhiteHouse", Name: "The White House"}, 0.20},
	{archive.Account{Platform: archive.PlatformX, PlatformID: "25073877", Handle: "realDonaldTrump", Name: "Donald J. Trump"}, 0.12},
	{archive.Account{Platform: archive.PlatformX, PlatformID: "1880366009397923840", Handle: "SecRubio", Name: "Secretary Marco Rubio"}, 0.08},
	{archive.Account{Platform: archive.PlatformX, PlatformID: "9624742", Handle: "StateDept", Name: "Department of State"}, 0.10},
	{archive.Account{Platform: archive.PlatformX, PlatformID: "1879937893413797888", Handle: "PressSec", Name: "Karoline Leavitt"}, 0.06},
}

// Accounts returns the authors of generated posts, most prolific first by
// share: VP writes 18% of them.
func Accounts() []archive.Account {
	out := make([]archive.Account, len(accounts))
	for i, a := range accounts {
		out[i] = a.Account
	}
	return out
}

// Start is the time of the first generated post; later ones follow at
// random gaps of 1 to 600 seconds (5 minutes on average).
var Start = time.Date(2017, 1, 20, 17, 0, 0, 0, time.UTC)

// Generator makes posts one at a time, oldest first. It is not safe for
// concurrent use.
type Generator struct {
	r       *rand.Rand
	at      time.Time
	general *rand.Zipf
	tail    *rand.Zipf
	phrase  *rand.Zipf
	topic   *rand.Zipf
	recent  []string // ids of recent posts, for replies and quotes
	n       int
}

// NewGenerator returns a generator whose posts are fixed by seed.
func NewGenerator(seed uint64) *Generator {
	v := vocab()
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	return &Generator{
		r:       r,
		at:      Start,
		general: rand.NewZipf(r, 1.07, 4, uint64(len(v.general)-1)),
		tail:    rand.NewZipf(r, 1.2, 2, uint64(len(v.tail)-1)),
		phrase:  rand.NewZipf(r, 1.1, 6, uint64(len(phrases)-1)),
		topic:   rand.NewZipf(r, 1.1, 3, uint64(len(topics)-1)),
	}
}

// GenPosts returns n posts made by NewGenerator(seed), oldest first.
func GenPosts(n int, seed uint64) []archive.Post {
	g := NewGenerator(seed)
	out := make([]archive.Post, n)
	for i := range out {
		out[i] = g.Next()
	}
	return out
}

// Next returns the next post. Its id is an X snowflake of its time, so ids
// grow with time. About 20% carry media, 10% are replies, 4% quote an
// earlier post and 0.5% are the second version of an edited post (whose
// first version the generator never returns).
func (g *Generator) Next() archive.Post {
	r := g.r
	g.n++
	g.at = g.at.Add(time.Duration(1+r.IntN(600))*time.Second + time.Duration(r.IntN(1000))*time.Millisecond)
	// The low 22 bits of a snowflake are machine and sequence; bit 21 is
	// kept clear here and set in the ids of earlier versions, so the two
	// never collide.
	id := fmt.Sprint(archive.SnowflakeAt(g.at) + int64(r.IntN(1<<21)))
	a := g.pickAccount()
	p := archive.Post{
		Platform:       archive.PlatformX,
		ID:             id,
		EditHistory:    []string{id},
		Author:         a,
		CreatedAt:      g.at.Truncate(time.Millisecond),
		Lang:           "en",
		ConversationID: id,
	}
	if r.IntN(50) == 0 {
		p.Lang = "es"
	}
	var prefix, suffix string
	switch x := r.IntN(100); {
	case x < 10 && len(g.recent) > 0:
		p.ReplyToID = g.recent[r.IntN(len(g.recent))]
		p.ConversationID = p.ReplyToID
		prefix = "@" + mentions[r.IntN(len(mentions))] + " "
	case x < 14 && len(g.recent) > 0:
		p.QuotedID = g.recent[r.IntN(len(g.recent))]
	}
	if r.IntN(5) == 0 {
		p.Media = g.media(id)
		suffix = " " + p.Media[0].ShortURL
	} else if p.QuotedID != "" {
		suffix = " https://t.co/" + g.slug()
	}
	p.Text = g.text(prefix, suffix)
	if r.IntN(200) == 0 {
		first := archive.SnowflakeAt(g.at.Add(-time.Duration(1+r.IntN(3600))*time.Second)) + 1<<21 + int64(r.IntN(1<<21))
		p.EditHistory = []string{fmt.Sprint(first), id}
	}
	if len(g.recent) < 64 {
		g.recent = append(g.recent, id)
	} else {
		g.recent[g.n%64] = id
	}
	return p
}

func (g *Generator) pickAccount() archive.Account {
	x := g.r.Float64()
	for _, a := range accounts {
		if x < a.share {
			return a.Account
		}
		x -= a.share
	}
	return accounts[0].Account
}

func (g *Generator) media(id string) []archive.Media {
	r := g.r
	n := 1
	if r.IntN(4) == 0 {
		n = 2 + r.IntN(3)
	}
	slug := g.slug()
	out := make([]archive.Media, n)
	for i := range out {
		key := fmt.Sprintf("3_%s%d", id[:len(id)-3], 100+r.IntN(900))
		m := archive.Media{Key: key, Type: "photo",
			URL: "https://pbs.twimg.com/media/" + g.slug() + "A" + g.slug()[:4] + ".jpg"}
		if n == 1 && r.IntN(3) == 0 {
			key = "7_" + key[2:]
			m = archive.Media{Key: key, Type: "video",
				URL:        "https://video.twimg.com/amplify_video/" + key[2:] + "/vid/avc1/1280x720/" + g.slug() + ".mp4?tag=16",
				PreviewURL: "https://pbs.twimg.com/amplify_video_thumb/" + key[2:] + "/img/" + g.slug() + ".jpg"}
		}
		m.ShortURL = "https://t.co/" + slug
		m.DisplayURL = "pic.x.com/" + slug
		out[i] = m
	}
	return out
}

const slugChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func (g *Generator) slug() string {
	var b [10]byte
	for i := range b {
		b[i] = slugChars[g.r.IntN(len(slugChars))]
	}
	return string(b[:])
}

// text makes 100 to 280 characters of text, counting prefix and suffix.
func (g *Generator) text(prefix, suffix string) string {
	r, v := g.r, vocab()
	ps := utf8.RuneCountInString(prefix) + utf8.RuneCountInString(suffix)
	least := 100 - ps // the text may not end before this
	target := 100 + r.IntN(181) - ps
	target = max(target, least+3) // room for one more short word
	var topic []string
	if r.IntN(4) != 0 {
		topic = topics[g.topic.Uint64()]
	}
	phrasePos := -1
	if r.IntN(5) < 2 {
		phrasePos = r.IntN(6)
	}
	var b strings.Builder
	b.WriteString(prefix)
	n, words, capital, misses := 0, 0, true, 0
	for n < target && (n < least || misses < 20) {
		var w string
		switch x := r.Float64(); {
		case words == phrasePos:
			w = phrases[g.phrase.Uint64()]
		case x < 0.45:
			w = v.fnWords[sort.SearchFloat64s(v.fnCum, r.Float64()*v.fnCum[len(v.fnCum)-1])]
		case x < 0.60 && topic != nil:
			w = topic[r.IntN(len(topic))]
		case x < 0.91:
			w = v.general[g.general.Uint64()]
		case x < 0.97:
			w = v.tail[g.tail.Uint64()]
		case x < 0.98:
			w = "#" + hashtags[r.IntN(len(hashtags))]
		case x < 0.99:
			w = "@" + mentions[r.IntN(len(mentions))]
		case x < 0.995:
			w = fmt.Sprint(1 + r.IntN(2030))
		default:
			w = emoji[r.IntN(len(emoji))]
		}
		if capital {
			c, size := utf8.DecodeRuneInString(w)
			w = string(unicode.ToUpper(c)) + w[size:]
		}
		end := false
		switch x := r.IntN(100); {
		case x < 7:
			w, end = w+".", true
		case x < 9:
			w += ","
		case x < 10:
			w, end = w+"!", true
		}
		wl := utf8.RuneCountInString(w)
		if n > 0 && n+1+wl > target {
			misses++ // too long to fit: try a shorter word
			continue
		}
		if n > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += wl
		words++
		capital = end
	}
	b.WriteString(suffix)
	return b.String()
}
