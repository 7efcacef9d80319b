package schema

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// recordOptions are the top-level options of a schema file, in the order
// the documentation lists them.
var recordOptions = []string{
	"version", "record", "package", "table", "collection", "key", "encryption",
	"go_only", "ttl", "engines", "description", "fields",
}

// requiredOptions must appear in every schema file.
var requiredOptions = []string{"version", "record", "package", "table", "key", "fields"}

// SupportedVersion is the schema language version this package reads.
const SupportedVersion = 1

// LoadFile reads and loads the schema file at path. A schema with mistakes
// gives an ErrorList; a file that cannot be read gives the I/O error.
func LoadFile(path string) (*Schema, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read schema: %w", err)
	}
	return Load(path, data)
}

// Load parses and validates a schema file's contents; path is used only in
// error positions and Schema.Path. It returns either a valid schema or an
// ErrorList of every mistake found, sorted by position, never both.
func Load(path string, data []byte) (*Schema, error) {
	l := &loader{path: path, src: map[*Field]*fieldSrc{}, declared: map[string]bool{}}
	s := l.load(data)
	if err := l.errs.normalized(); err != nil {
		return nil, err
	}
	return s, nil
}

// loader collects the errors of one file while it walks the YAML nodes.
type loader struct {
	path string
	errs ErrorList
	src  map[*Field]*fieldSrc
	// declared holds every top-level field name written, even those whose
	// field had errors, so the key check does not report them again.
	declared map[string]bool
	// suggested holds the record options that "did you mean" already named,
	// so a misspelled required option is not also reported as missing.
	suggested map[string]bool
}

// fieldSrc is where a field was written, for cross-field checks that report
// at the option at fault.
type fieldSrc struct {
	key  *yaml.Node
	opts map[string]*yaml.Node // option name → value node
	// suggested are options a "did you mean" named: a misspelled option is
	// not also reported as unset.
	suggested map[string]bool
	path      string // dotted YAML path, e.g. cimd_document.client_id
	top       bool   // a member of the record, not of a nested object
}

func (l *loader) errorf(n *yaml.Node, format string, args ...any) {
	l.errs = append(l.errs, Error{Path: l.path, Pos: posOf(n), Msg: fmt.Sprintf(format, args...)})
}

// posOf is a node's position; positions start at 1,1 even for the nodes
// yaml.v3 leaves at 0 (an empty document) and for nil, which stands for the
// whole file, so every error points somewhere.
func posOf(n *yaml.Node) Pos {
	p := Pos{Line: 1, Col: 1}
	if n != nil && n.Line > 0 {
		p.Line = n.Line
	}
	if n != nil && n.Column > 0 {
		p.Col = n.Column
	}
	return p
}

func (l *loader) load(data []byte) *Schema {
	root := l.parse(data)
	if root == nil {
		return nil
	}
	s := &Schema{Path: l.path, Encryption: EncryptValue, Engines: []Engine{PostgreSQL}}
	if root.Kind != yaml.MappingNode {
		l.errorf(root, "a schema must be a mapping of options, not %s", describe(root))
		return nil
	}
	opts, suggested := l.options(root, recordOptions, "")
	l.suggested = suggested
	l.recordOptions(s, opts)
	if n := opts["fields"]; n != nil {
		s.Fields = l.fields(n, "", s.Record, 0)
	}
	l.validate(s, root, opts)
	return s
}

// parse decodes the one YAML document of a schema file and returns its root
// node, or nil after recording why there is none.
func (l *loader) parse(data []byte) (root *yaml.Node) {
	defer func() {
		// yaml.v3 is not ours; a panic in it must still be a schema error.
		if r := recover(); r != nil {
			l.errorf(nil, "invalid YAML: the parser failed on this file")
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			l.errorf(nil, "empty schema file")
		} else {
			l.yamlError(err, data)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		l.yamlError(err, nil)
		return nil
	default:
		l.errorf(&extra, "a schema file holds one YAML document; this is a second one")
	}
	if len(doc.Content) == 0 {
		l.errorf(nil, "empty schema file")
		return nil
	}
	return doc.Content[0]
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parserProblems are the messages of yaml.v3's parser, as opposed to its
// scanner. For these it prints the 0-based line of the enclosing block or
// flow collection (and no line at all for the first line), where the scanner
// prints a 1-based line.
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found undefined tag handle":             true,
	"found incompatible YAML document":       true,
	"found duplicate %YAML directive":        true,
	"found duplicate %TAG directive":         true,
}

// blockProblems are the parser problems of a block collection, for which
// the line yaml.v3 prints (the block's start) can be far above the line at
// fault: an outdented field deep in fields: is reported at fields:.
var blockProblems = map[string]bool{
	"did not find expected key":           true,
	"did not find expected '-' indicator": true,
}

// yamlError turns a yaml.v3 syntax error, which carries only a line, into
// an Error at column 1 of that line. For a problem of a block collection in
// data (the first document; nil for a later one), the line is the one at
// fault (see problemLine), at its first non-blank column.
func (l *loader) yamlError(err error, data []byte) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		if n, convErr := strconv.Atoi(m[1]); convErr == nil && n > 0 {
			line = n
		}
		msg = m[2]
	}
	if parserProblems[msg] {
		line++
	}
	pos := Pos{Line: max(line, 1), Col: 1}
	if blockProblems[msg] && data != nil {
		pos = problemLine(data, pos)
	}
	l.errs = append(l.errs, Error{Path: l.path, Pos: pos, Msg: "invalid YAML: " + msg})
}

