package sqlite

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrQuery marks a search query the user must fix.
var ErrQuery = errors.New("invalid search query")

// queryError is a one-line explanation of a bad query.
type queryError struct{ msg string }

func (e *queryError) Error() string { return "search: " + e.msg }
func (e *queryError) Unwrap() error { return ErrQuery }

func qerr(format string, args ...any) error { return &queryError{fmt.Sprintf(format, args...)} }

// ParseQuery translates a user's query into an FTS5 MATCH expression.
//
// The user's syntax: words (all must match), "quoted phrases", prefix*,
// AND, OR, NOT (upper case) and -word for NOT, and parentheses. Every word
// and phrase is quoted in the output, so no input can reach FTS5's own
// syntax; mistakes give an error wrapping ErrQuery.
func ParseQuery(q string) (string, error) {
	toks, err := lexQuery(q)
	if err != nil {
		return "", err
	}
	if len(toks) == 0 {
		return "", qerr("empty query")
	}
	p := &qparser{toks: toks}
	n, err := p.parseOr()
	if err != nil {
		return "", err
	}
	if p.pos < len(p.toks) {
		t := p.toks[p.pos]
		if t.kind == tokRParen {
			return "", qerr("unbalanced ')'")
		}
		return "", qerr("unexpected %q", t.text)
	}
	out, err := n.fts()
	if err != nil {
		return "", err
	}
	return out, nil
}

type tokKind int

const (
	tokTerm tokKind = iota
	tokPhrase
	tokAnd
	tokOr
	tokNot
	tokLParen
	tokRParen
)

type token struct {
	kind   tokKind
	text   string
	prefix bool
	neg    bool // written as -term
}

const maxQueryTerms = 64

func lexQuery(q string) ([]token, error) {
	if !utf8.ValidString(q) {
		return nil, qerr("query is not valid UTF-8")
	}
	if len(q) > 1024 {
		return nil, qerr("query is longer than 1024 bytes")
	}
	var toks []token
	i := 0
	for i < len(q) {
		r, w := utf8.DecodeRuneInString(q[i:])
		switch {
		case unicode.IsSpace(r) || unicode.IsControl(r):
			i += w
		case r == '(':
			toks = append(toks, token{kind: tokLParen, text: "("})
			i += w
		case r == ')':
			toks = append(toks, token{kind: tokRParen, text: ")"})
			i += w
		case r == '"' || r == '“' || r == '”' || (r == '-' && i+1 < len(q) && q[i+1] == '"'):
			neg := false
			if r == '-' {
				neg = true
				i++
				r, w = utf8.DecodeRuneInString(q[i:])
			}
			i += w
			end := strings.IndexAny(q[i:], "\"”“")
			if end < 0 {
				return nil, qerr("unclosed quote")
			}
			text := strings.Map(func(r rune) rune {
				if unicode.IsControl(r) {
					return ' '
				}
				return r
			}, q[i:i+end])
			_, cw := utf8.DecodeRuneInString(q[i+end:])
			i += end + cw
			prefix := false
			if i < len(q) && q[i] == '*' {
				prefix = true
				i++
			}
			toks = append(toks, token{kind: tokPhrase, text: text, prefix: prefix, neg: neg})
		default:
			j := i
			for j < len(q) {
				r, w := utf8.DecodeRuneInString(q[j:])
				if unicode.IsSpace(r) || unicode.IsControl(r) || r == '(' || r == ')' || r == '"' || r == '“' || r == '”' {
					break
				}
				j += w
			}
			word := q[i:j]
			i = j
			switch word {
			case "AND":
				toks = append(toks, token{kind: tokAnd, text: word})
				continue
			case "OR":
				toks = append(toks, token{kind: tokOr, text: word})
				continue
			case "NOT":
				toks = append(toks, token{kind: tokNot, text: word})
				continue
			}
			t := token{kind: tokTerm}
			if strings.HasPrefix(word, "-") && len(word) > 1 {
				t.neg = true
				word = word[1:]
			}
			if strings.HasSuffix(word, "*") {
				t.prefix = true
				word = strings.TrimRight(word, "*")
			}
			if strings.Contains(word, "*") {
				return nil, qerr("'*' may only end a word (prefix search): %q", word)
			}
			t.text = word
			toks = append(toks, t)
		}
		if len(toks) > maxQueryTerms*2 {
			return nil, qerr("query has too many terms (at most %d)", maxQueryTerms)
		}
	}
	return toks, nil
}

// node is a parsed query: a term (leaf), or an AND/OR of children. Negated
// children of an AND are kept apart, since FTS5's NOT is binary.
type node struct {
	op     tokKind // tokTerm, tokAnd, tokOr
	tok    token
	kids   []*node
	negs   []*node
	negate bool
}

