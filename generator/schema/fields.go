package schema

import (
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/kvgen/kvgen/kv"
)

// fieldOptions are the options of a field, in the order the documentation
// lists them.
var fieldOptions = []string{
	"type", "required", "sensitive", "hashed", "indexed", "default", "description",
	"go_name", "json", "values", "schemes", "fields",
}

// maxObjectDepth bounds how deep objects nest; no record needs more, and it
// keeps a hostile file from recursing without end.
const maxObjectDepth = 8

// fields reads the fields mapping of the record (parent "") or of an object
// field (parent its dotted path). typeName is the Go type name of the struct
// that holds them; nested object types append their field's Go name to it.
func (l *loader) fields(n *yaml.Node, parent, typeName string, depth int) []*Field {
	if n.Kind != yaml.MappingNode {
		l.errorf(n, "%s must be a mapping of field names to options, not %s", fieldsWhat(parent), describe(n))
		return nil
	}
	if len(n.Content) == 0 {
		l.errorf(n, "%s has no fields", fieldsOwner(parent))
		return nil
	}
	var out []*Field
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			l.errorf(k, "field names must be plain strings, not %s", describe(k))
			continue
		}
		path := k.Value
		if parent != "" {
			path = parent + "." + k.Value
		}
		if first, dup := seen[k.Value]; dup {
			l.errorf(k, "duplicate field %q (first at %s)", path, firstAt(first, k))
			continue
		}
		seen[k.Value] = k
		if depth == 0 {
			l.declared[k.Value] = true
		}
		if !fieldName.MatchString(k.Value) {
			l.errorf(k, "field name %q must be snake_case: ^[a-z_][a-z0-9_]*$", truncate(path))
			continue
		}
		if f := l.field(k, v, path, typeName, depth); f != nil {
			out = append(out, f)
		}
	}
	return out
}

func fieldsWhat(parent string) string {
	if parent == "" {
		return "fields"
	}
	return fmt.Sprintf("field %q: fields", parent)
}

func fieldsOwner(parent string) string {
	if parent == "" {
		return "the record"
	}
	return fmt.Sprintf("object field %q", parent)
}

// field reads one field. The options are read in a fixed order, whatever
// their order in the file, because some depend on others (default on type,
// a nested type name on go_name).
func (l *loader) field(key, v *yaml.Node, path, typeName string, depth int) *Field {
	if v.Kind != yaml.MappingNode {
		l.errorf(v, "field %q must be a mapping of options such as {type: string}, not %s", path, describe(v))
		return nil
	}
	f := &Field{Name: key.Value, JSONName: key.Value, Pos: posOf(key)}
	opts, suggested := l.options(v, fieldOptions, path)
	l.src[f] = &fieldSrc{key: key, opts: opts, suggested: suggested, path: path, top: depth == 0}
	what := func(option string) string { return fmt.Sprintf("field %q: %s", path, option) }

	l.fieldType(f, key, opts, suggested, path)
	l.fieldNames(f, key, opts, path)
	if n := opts["description"]; n != nil {
		if d, ok := l.str(n, what("description")); ok {
			if why := DocText(d); why != "" {
				l.errorf(n, "field %q: description %s", path, why)
			}
			f.Description = d
		}
	}

	flags := []struct {
		name string
		dst  *bool
	}{{"required", &f.Required}, {"sensitive", &f.Sensitive}, {"hashed", &f.Hashed}, {"indexed", &f.Indexed}}
	for _, flag := range flags {
		if n := opts[flag.name]; n != nil {
			*flag.dst, _ = l.boolean(n, what(flag.name))
		}
	}

	l.typeDetails(f, opts, path, typeName, depth)
	if n := opts["default"]; n != nil && f.Type != nil {
		f.Default = l.defaultValue(n, f, path)
	}
	return f
}

// fieldType reads the type option of field f.
func (l *loader) fieldType(f *Field, key *yaml.Node, opts map[string]*yaml.Node, suggested map[string]bool, path string) {
	switch n := opts["type"]; {
	case n != nil:
		if expr, ok := l.str(n, fmt.Sprintf("field %q: type", path)); ok {
			t, msg := parseType(expr)
			if msg != "" {
				l.errorf(n, "field %q: %s", path, msg)
			}
			f.Type = t
		}
	case !suggested["type"]: // a misspelled type option is reported already
		l.errorf(key, "field %q has no type", path)
	}
}

