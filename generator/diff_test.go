package generator

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestDriftDiff is what kvgen check prints: each changed file as GNU diff -u
// prints it (the expected hunks below are its output for the same texts),
// named a/<path> and b/<path>, and one line for a file created or deleted.
func TestDriftDiff(t *testing.T) {
	d := &Drift{Files: []FileDrift{
		{Path: "generated/x/db/models.go", Kind: Missing, Want: []byte("a\nb")},
		{Path: "queries/emptied.sql", Kind: Changed, Have: []byte("x\n"), Want: []byte{}},
		{Path: "queries/filled.sql", Kind: Changed, Have: []byte{}, Want: []byte("x\n")},
		{Path: "queries/gone.sql", Kind: Stale, Have: []byte("one\n")},
		{
			Path: "queries/t.sql", Kind: Changed,
			Have: []byte("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\nn\n"),
			Want: []byte("a\nB\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\nn\nadded"),
		},
	}}
	want := "new file generated/x/db/models.go (2 lines)\n" +
		"--- a/queries/emptied.sql\n+++ b/queries/emptied.sql\n@@ -1 +0,0 @@\n-x\n" +
		"--- a/queries/filled.sql\n+++ b/queries/filled.sql\n@@ -0,0 +1 @@\n+x\n" +
		"deleted file queries/gone.sql (1 line)\n" +
		"--- a/queries/t.sql\n+++ b/queries/t.sql\n" +
		"@@ -1,5 +1,5 @@\n a\n-b\n+B\n c\n d\n e\n" +
		"@@ -12,3 +12,4 @@\n l\n m\n n\n+added\n\\ No newline at end of file\n"
	if got := d.Diff(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// TestDriftDiffApplies: applying the diff of a changed file to what the
// module holds gives what generate would write, for many random edits.
func TestDriftDiffApplies(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		a, b := randomText(rng, rng.IntN(30)), randomText(rng, rng.IntN(30))
		if rng.IntN(2) == 0 { // mostly similar texts, the common case
			b = mutate(rng, a)
		}
		if a == b {
			continue // Check reports no such file
		}
		d := (&Drift{Files: []FileDrift{{Path: "f", Kind: Changed, Have: []byte(a), Want: []byte(b)}}}).Diff()
		if !strings.HasPrefix(d, "--- a/f\n+++ b/f\n") {
			t.Fatalf("case %d: the diff does not name the file:\n%s", i, d)
		}
		got, err := applyDiff(a, d)
		if err != nil || got != b {
			t.Fatalf("case %d: applying the diff gave %q, %v; want %q\ndiff:\n%s", i, got, err, b, d)
		}
	}
}

// splitLines splits s after each newline; a last line without one is kept.
func splitLines(s string) []string {
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
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
