package match

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/verbatim-archive/verbatim/verify"
)

// reason returns the sentence that explains r.Verdict; m is how the texts compare.
func (j *judge) reason(r Result, m match) string {
	if r.Verdict == NotArchived {
		switch {
		case j.textless && j.e.PostID != "":
			return fmt.Sprintf("No archived post has the id %s.", j.e.PostID)
		case j.textless:
			return "The embed gives neither a post id nor text to look for."
		case m.candidates == 0:
			return "No archived post was found to compare with."
		}
		return fmt.Sprintf("No archived post is similar enough: the closest is %s similar.", percent(m.sim))
	}
	c, v := r.Candidate, r.Version
	post := describe(c, v)
	subject := "The embed's text"
	if j.quote {
		subject = "The quotation"
	}
	switch r.Verdict {
	case WrongAuthor:
		switch {
		case j.quote:
			return fmt.Sprintf("The quotation is attributed to @%s, but the archived post it comes from is by @%s.", j.handle, cleanHandle(c.Handle))
		case j.textless:
			return fmt.Sprintf("The embed names @%s, but the archived post with its id is by @%s.", j.handle, cleanHandle(c.Handle))
		}
		return fmt.Sprintf("The embed attributes the post to @%s, but the archived post with its text is by @%s.", j.handle, cleanHandle(c.Handle))
	case Altered:
		var changes []string
		removed, added := changedWords(m.diff)
		if removed > 0 {
			changes = append(changes, words(removed)+" removed")
		}
		if added > 0 {
			changes = append(changes, words(added)+" added")
		}
		if len(changes) == 0 {
			return fmt.Sprintf("%s differs from %s (%s similar).", subject, post, percent(m.sim))
		}
		return fmt.Sprintf("%s differs from %s: %s (%s similar).", subject, post, strings.Join(changes, " and "), percent(m.sim))
	case Truncated:
		if j.quote {
			return fmt.Sprintf("The quotation leaves words out of the passage of %s it quotes (%d of its %d words quoted).", post, m.shown, m.total)
		}
		return fmt.Sprintf("The embed shows only part of %s: %d of its %d words.", post, m.shown, m.total)
	case Reordered:
		return fmt.Sprintf("%s has the words of %s in another order.", subject, post)
	case WrongDate:
		claimed := j.e.ClaimedDateText
		if claimed == "" {
			claimed = j.e.ClaimedDate.UTC().Format(time.DateOnly)
		}
		if postDate(c, v).IsZero() {
			if !j.e.PostTime.IsZero() {
				return fmt.Sprintf("The embed dates the post %s, but its id dates it %s.", claimed, j.e.PostTime.UTC().Format(time.DateOnly))
			}
			return fmt.Sprintf("The embed dates the post %s, more than a day from the date in its id.", claimed)
		}
		return fmt.Sprintf("The embed dates the post %s, but %s.", claimed, describeDate(c, v))
	case Edited:
		if j.textless {
			return fmt.Sprintf("The embed gives the id of version %d of %d of %s, which was edited since.", indexOf(c, v)+1, len(c.Versions), post)
		}
		return fmt.Sprintf("%s matches version %d of %d of %s, which was edited since.", subject, indexOf(c, v)+1, len(c.Versions), post)
	case Deleted:
		if !c.StatusAt.IsZero() {
			return fmt.Sprintf("%s was deleted at the source (noticed %s).", capitalize(post), c.StatusAt.UTC().Format(time.DateOnly))
		}
		return fmt.Sprintf("%s was deleted at the source.", capitalize(post))
	case Exact:
		if j.quote {
			return fmt.Sprintf("The quotation is word for word part of %s.", post)
		}
		return fmt.Sprintf("The embed's text is word for word that of %s.", post)
	case Normalized:
		if j.quote {
			return fmt.Sprintf("The quotation is part of %s, apart from typography, spacing or the form of links.", post)
		}
		return fmt.Sprintf("The embed's text is that of %s, apart from typography, spacing or the form of links.", post)
	case Linked:
		return fmt.Sprintf("The article shows no text of %s, only a link to it or its id.", post)
	}
	return ""
}

// describe names the archived post: "the archived post by @VP of 2026-02-10".
func describe(c *Candidate, v *Version) string {
	s := "the archived post"
	if h := cleanHandle(c.Handle); h != "" {
		s += " by @" + h
	} else if c.PostID != "" {
		s += " " + c.PostID
	}
	if at := postDate(c, v); !at.IsZero() {
		s += " of " + at.UTC().Format(time.DateOnly)
	}
	return s
}

// describeDate says when the archived post is from.
func describeDate(c *Candidate, v *Version) string {
	at := postDate(c, v)
	s := "the archived post"
	if h := cleanHandle(c.Handle); h != "" {
		s += " by @" + h
	}
	return s + " is of " + at.UTC().Format(time.DateOnly)
}

// postDate returns the date of the version, or else of the post.
func postDate(c *Candidate, v *Version) time.Time {
	if v != nil && !v.CreatedAt.IsZero() {
		return v.CreatedAt
	}
	return c.CreatedAt
}

// indexOf returns the index of v among c's versions, by id and sequence number.
func indexOf(c *Candidate, v *Version) int {
	if v == nil {
		return 0
	}
	for i, w := range c.Versions {
		if w.ID == v.ID && w.Seq == v.Seq && w.Text == v.Text {
			return i
		}
	}
	return 0
}

// changedWords counts the tokens that the edits delete and insert.
func changedWords(edits []verify.Edit) (removed, added int) {
	for _, e := range edits {
		switch e.Op {
		case verify.Delete:
			removed += countWords(e.A)
		case verify.Insert:
			added += countWords(e.B)
		}
	}
	return removed, added
}

func words(n int) string {
	if n == 1 {
		return "1 word"
	}
	return fmt.Sprintf("%d words", n)
}

func percent(f float64) string {
	return fmt.Sprintf("%d%%", int(math.Round(100*f)))
}

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