type qparser struct {
	toks []token
	pos  int
}

func (p *qparser) peek() *token {
	if p.pos < len(p.toks) {
		return &p.toks[p.pos]
	}
	return nil
}

// parseOr: and ( OR and )*
func (p *qparser) parseOr() (*node, error) {
	first, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	n := &node{op: tokOr, kids: []*node{first}}
	for t := p.peek(); t != nil && t.kind == tokOr; t = p.peek() {
		p.pos++
		next, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		n.kids = append(n.kids, next)
	}
	if len(n.kids) == 1 {
		return first, nil
	}
	return n, nil
}

// parseAnd: unary ( [AND] unary )*
func (p *qparser) parseAnd() (*node, error) {
	n := &node{op: tokAnd}
	for {
		t := p.peek()
		if t == nil || t.kind == tokOr || t.kind == tokRParen {
			break
		}
		if t.kind == tokAnd {
			if len(n.kids)+len(n.negs) == 0 {
				return nil, qerr("AND needs a term on each side")
			}
			p.pos++
			if t := p.peek(); t == nil || t.kind == tokOr || t.kind == tokRParen || t.kind == tokAnd {
				return nil, qerr("AND needs a term on each side")
			}
			continue
		}
		u, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		if u == nil {
			continue
		}
		if u.negate {
			n.negs = append(n.negs, u)
		} else {
			n.kids = append(n.kids, u)
		}
	}
	if len(n.kids)+len(n.negs) == 0 {
		if t := p.peek(); t != nil && t.kind == tokOr {
			return nil, qerr("OR needs a term on each side")
		}
		if p.pos > 0 && p.toks[p.pos-1].kind == tokOr {
			return nil, qerr("OR needs a term on each side")
		}
		return nil, qerr("empty group")
	}
	if len(n.kids) == 0 {
		return nil, qerr("a query needs at least one term that is not excluded with NOT or -")
	}
	if len(n.kids) == 1 && len(n.negs) == 0 {
		return n.kids[0], nil
	}
	return n, nil
}

// parseUnary: NOT unary | ( or ) | term. It returns nil for a term with no
// letters or digits, which cannot match anything and is dropped.
func (p *qparser) parseUnary() (*node, error) {
	t := p.peek()
	if t == nil {
		return nil, qerr("query ends too early")
	}
	switch t.kind {
	case tokNot:
		p.pos++
		if p.peek() == nil {
			return nil, qerr("NOT needs a term after it")
		}
		u, err := p.parseUnary()
		if err != nil || u == nil {
			return u, err
		}
		if u.negate {
			return nil, qerr("NOT NOT is not supported")
		}
		u.negate = true
		return u, nil
	case tokLParen:
		p.pos++
		inner, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if t := p.peek(); t == nil || t.kind != tokRParen {
			return nil, qerr("unbalanced '('")
		}
		p.pos++
		return inner, nil
	case tokRParen:
		return nil, qerr("unbalanced ')'")
	case tokTerm, tokPhrase:
		p.pos++
		if !hasWordChar(t.text) {
			if t.kind == tokPhrase && strings.TrimSpace(t.text) == "" {
				return nil, qerr("empty phrase \"\"")
			}
			return nil, nil
		}
		return &node{op: tokTerm, tok: *t, negate: t.neg}, nil
	}
	return nil, qerr("unexpected %q", t.text)
}

func hasWordChar(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
	}
	return false
}

// fts renders the node as FTS5 syntax.
func (n *node) fts() (string, error) {
	switch n.op {
	case tokTerm:
		s := `"` + strings.ReplaceAll(n.tok.text, `"`, `""`) + `"`
		if n.tok.prefix {
			s += "*"
		}
		return s, nil
	case tokOr:
		parts := make([]string, 0, len(n.kids))
		for _, k := range n.kids {
			s, err := k.fts()
			if err != nil {
				return "", err
			}
			parts = append(parts, s)
		}
		return "(" + strings.Join(parts, " OR ") + ")", nil
	}
	parts := make([]string, 0, len(n.kids))
	for _, k := range n.kids {
		s, err := k.fts()
		if err != nil {
			return "", err
		}
		parts = append(parts, s)
	}
	s := strings.Join(parts, " AND ")
	if len(n.negs) > 0 {
		s = "(" + s + ")"
		for _, k := range n.negs {
			k2 := *k
			k2.negate = false
			ns, err := k2.fts()
			if err != nil {
				return "", err
			}
			s += " NOT " + ns
		}
	}
	if len(parts) > 1 || len(n.negs) > 0 {
		return "(" + s + ")", nil
	}
	return s, nil
}
