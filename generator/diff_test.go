package generator

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The expected texts below are what GNU diff -u prints for the same input.
func TestUnifiedDiffMatchesGNUDiff(t *testing.T) {
	for _, tc := range []struct{ name, a, b, want string }{
		{
			name: "two hunks and a missing final newline",
			a:    "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\nn\n",
			b:    "a\nB\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\nn\nadded",
			want: "--- a/x\n+++ b/x\n@@ -1,5 +1,5 @@\n a\n-b\n+B\n c\n d\n e\n@@ -12,3 +12,4 @@\n l\n m\n n\n+added\n\\ No newline at end of file\n",
		},
		{name: "created", a: "", b: "x\n", want: "--- a/x\n+++ b/x\n@@ -0,0 +1 @@\n+x\n"},
		{name: "emptied", a: "x\n", b: "", want: "--- a/x\n+++ b/x\n@@ -1 +0,0 @@\n-x\n"},
		{name: "equal", a: "x\ny\n", b: "x\ny\n", want: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := UnifiedDiff("a/x", "b/x", tc.a, tc.b); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestUnifiedDiffAppliesAndIsShortest(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		a, b := randomText(rng, rng.IntN(30)), randomText(rng, rng.IntN(30))
		if rng.IntN(2) == 0 { // mostly similar texts, the common case
			b = mutate(rng, a)
		}
		d := UnifiedDiff("a", "b", a, b)
		got, err := applyDiff(a, d)
		if err != nil || got != b {
			t.Fatalf("case %d: applying the diff gave %q, %v; want %q\ndiff:\n%s", i, got, err, b, d)
		}
		x, y := splitLines(a), splitLines(b)
		if a != "" && b != "" {
			edits := 0
			for _, o := range diffLines(x, y) {
				if o.kind != opEqual {
					edits++
				}
			}
			if want := len(x) + len(y) - 2*lcs(x, y); edits != want {
				t.Fatalf("case %d: %d edits, the shortest script has %d\na=%q\nb=%q", i, edits, want, a, b)
			}
		}
	}
}

func TestUnifiedDiffPastTheEditBound(t *testing.T) {
	var a, b strings.Builder
	for i := range maxEditDistance + 10 {
		fmt.Fprintf(&a, "a%d\n", i)
		fmt.Fprintf(&b, "b%d\n", i)
	}
	d := UnifiedDiff("a", "b", a.String(), b.String())
	if got, err := applyDiff(a.String(), d); err != nil || got != b.String() {
		t.Fatalf("the fallback diff does not apply: %v", err)
	}
}

func randomText(rng *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		b.WriteString(string(rune('a' + rng.IntN(4))))
		b.WriteByte('\n')
	}
	if n > 0 && rng.IntN(4) == 0 {
		return strings.TrimSuffix(b.String(), "\n")
	}
	return b.String()
}

func mutate(rng *rand.Rand, s string) string {
	lines := splitLines(s)
	for range rng.IntN(4) + 1 {
		switch i := rng.IntN(len(lines) + 1); rng.IntN(3) {
		case 0:
			lines = append(lines[:i], append([]string{"new\n"}, lines[i:]...)...)
		case 1:
			if i < len(lines) {
				lines = append(lines[:i], lines[i+1:]...)
			}
		case 2:
			if i < len(lines) {
				lines[i] = "changed\n"
			}
		}
	}
	return strings.Join(lines, "")
}

func lcs(x, y []string) int {
	prev := make([]int, len(y)+1)
	for i := range x {
		cur := make([]int, len(y)+1)
		for j := range y {
			if x[i] == y[j] {
				cur[j+1] = prev[j] + 1
			} else {
				cur[j+1] = max(prev[j+1], cur[j])
			}
		}
		prev = cur
	}
	return prev[len(y)]
}

var hunkHeader = regexp.MustCompile(`^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@$`)

// applyDiff applies a unified diff of one file to a, checking every context
// and removed line and the counts of the hunk headers.
func applyDiff(a, diff string) (string, error) {
	if diff == "" {
		return a, nil
	}
	src := splitLines(a)
	lines := splitLines(diff)
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "--- ") || !strings.HasPrefix(lines[1], "+++ ") {
		return "", fmt.Errorf("no file header")
	}
	var out []string
	pos := 0 // next line of src to copy
	count := func(s string) int {
		if s == "" {
			return 1
		}
		n, _ := strconv.Atoi(s)
		return n
	}
	for i := 2; i < len(lines); {
		m := hunkHeader.FindStringSubmatch(strings.TrimSuffix(lines[i], "\n"))
		if m == nil {
			return "", fmt.Errorf("line %d: want a hunk header, got %q", i, lines[i])
		}
		start, _ := strconv.Atoi(m[1])
		nOld, nNew := count(m[2]), count(m[4])
		if nOld > 0 {
			start-- // 1-based; an empty range names the line before
		}
		if start < pos {
			return "", fmt.Errorf("hunk %q overlaps the previous one", lines[i])
		}
		out = append(out, src[pos:start]...)
		pos = start
		i++
		seenOld, seenNew := 0, 0
		for i < len(lines) && !strings.HasPrefix(lines[i], "@@") {
			prefix, line := lines[i][0], lines[i][1:]
			i++
			if i < len(lines) && lines[i] == "\\ No newline at end of file\n" {
				line = strings.TrimSuffix(line, "\n")
				i++
			}
			switch prefix {
			case ' ', '-':
				if pos >= len(src) || src[pos] != line {
					return "", fmt.Errorf("context mismatch at line %d: %q", pos+1, line)
				}
				pos++
				seenOld++
				if prefix == ' ' {
					out = append(out, line)
					seenNew++
				}
			case '+':
				out = append(out, line)
				seenNew++
			default:
				return "", fmt.Errorf("bad line prefix %q", prefix)
			}
		}
		if seenOld != nOld || seenNew != nNew {
			return "", fmt.Errorf("hunk counts %d,%d; lines %d,%d", nOld, nNew, seenOld, seenNew)
		}
	}
	out = append(out, src[pos:]...)
	return strings.Join(out, ""), nil
}
