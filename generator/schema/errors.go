package schema

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Error is one mistake in a schema file, at the position where it was made.
type Error struct {
	Path string
	Pos  Pos
	Msg  string
}

// Error prints the error as path:line:col: message, the form editors and
// compilers use, so a terminal or IDE can jump to it.
func (e Error) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.Path, e.Pos.Line, e.Pos.Col, e.Msg)
}

// ErrorList is every mistake found in one schema file. Load returns all of
// them at once so a user fixes a schema in one round, not one error per run.
type ErrorList []Error

// Error prints one error per line, sorted by position and then message.
func (l ErrorList) Error() string {
	sorted := slices.Clone(l)
	sorted.sort()
	lines := make([]string, len(sorted))
	for i, e := range sorted {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find a single Error in the list.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

func (l ErrorList) sort() {
	slices.SortStableFunc(l, func(a, b Error) int {
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line - b.Pos.Line
		}
		if a.Pos.Col != b.Pos.Col {
			return a.Pos.Col - b.Pos.Col
		}
		return strings.Compare(a.Msg, b.Msg)
	})
}

// normalized returns the list sorted and without repeats, or nil when empty,
// so that a nil *Schema always comes with a non-nil error and the other way round.
func (l ErrorList) normalized() error {
	if len(l) == 0 {
		return nil
	}
	l.sort()
	return slices.Compact(l)
}

// maxSuggestDistance is how far a misspelling may be from a known name for
// "did you mean" to suggest it: two edits catch typos and swapped letters
// without suggesting unrelated words.
const maxSuggestDistance = 2

// suggest returns the known name closest to got, or "" when none is within
// maxSuggestDistance. Ties go to the earlier name in known.
func suggest(got string, known []string) string {
	best, bestDist := "", maxSuggestDistance+1
	for _, k := range known {
		if absDiff(utf8.RuneCountInString(got), utf8.RuneCountInString(k)) > maxSuggestDistance {
			continue // cannot be close; skip the quadratic distance
		}
		if d := levenshtein(got, k); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

func absDiff(a, b int) int {
	if a > b {
		return a - b
	}
	return b - a
}

// didYouMean is the "; did you mean X?" suffix of an error message, or "".
func didYouMean(got string, known []string) string {
	if s := suggest(got, known); s != "" {
		return fmt.Sprintf("; did you mean %q?", s)
	}
	return ""
}

// levenshtein is the edit distance between a and b in runes: insertions,
// deletions and substitutions each cost one.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
