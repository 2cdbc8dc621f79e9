package archivetest

import (
	"math/rand/v2"
	"strings"
	"sync"
)

// weighted is a word and its relative frequency among function words.
type weighted struct {
	word   string
	weight float64
}

// functionWords are the glue of English posts. About a dozen of them land
// in 30–50% of generated posts (the common terms of a search benchmark);
// "the" is in most posts, the rest in fewer.
var functionWords = []weighted{
	{"the", 0.100},
	{"and", 0.060}, {"to", 0.060},
	{"of", 0.048}, {"in", 0.045}, {"for", 0.042}, {"our", 0.040}, {"we", 0.038}, {"a", 0.036},
	{"is", 0.034}, {"with", 0.033}, {"on", 0.032}, {"this", 0.031}, {"will", 0.030}, {"today", 0.029},
	{"are", 0.018}, {"at", 0.017}, {"that", 0.016}, {"it", 0.015}, {"by", 0.014}, {"be", 0.014},
	{"from", 0.013}, {"all", 0.012}, {"more", 0.012}, {"has", 0.011}, {"have", 0.011}, {"who", 0.010},
	{"their", 0.010}, {"not", 0.010}, {"was", 0.009}, {"as", 0.009}, {"an", 0.009}, {"his", 0.008},
	{"they", 0.008}, {"us", 0.008}, {"my", 0.008}, {"i", 0.008}, {"you", 0.008}, {"your", 0.007},
	{"every", 0.007}, {"about", 0.007}, {"than", 0.006}, {"into", 0.006}, {"over", 0.006},
	{"after", 0.006}, {"before", 0.005}, {"just", 0.005}, {"now", 0.005}, {"here", 0.005},
	{"so", 0.005}, {"no", 0.005}, {"never", 0.004}, {"again", 0.004}, {"what", 0.004}, {"how", 0.004},
	{"why", 0.003}, {"when", 0.003}, {"where", 0.003}, {"because", 0.003}, {"between", 0.003},
	{"while", 0.003}, {"both", 0.003}, {"only", 0.003}, {"also", 0.003}, {"very", 0.003},
	{"&", 0.002}, {"—", 0.002},
}

// generalWords are content words of official posts, most frequent first;
// they are drawn with a Zipf distribution.
const generalWords = `president great people american america new country thank nation
	administration support work jobs families economy security today's historic proud honored
	first state federal government united states vice public national policy strong world future
	years week meeting leaders team business workers million billion year back time day help
	deal trade energy border make better again home year's agreement partnership strategic
	peace secure law order freedom rights tax cuts prices growth investment companies
	communities children school education health care hospital veterans military troops
	service members safety crime police officers enforcement justice court congress senate
	house vote bill act legislation budget spending debt deficit inflation rates market stock
	manufacturing factories industry steel auto farmers ranchers food water infrastructure
	roads bridges rail ports airports broadband technology innovation artificial intelligence
	chips semiconductors supply chains minerals critical rare earth oil gas natural coal
	nuclear power electricity grid prices lower costs relief disaster storm hurricane fire
	recovery response emergency fema aid assistance humanitarian ceasefire hostages release
	talks negotiations summit visit trip remarks speech address interview briefing statement
	announcement signing ceremony executive order memorandum proclamation nominee nomination
	confirmed hearing testimony committee investigation report review plan framework strategy
	initiative program fund grants loans small businesses entrepreneurs main street wall
	working middle class wages paychecks savings retirement social medicare medicaid
	prescription drug costs insulin opioid fentanyl cartels traffickers illegal immigration
	migrants deportation asylum wall patrol agents customs ports entry visas citizens
	election voters ballot campaign rally crowd movement patriots faith prayer god bless
	church religious liberty speech free press media fake news truth lies corruption fraud
	waste abuse accountability transparency reform efficiency savings taxpayers dollars
	allies partners friends enemies adversaries threats terrorism terrorist attack defense
	deterrence strength navy army air force marines guard space cyber missile dome drones
	sales weapons arms treaty alliance nato europe asia pacific middle east africa americas
	china russia ukraine israel iran gaza japan korea india mexico canada brazil britain
	france germany italy poland hungary turkey saudi arabia qatar emirates egypt jordan
	cooperation relationship dialogue diplomacy embassy ambassador secretary minister prime
	foreign affairs counterpart delegation bilateral multilateral joint communique region
	stability prosperity opportunity corridor connectivity route transit pipeline lng exports
	imports tariffs reciprocal fair markets access goods services farmers products
	beautiful incredible tremendous amazing wonderful fantastic terrible disaster total
	complete endorsement congratulations happy birthday anniversary celebrate remember honor
	fallen heroes memorial ceremony wreath cemetery flag anthem independence constitution
	founders liberty century generations legacy history milestone record achievement win
	victory success results promises kept delivered signed passed launched opened announced`