// problemLine returns the position of the first line at or after from
// whose inclusion makes the document fail to parse: the first n lines parse
// and the first n+1 do not. Bisection keeps it to a few parses of the file.
// A position it cannot improve on is returned as it is.
func problemLine(data []byte, from Pos) Pos {
	lines := bytes.SplitAfter(data, []byte("\n"))
	parses := func(n int) (ok bool) {
		defer func() {
			if recover() != nil {
				ok = false
			}
		}()
		var doc yaml.Node
		err := yaml.NewDecoder(bytes.NewReader(bytes.Join(lines[:n], nil))).Decode(&doc)
		return err == nil || errors.Is(err, io.EOF) // comments only, or nothing
	}
	lo, hi := from.Line-1, len(lines) // lines[:lo] parse (checked), lines[:hi] do not
	if !parses(lo) || parses(hi) {
		return from
	}
	for hi-lo > 1 {
		if mid := (lo + hi) / 2; parses(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	text := lines[hi-1]
	col := len(text) - len(bytes.TrimLeft(text, " \t")) + 1
	return Pos{Line: hi, Col: col}
}

// options reads a mapping of option names to values. It reports option
// names that are unknown or repeated, and returns the value node of each
// known option, and the options that a "did you mean" named. field is the
// dotted path of the field being read, or "" for the record.
func (l *loader) options(n *yaml.Node, known []string, field string) (values map[string]*yaml.Node, suggested map[string]bool) {
	where := ""
	if field != "" {
		where = fmt.Sprintf("field %q: ", field)
	}
	seen := map[string]*yaml.Node{}
	values, suggested = map[string]*yaml.Node{}, map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			l.errorf(k, "%soption names must be plain strings, not %s", where, describe(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			l.errorf(k, "%sduplicate option %q (first at %s)", where, k.Value, firstAt(first, k))
			continue
		}
		seen[k.Value] = k
		if contains(known, k.Value) {
			values[k.Value] = v
			continue
		}
		hint := ""
		if s := suggest(k.Value, known); s != "" {
			suggested[s] = true
			hint = fmt.Sprintf("; did you mean %q?", s)
		} else {
			hint = optionMixUp(k.Value, v, field)
		}
		l.errorf(k, "%sunknown option %q%s", where, truncate(k.Value), hint)
	}
	return values, suggested
}

// optionMixUp explains an unknown option that is the usual mix-up of record
// and field options, or returns "".
func optionMixUp(name string, v *yaml.Node, field string) string {
	switch {
	case field != "" && contains(recordOptions, name):
		return "; it is a record option, not a field option"
	case field == "" && contains(fieldOptions, name):
		return "; it is a field option, and fields go under fields:"
	case field == "" && v.Kind == yaml.MappingNode:
		return "; fields go under fields:"
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// recordOptions reads the top-level scalar options into s.
func (l *loader) recordOptions(s *Schema, opts map[string]*yaml.Node) {
	if n := opts["version"]; n != nil {
		if v, ok := l.integer(n, "version"); ok {
			if v != SupportedVersion {
				l.errorf(n, "unsupported version %d; this kvgen reads version %d", v, SupportedVersion)
			}
			s.Version = int(v)
		}
	}
	l.stringOpt(opts["record"], "record", &s.Record)
	l.stringOpt(opts["package"], "package", &s.Package)
	l.stringOpt(opts["table"], "table", &s.Table)
	l.stringOpt(opts["key"], "key", &s.Key)
	if l.stringOpt(opts["collection"], "collection", &s.Collection) {
		if why := collectionName(s.Collection); why != "" {
			l.errorf(opts["collection"], "collection %q %s", truncate(s.Collection), why)
		}
	} else if opts["collection"] == nil {
		s.Collection = s.Table
	}
	var enc string
	if l.stringOpt(opts["encryption"], "encryption", &enc) {
		switch e := Encryption(enc); e {
		case EncryptFields, EncryptValue, EncryptNone:
			s.Encryption = e
		default:
			l.errorf(opts["encryption"], "unknown encryption %q (want fields, value or none)%s",
				enc, didYouMean(enc, []string{string(EncryptFields), string(EncryptValue), string(EncryptNone)}))
		}
	}
	if n := opts["go_only"]; n != nil {
		s.GoOnly, _ = l.boolean(n, "go_only")
	}
	var ttl string
	if n := opts["ttl"]; l.stringOpt(n, "ttl", &ttl) {
		d, err := time.ParseDuration(ttl)
		switch {
		case err != nil:
			l.errorf(n, "ttl %q is not a Go duration such as 15m or 24h", truncate(ttl))
		case d <= 0:
			l.errorf(n, "ttl %q must be positive; leave ttl out for no expiry", ttl)
		default:
			s.TTL = d
		}
	}
	if n := opts["engines"]; n != nil {
		s.Engines = l.engines(n)
	}
	if l.stringOpt(opts["description"], "description", &s.Description) {
		if why := DocText(s.Description); why != "" {
			l.errorf(opts["description"], "description %s", why)
		}
	}
}

// engines reads the engines option: a list of known engine names, each
// once, postgresql among them. It returns them in the order of Engines.
func (l *loader) engines(n *yaml.Node) []Engine {
	known := make([]string, len(Engines))
	for i, e := range Engines {
		known[i] = string(e)
	}
	if n.Kind != yaml.SequenceNode {
		l.errorf(n, "engines must be a list such as [postgresql, sqlite], not %s", describe(n))
		return []Engine{PostgreSQL}
	}
	named := map[Engine]bool{}
	for _, item := range n.Content {
		name, ok := l.str(item, "an engine")
		switch {
		case !ok:
		case !contains(known, name):
			l.errorf(item, "unknown engine %q (want %s)%s", truncate(name), strings.Join(known, " or "), didYouMean(name, known))
		case named[Engine(name)]:
			l.errorf(item, "engine %q is named twice", name)
		default:
			named[Engine(name)] = true
		}
	}
	if !named[PostgreSQL] {
		l.errorf(n, "engines must include postgresql: the store's New, DDL and CreateTable are PostgreSQL's; name sqlite beside it")
	}
	out := []Engine{}
	for _, e := range Engines {
		if named[e] || e == PostgreSQL {
			out = append(out, e)
		}
	}
	return out
}

// stringOpt stores the string value of an optional option in dst and
// reports whether there was one.
func (l *loader) stringOpt(n *yaml.Node, what string, dst *string) bool {
	if n == nil {
		return false
	}
	v, ok := l.str(n, what)
	if ok {
		*dst = v
	}
	return ok
}

// str reads a scalar string. Numbers, booleans and nulls are refused rather
// than converted, so `record: 1` or an empty `key:` is caught where it is.
func (l *loader) str(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		l.errorf(n, "%s must be a string, not %s", what, describe(n))
		return "", false
	}
	return n.Value, true
}

func (l *loader) boolean(n *yaml.Node, what string) (bool, bool) {
	var b bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
		l.errorf(n, "%s must be true or false, not %s", what, describe(n))
		return false, false
	}
	return b, true
}

func (l *loader) integer(n *yaml.Node, what string) (int64, bool) {
	var v int64
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		l.errorf(n, "%s must be an integer, not %s", what, describe(n))
		return 0, false
	}
	if n.Decode(&v) != nil {
		l.errorf(n, "%s %s does not fit in a 64-bit integer", what, truncate(n.Value))
		return 0, false
	}
	return v, true
}

// firstAt says where the first of two equal names was written.
func firstAt(first, dup *yaml.Node) string {
	if first.Line == dup.Line {
		return fmt.Sprintf("column %d", first.Column)
	}
	return fmt.Sprintf("line %d", first.Line)
}

// describe names what a node holds, for "must be X, not Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "a YAML alias (aliases are not supported in schemas)"
	case yaml.DocumentNode:
		return "a document"
	}
	switch n.ShortTag() {
	case "!!str":
		return fmt.Sprintf("the string %q", truncate(n.Value))
	case "!!int":
		return "the integer " + truncate(n.Value)
	case "!!float":
		return "the number " + truncate(n.Value)
	case "!!bool":
		return "the boolean " + n.Value
	case "!!null":
		return "null"
	case "!!timestamp":
		return "the timestamp " + truncate(n.Value)
	}
	return fmt.Sprintf("a value tagged %s", truncate(n.ShortTag()))
}

// truncate keeps error messages readable when a file holds a huge value.
func truncate(s string) string {
	const max = 64
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	return string(r[:max]) + "..."
}
