// Package match decides what an article did with a post it embeds, links to or quotes, by
// comparing the embed (embeds.Embed) with the archived posts that may be the one it shows
// (Candidate): whether the article shows the post word for word (Exact), with differences of
// typography or link form only (Normalized), cut short (Truncated), reworded (Altered), reordered
// (Reordered), under the wrong author (WrongAuthor) or date (WrongDate), as an earlier version of
// a post that was edited since (Edited), or a post deleted since (Deleted); or that the archive has
// no such post (NotArchived).
//
// Judge picks the candidate: one whose id the embed gives, else one whose text holds a media link
// of the embed, else the most similar one (verify.Similarity of at least MinSimilarity). It then
// compares the texts token by token (verify.Words). Typography, white space, invisible characters,
// HTML entities in the archived text and the form of links (t.co/SLUG, https://t.co/SLUG,
// pic.twitter.com/SLUG, or the display URL a link element shows) do not count; the case of letters
// does. A post's trailing links that the embed omits (X's own embeds drop the link to a quoted post,
// for instance) and the @handles that open a reply do not count either.
//
// Everything here is a pure function of its arguments: no I/O, no clock, no package-level
// mutable state, so callers may use it from any goroutine.
package match
