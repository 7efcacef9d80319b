package generator

import (
	"fmt"
	"strings"
)

// diffContext is the number of unchanged lines shown around a change.
const diffContext = 3

// maxEditDistance bounds the work of the line diff: Myers' algorithm keeps
// O(D²) state for D differing lines. Beyond it, the differing middle of the
// two texts is shown as removed and added whole: still a correct diff, if not
// the shortest.
const maxEditDistance = 2000

// UnifiedDiff returns the unified diff (diff -u) of texts a and b, named from
// and to, with three lines of context; "" when they are equal.
func UnifiedDiff(from, to, a, b string) string {
	if a == b {
		return ""
	}
	x, y := splitLines(a), splitLines(b)
	ops := diffLines(x, y)

	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", from, to)
	for start := 0; start < len(ops); {
		// Find the next change; a hunk opens diffContext lines before it.
		first := start
		for first < len(ops) && ops[first].kind == opEqual {
			first++
		}
		if first == len(ops) {
			break
		}
		lo := max(first-diffContext, start)
		// Extend the hunk while the next change is within 2*diffContext equal lines.
		hi, equalRun := first, 0
		for i := first; i < len(ops); i++ {
			if ops[i].kind == opEqual {
				equalRun++
				if equalRun > 2*diffContext {
					break
				}
				continue
			}
			equalRun = 0
			hi = i + 1
		}
		hi = min(hi+diffContext, len(ops))
		writeHunk(&out, x, y, ops[lo:hi])
		start = hi
	}
	return out.String()
}

func writeHunk(out *strings.Builder, x, y []string, ops []op) {
	first := ops[0]
	var nx, ny int
	for _, o := range ops {
		if o.kind != opInsert {
			nx++
		}
		if o.kind != opDelete {
			ny++
		}
	}
	fmt.Fprintf(out, "@@ -%s +%s @@\n", hunkRange(first.ix, nx), hunkRange(first.iy, ny))
	for _, o := range ops {
		var prefix byte
		var line string
		switch o.kind {
		case opEqual:
			prefix, line = ' ', x[o.ix]
		case opDelete:
			prefix, line = '-', x[o.ix]
		case opInsert:
			prefix, line = '+', y[o.iy]
		}
		out.WriteByte(prefix)
		out.WriteString(line)
		if !strings.HasSuffix(line, "\n") {
			out.WriteString("\n\\ No newline at end of file\n")
		}
	}
}

// hunkRange is a hunk's line range as diff -u prints it: 1-based start and
// count, the count omitted when 1, the start the line before when empty.
func hunkRange(start, n int) string {
	switch n {
	case 0:
		return fmt.Sprintf("%d,0", start)
	case 1:
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}

// splitLines splits s after each newline; a last line without one is kept.
func splitLines(s string) []string {
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

type opKind int

const (
	opEqual opKind = iota
	opDelete
	opInsert
)

// op is one line of an edit script: ix indexes x (for equal and delete, and
// for insert the position in x it comes before), iy indexes y likewise.
type op struct {
	kind   opKind
	ix, iy int
}

// diffLines returns a shortest edit script from x to y (Myers, 1986), the
// common prefix and suffix taken out first.
func diffLines(x, y []string) []op {
	pre := 0
	for pre < len(x) && pre < len(y) && x[pre] == y[pre] {
		pre++
	}
	suf := 0
	for suf < len(x)-pre && suf < len(y)-pre && x[len(x)-1-suf] == y[len(y)-1-suf] {
		suf++
	}
	var ops []op
	for i := range pre {
		ops = append(ops, op{opEqual, i, i})
	}
	ops = append(ops, myers(x[pre:len(x)-suf], y[pre:len(y)-suf], pre, pre)...)
	for i := range suf {
		ops = append(ops, op{opEqual, len(x) - suf + i, len(y) - suf + i})
	}
	return ops
}

// myers diffs a against b; offx and offy place them within the whole texts.
func myers(a, b []string, offx, offy int) []op {
	n, m := len(a), len(b)
	maxD := min(n+m, maxEditDistance)
	// trace[d] holds V after step d for diagonals -d..d: V[k+d] is the
	// furthest x reached on diagonal k = x-y.
	var trace [][]int
	found := -1
	var prev []int // V of step d-1; at reads the virtual step -1 as 0
	for d := 0; d <= maxD && found < 0; d++ {
		v := make([]int, 2*d+1)
		for k := -d; k <= d; k += 2 {
			var x int
			// Step down (insert) from diagonal k+1, or right (delete) from k-1.
			if k == -d || (k != d && at(prev, d-1, k-1) < at(prev, d-1, k+1)) {
				x = at(prev, d-1, k+1)
			} else {
				x = at(prev, d-1, k-1) + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[k+d] = x
			if x >= n && y >= m {
				found = d
				break
			}
		}
		trace = append(trace, v)
		prev = v
	}
	if found < 0 {
		return replaceAll(n, m, offx, offy)
	}

	// Walk back from (n, m) through the trace, collecting ops in reverse.
	var rev []op
	x, y := n, m
	for d := found; d > 0; d-- {
		k := x - y
		var pk int
		if k == -d || (k != d && at(trace[d-1], d-1, k-1) < at(trace[d-1], d-1, k+1)) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := at(trace[d-1], d-1, pk)
		py := px - pk
		for x > px && y > py {
			x, y = x-1, y-1
			rev = append(rev, op{opEqual, offx + x, offy + y})
		}
		if x == px {
			y--
			rev = append(rev, op{opInsert, offx + x, offy + y})
		} else {
			x--
			rev = append(rev, op{opDelete, offx + x, offy + y})
		}
	}
	for x > 0 && y > 0 {
		x, y = x-1, y-1
		rev = append(rev, op{opEqual, offx + x, offy + y})
	}
	ops := make([]op, len(rev))
	for i, o := range rev {
		ops[len(rev)-1-i] = o
	}
	return ops
}

// at reads V of step d at diagonal k; outside -d..d (only reached from the
// virtual step -1) it is 0, the start of the texts.
func at(v []int, d, k int) int {
	if d < 0 || k < -d || k > d {
		return 0
	}
	return v[k+d]
}

// replaceAll is the edit script that deletes all of a and inserts all of b.
func replaceAll(n, m, offx, offy int) []op {
	ops := make([]op, 0, n+m)
	for i := range n {
		ops = append(ops, op{opDelete, offx + i, offy})
	}
	for j := range m {
		ops = append(ops, op{opInsert, offx + n, offy + j})
	}
	return ops
}