// fieldNames reads the Go and JSON names of field f: go_name, or the one
// derived from its YAML name; json, or its YAML name.
func (l *loader) fieldNames(f *Field, key *yaml.Node, opts map[string]*yaml.Node, path string) {
	if n := opts["go_name"]; n != nil {
		if name, ok := l.str(n, fmt.Sprintf("field %q: go_name", path)); ok {
			if why := exportedIdent(name); why != "" {
				l.errorf(n, "field %q: go_name %q %s", path, truncate(name), why)
			}
			f.GoName = name
		}
	} else {
		f.GoName = GoName(f.Name)
		if why := exportedIdent(f.GoName); why != "" {
			l.errorf(key, "field %q gives the Go name %q, which %s; set go_name", path, f.GoName, why)
		}
	}
	if n := opts["json"]; n != nil {
		if name, ok := l.str(n, fmt.Sprintf("field %q: json", path)); ok {
			if why := jsonName(name); why != "" {
				l.errorf(n, "field %q: json name %q %s", path, truncate(name), why)
			}
			f.JSONName = name
		}
	}
}

// typeDetails fills in what the type expression leaves open: an enum's
// values and an object's fields, which belong to the innermost element type
// of a list (a list<object> field takes fields like an object field does).
func (l *loader) typeDetails(f *Field, opts map[string]*yaml.Node, path, typeName string, depth int) {
	if f.Type == nil {
		return
	}
	base := f.Type.base()
	valuesNode, fieldsNode, schemesNode := opts["values"], opts["fields"], opts["schemes"]
	misspelled := l.src[f].suggested
	if valuesNode != nil && base.Kind != Enum {
		l.errorf(valuesNode, "field %q: values is only for enum fields, and the type is %s", path, f.Type)
	}
	if schemesNode != nil && base.Kind != URL {
		l.errorf(schemesNode, "field %q: schemes is only for url fields, and the type is %s", path, f.Type)
	}
	if fieldsNode != nil && base.Kind != Object {
		l.errorf(fieldsNode, "field %q: fields is only for object fields, and the type is %s", path, f.Type)
	}
	switch base.Kind {
	case URL:
		base.Schemes = defaultURLSchemes
		if schemesNode != nil {
			base.Schemes = l.urlSchemes(schemesNode, path)
		}
	case Enum:
		if valuesNode == nil {
			if misspelled["values"] {
				return
			}
			l.errorf(opts["type"], "field %q: an enum needs values, for example values: [a, b]", path)
			return
		}
		base.Values = l.enumValues(valuesNode, path)
	case Object:
		base.GoName = typeName + f.GoName
		if fieldsNode == nil {
			if misspelled["fields"] {
				return
			}
			l.errorf(opts["type"], "field %q: an object needs fields", path)
			return
		}
		if depth+1 >= maxObjectDepth {
			l.errorf(fieldsNode, "field %q: objects nest deeper than %d", path, maxObjectDepth)
			return
		}
		base.Fields = l.fields(fieldsNode, path, base.GoName, depth+1)
	}
}

func (l *loader) enumValues(n *yaml.Node, path string) []string {
	if n.Kind != yaml.SequenceNode {
		l.errorf(n, "field %q: values must be a list, not %s", path, describe(n))
		return nil
	}
	if len(n.Content) == 0 {
		l.errorf(n, "field %q: values is empty; an enum needs at least one value", path)
		return nil
	}
	var out []string
	seen := map[string]*yaml.Node{}
	for _, item := range n.Content {
		v, ok := l.str(item, fmt.Sprintf("field %q: an enum value", path))
		if !ok {
			continue
		}
		if first, dup := seen[v]; dup {
			l.errorf(item, "field %q: duplicate enum value %q (first at %s)", path, truncate(v), firstAt(first, item))
			continue
		}
		seen[v] = item
		if why := enumValue(v); why != "" {
			l.errorf(item, "field %q: enum value %q %s", path, truncate(v), why)
			continue
		}
		out = append(out, v)
	}
	return out
}

// defaultURLSchemes are the URLs a url field without a schemes option
// accepts: https alone, the only scheme fit for a link shown to a user or a
// document a server fetches. Anything else is asked for by name.
var defaultURLSchemes = []string{"https"}

// schemeHints map words a schema author may try to the name of the schemes
// option they mean; they are too far from it for "did you mean".
var schemeHints = map[string]string{
	"loopback": "loopback-http", "localhost": "loopback-http",
	"custom": "private-use", "native": "private-use", "private": "private-use",
}

