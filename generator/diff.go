package generator

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/aymanbagabas/go-udiff"
)

// Diff shows what generate would change: a unified diff (diff -u, three
// lines of context) of each changed file, from a/<path> to b/<path>, and one
// line for each file it would create or delete (their whole text would say
// nothing more).
func (d *Drift) Diff() string {
	var b strings.Builder
	for _, f := range d.Files {
		switch f.Kind {
		case Missing:
			fmt.Fprintf(&b, "new file %s (%s)\n", f.Path, lineCount(f.Want))
		case Stale:
			fmt.Fprintf(&b, "deleted file %s (%s)\n", f.Path, lineCount(f.Have))
		default:
			b.WriteString(udiff.Unified("a/"+f.Path, "b/"+f.Path, string(f.Have), string(f.Want)))
		}
	}
	return b.String()
}

// lineCount says how many lines text has, a last one without a newline included.
func lineCount(text []byte) string {
	n := bytes.Count(text, []byte("\n"))
	if len(text) > 0 && text[len(text)-1] != '\n' {
		n++
	}
	return fmt.Sprintf("%d %s", n, plural(n, "line", "lines"))
}
