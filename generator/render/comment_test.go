package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/dave/jennifer/jen"

	"github.com/kvgen/kvgen/generator/schema"
)

// TestCommentLines: whatever the text, every line of its comment starts
// with "// " or is "//", so none is a directive or the bound of a block.
func TestCommentLines(t *testing.T) {
	for text, want := range map[string]string{
		"Plain.":                                "// Plain.",
		"//go:generate touch PWNED":             "// //go:generate touch PWNED",
		"Secret.\n//go:generate touch PWNED":    "// Secret.\n// //go:generate touch PWNED",
		"/* x */ func Evil() {} //":             "// /* x */ func Evil() {} //",
		"a\n\n*/ b /*  \n":                      "// a\n//\n// */ b /*",
		"a\r\nb\rc\u0085d\u2028e\u2029//line x": "// a\n// b\n// c\n// d\n// e\n// //line x",
		"\t//go:noinline":                       "// //go:noinline",
		"one\n\t//go:noinline":                  "// one\n//\n//\t//go:noinline", // gofmt: a code block
	} {
		var buf bytes.Buffer
		f := jen.NewFile("p")
		f.Add(comment(text))
		f.Type().Id("T").Int()
		if err := f.Render(&buf); err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		got := strings.TrimSuffix(strings.SplitN(buf.String(), "\n\n", 2)[1], "\ntype T int\n")
		if got != want {
			t.Errorf("comment(%q):\n got %q\nwant %q", text, got, want)
		}
	}
}

// TestGoStoreRefusesDescriptions: a schema built by hand with a description
// the loader refuses does not render.
func TestGoStoreRefusesDescriptions(t *testing.T) {
	for _, tc := range []struct {
		set  func(s *schema.Schema)
		want string
	}{
		{func(s *schema.Schema) { s.Description = "a\u202eb" }, "render: the description of record Rec holds U+202E"},
		{func(s *schema.Schema) { s.Fields[0].Description = "+build ignore" }, "render: the description of field id of record Rec starts with +build"},
		{func(s *schema.Schema) {
			s.Fields = append(s.Fields, &schema.Field{Name: "o", GoName: "O", JSONName: "o", Type: &schema.Type{Kind: schema.Object, GoName: "RecO",
				Fields: []*schema.Field{{Name: "x", GoName: "X", JSONName: "x", Type: &schema.Type{Kind: schema.Int}, Description: "a\ufeffb"}}}})
		}, "render: the description of field x of record Rec holds U+FEFF"},
	} {
		s := testRecord("p", "t")
		tc.set(s)
		_, err := GoStore(model(s), TableDDL{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
}

// TestQueriesRefuseCommentText: what goes into a -- comment is one line of
// text that a description may hold, even from a schema built by hand.
func TestQueriesRefuseCommentText(t *testing.T) {
	for _, tc := range []struct{ jsonName, want string }{
		{"x\n-- name: Evil :exec", `cannot be written in one SQL comment line`},
		{"x\ry", `cannot be written in a SQL comment: it holds U+000D`},
	} {
		s := testRecord("p", "t", field("x", "X", tc.jsonName))
		if _, err := Queries(model(s)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.jsonName, err, tc.want)
		}
	}
	s := testRecord("p", "t")
	s.Record = "Rec\n-- name: Evil :exec"
	if _, err := Queries(model(s)); err == nil {
		t.Errorf("a record name of two lines was written into a comment")
	}
}