// topics are sets of words that go together: a post about one of them uses
// several, so two words of a topic co-occur far more often than chance, as
// "charter azerbaijan" does in real posts.
var topics = [][]string{
	{"Azerbaijan", "Baku", "Aliyev", "charter", "Caspian", "corridor", "TRIPP", "strategic", "partnership", "Nakhchivan", "energy", "transit"},
	{"Armenia", "Yerevan", "Pashinyan", "nuclear", "civil", "123", "Metsamor", "reactor", "Caucasus", "peace", "agreement", "ratification"},
	{"border", "wall", "patrol", "cartels", "fentanyl", "crossings", "deportations", "ICE", "asylum", "illegal", "migrants", "enforcement"},
	{"tariffs", "trade", "deficit", "reciprocal", "exports", "imports", "manufacturing", "steel", "aluminum", "autos", "factories", "deal"},
	{"Ukraine", "Russia", "Putin", "Zelensky", "ceasefire", "negotiations", "Kyiv", "Moscow", "sanctions", "minerals", "war", "talks"},
	{"Israel", "Gaza", "Hamas", "hostages", "Netanyahu", "ceasefire", "Jerusalem", "humanitarian", "aid", "release", "Abraham", "Accords"},
	{"Iran", "nuclear", "enrichment", "Tehran", "sanctions", "strikes", "Fordow", "regime", "missiles", "IAEA", "deterrence", "Gulf"},
	{"China", "Beijing", "Xi", "chips", "semiconductors", "Taiwan", "rare", "earth", "export", "controls", "supply", "chains"},
	{"inflation", "prices", "groceries", "eggs", "gas", "mortgage", "rates", "Fed", "Powell", "economy", "wages", "costs"},
	{"taxes", "tax", "cuts", "tips", "overtime", "Social", "Security", "seniors", "deduction", "reconciliation", "bill", "Senate"},
	{"energy", "oil", "drilling", "LNG", "pipeline", "Alaska", "coal", "grid", "electricity", "nuclear", "dominance", "permits"},
	{"AI", "artificial", "intelligence", "data", "centers", "compute", "Stargate", "innovation", "tech", "chips", "models", "investment"},
	{"veterans", "VA", "troops", "service", "members", "military", "Pentagon", "Hegseth", "recruiting", "readiness", "deployment", "salute"},
	{"hurricane", "storm", "FEMA", "disaster", "relief", "flooding", "Texas", "Carolina", "recovery", "victims", "emergency", "rebuild"},
	{"crime", "police", "DC", "Guard", "safety", "streets", "murder", "officers", "prosecutors", "violent", "gangs", "arrests"},
	{"NATO", "allies", "Europe", "defense", "spending", "summit", "Hague", "Rutte", "alliance", "burden", "Article", "five"},
	{"India", "Modi", "Delhi", "trade", "partnership", "Quad", "Pacific", "Japan", "Ishiba", "Tokyo", "Korea", "Seoul"},
	{"Mexico", "Sheinbaum", "Canada", "Carney", "USMCA", "fentanyl", "northern", "southern", "tariff", "autos", "dairy", "lumber"},
	{"education", "schools", "parents", "students", "teachers", "choice", "department", "colleges", "campus", "antisemitism", "loans", "tuition"},
	{"health", "drug", "prices", "pharma", "insulin", "MAHA", "Kennedy", "vaccines", "chronic", "disease", "food", "dyes"},
	{"election", "voters", "ballots", "midterms", "campaign", "rally", "polls", "Republicans", "Democrats", "majority", "turnout", "primary"},
	{"faith", "prayer", "church", "God", "bless", "Easter", "Christmas", "religious", "liberty", "Pope", "Leo", "Vatican"},
	{"space", "NASA", "Artemis", "Moon", "Mars", "launch", "SpaceX", "astronauts", "Golden", "Dome", "missile", "shield"},
	{"DOGE", "waste", "fraud", "spending", "efficiency", "agencies", "bureaucrats", "savings", "contracts", "audit", "federal", "workforce"},
	{"Venezuela", "Maduro", "Caracas", "boats", "narco", "Caribbean", "strikes", "Cuba", "Havana", "Rubio", "hemisphere", "Panama"},
	{"farmers", "ranchers", "agriculture", "beef", "soybeans", "corn", "USDA", "Rollins", "crops", "rural", "harvest", "exports"},
	{"Saudi", "Riyadh", "Qatar", "Doha", "UAE", "investment", "trillion", "Gulf", "MBS", "visit", "deals", "jets"},
	{"court", "Supreme", "justices", "ruling", "judges", "injunction", "appeal", "Constitution", "lawsuit", "nominee", "confirmation", "bench"},
}