// urlSchemes reads the schemes option: a list of the names kv.ParseURLScheme
// knows, each at most once.
func (l *loader) urlSchemes(n *yaml.Node, path string) []string {
	if n.Kind != yaml.SequenceNode {
		l.errorf(n, "field %q: schemes must be a list such as [https, loopback-http], not %s", path, describe(n))
		return nil
	}
	if len(n.Content) == 0 {
		l.errorf(n, "field %q: schemes is empty; a url field needs at least one", path)
		return nil
	}
	known := kv.URLSchemeNames()
	var out []string
	seen := map[string]*yaml.Node{}
	for _, item := range n.Content {
		v, ok := l.str(item, fmt.Sprintf("field %q: a scheme", path))
		if !ok {
			continue
		}
		if first, dup := seen[v]; dup {
			l.errorf(item, "field %q: duplicate scheme %q (first at %s)", path, truncate(v), firstAt(first, item))
			continue
		}
		seen[v] = item
		if _, ok := kv.ParseURLScheme(v); !ok {
			hint := didYouMean(v, known)
			if h, ok := schemeHints[strings.ToLower(v)]; ok && hint == "" {
				hint = fmt.Sprintf("; did you mean %q?", h)
			}
			l.errorf(item, "field %q: unknown scheme %q (want %s)%s", path, truncate(v), strings.Join(known, ", "), hint)
			continue
		}
		out = append(out, v)
	}
	return out
}

// URLSchemes is the set of URLs a url type accepts.
func (t *Type) URLSchemes() kv.URLSchemes {
	var set kv.URLSchemes
	for _, name := range t.Schemes {
		s, _ := kv.ParseURLScheme(name) // the loader admits only known names
		set |= s
	}
	return set
}

// defaultValue converts a default to the Go kind of the field's type:
// string for string, url, enum and timestamp; int64 for int and unixtime;
// float64; bool. A default applies when the value is the zero value, so it
// is allowed on a required field too (it then never fails the check).
func (l *loader) defaultValue(n *yaml.Node, f *Field, path string) any {
	t := f.Type
	what := fmt.Sprintf("field %q: default", path)
	switch t.Kind {
	case List, Object, JSON:
		l.errorf(n, "field %q: a default is not allowed on a %s field in schema version 1", path, t)
		return nil
	case Int, Unixtime:
		v, ok := l.integer(n, what)
		if !ok {
			return nil
		}
		return v
	case Bool:
		v, ok := l.boolean(n, what)
		if !ok {
			return nil
		}
		return v
	case Float:
		return l.floatDefault(n, what)
	case Timestamp:
		// An unquoted RFC 3339 time is a YAML timestamp; keep the text.
		if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!timestamp" {
			n = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: n.Value, Line: n.Line, Column: n.Column}
		}
	}
	v, ok := l.str(n, what)
	if !ok || !l.textDefaultFits(n, t, what, v) {
		return nil
	}
	return v
}

// floatDefault reads the default of a float field: a finite number.
func (l *loader) floatDefault(n *yaml.Node, what string) any {
	var v float64
	tag := n.ShortTag()
	if n.Kind != yaml.ScalarNode || (tag != "!!float" && tag != "!!int") || n.Decode(&v) != nil {
		l.errorf(n, "%s must be a number, not %s", what, describe(n))
		return nil
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		l.errorf(n, "%s must be a finite number; JSON has no %s", what, n.Value)
		return nil
	}
	return v
}

// textDefaultFits reports whether v, the default of a field of type t
// written as text, is a value of t, reporting why not at n.
func (l *loader) textDefaultFits(n *yaml.Node, t *Type, what, v string) bool {
	switch t.Kind {
	case URL:
		if u, err := url.Parse(v); err != nil || !u.IsAbs() {
			l.errorf(n, "%s %q is not an absolute URL", what, truncate(v))
			return false
		}
		// Without schemes an error is already reported; do not pile on.
		if msg := kv.CheckURL(v, t.URLSchemes()); msg != "" && len(t.Schemes) > 0 {
			l.errorf(n, "%s %q is not a URL the field accepts: %s", what, truncate(v), msg)
			return false
		}
	case Timestamp:
		if _, err := time.Parse(time.RFC3339, v); err != nil {
			l.errorf(n, "%s %q is not an RFC 3339 time such as 2025-01-02T15:04:05Z", what, truncate(v))
			return false
		}
	case Enum:
		// Without values an error is already reported; do not pile on.
		if len(t.Values) > 0 && !contains(t.Values, v) {
			l.errorf(n, "%s %q is not one of the values (%s)%s", what, truncate(v), strings.Join(t.Values, ", "), didYouMean(v, t.Values))
			return false
		}
	}
	return true
}