// phrases are planted whole in about 40% of posts, the most common in about
// 3% of all posts and the rarest in well under 1%; their words also occur
// apart, so a phrase query must check positions.
var phrases = []string{
	"strategic partnership", "peace agreement", "energy security", "border security", "trade deal",
	"national security", "middle corridor", "american workers", "civil nuclear", "military sales",
	"press briefing", "white house", "united states", "vice president", "critical minerals",
	"artificial intelligence", "supply chains", "small businesses", "law enforcement", "foreign policy",
	"tax cuts", "made in america", "working families", "economic cooperation", "bilateral meeting",
	"joint statement", "state visit", "peace through strength", "rule of law", "free speech",
	"illegal immigration", "drug prices", "manufacturing jobs", "energy dominance", "natural gas",
	"rare earth", "trade deficit", "defense spending", "ceasefire agreement", "hostage release",
	"humanitarian aid", "disaster relief", "school choice", "religious liberty", "supreme court",
	"interest rates", "golden dome", "executive order", "cabinet meeting", "oval office",
	"state department", "prime minister", "foreign minister", "charter on strategic partnership",
	"american energy", "secure the border", "promises made", "promises kept", "big beautiful bill",
	"god bless america",
}

// hashtags and mentioned handles that posts carry now and then.
var (
	hashtags = []string{"AmericaFirst", "MAGA", "USA", "TRIPP", "MAHA", "DOGE", "PeaceThroughStrength", "GoldenAge", "NATO2025", "Baku"}
	mentions = []string{"POTUS", "VP", "WhiteHouse", "SecRubio", "StateDept", "PressSec", "JDVance", "realDonaldTrump", "SecDef", "USTreasury", "VPPressSec"}
	emoji    = []string{"🇺🇸", "🇺🇸🇺🇸", "🇦🇿", "🇦🇲", "🙏", "👇", "📸", "🔥", "💪", "🎥"}
)

// vocabulary holds the generator's tables, built once.
type vocabulary struct {
	fnWords []string
	fnCum   []float64 // cumulative weights of fnWords
	general []string
	tail    []string // made-up words: the long tail of names, typos and rare words
}

var vocab = sync.OnceValue(func() *vocabulary {
	v := &vocabulary{general: strings.Fields(generalWords)}
	total := 0.0
	for _, w := range functionWords {
		total += w.weight
		v.fnWords = append(v.fnWords, w.word)
		v.fnCum = append(v.fnCum, total)
	}
	// Words of phrases also occur apart from them.
	seen := make(map[string]bool, len(v.general))
	for _, w := range v.general {
		seen[w] = true
	}
	for _, p := range phrases {
		for _, w := range strings.Fields(p) {
			if !seen[w] && !isFunctionWord(w) {
				seen[w] = true
				v.general = append(v.general, w)
			}
		}
	}
	// The long tail: 30,000 pronounceable made-up words.
	r := rand.New(rand.NewPCG(0x7a11, 0x7a11))
	cons := []string{"b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "ch", "sh", "st", "tr"}
	vows := []string{"a", "e", "i", "o", "u", "ai", "ea", "ou"}
	for len(v.tail) < 30000 {
		var b strings.Builder
		for range 2 + r.IntN(3) {
			b.WriteString(cons[r.IntN(len(cons))])
			b.WriteString(vows[r.IntN(len(vows))])
		}
		if r.IntN(3) == 0 {
			b.WriteString(cons[r.IntN(len(cons))])
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			v.tail = append(v.tail, w)
		}
	}
	return v
})

func isFunctionWord(w string) bool {
	for _, f := range functionWords {
		if f.word == w {
			return true
		}
	}
	return false
}

// Phrases returns the phrases that generated posts contain, most common
// first, as search queries: each in double quotes.
func Phrases() []string {
	out := make([]string, len(phrases))
	for i, p := range phrases {
		out[i] = `"` + p + `"`
	}
	return out
}

// TwoTermQueries returns n queries of two words from the same topic, such
// as "charter azerbaijan": words that co-occur in hundreds to thousands of
// posts per million, each pair different, in an order fixed by seed.
func TwoTermQueries(n int, seed uint64) []string {
	var all []string
	for _, t := range topics {
		for i := range t {
			for j := i + 1; j < len(t); j++ {
				all = append(all, strings.ToLower(t[i]+" "+t[j]))
			}
		}
	}
	r := rand.New(rand.NewPCG(seed, 2))
	r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	if n > len(all) {
		n = len(all)
	}
	return all[:n]
}

// CommonWords returns the most frequent words of generated posts, most
// frequent first: candidates for common-term queries, whose share of posts
// a caller measures on the posts it generated.
func CommonWords() []string {
	out := make([]string, 0, 20)
	for _, w := range functionWords[:20] {
		out = append(out, w.word)
	}
	return out
}
