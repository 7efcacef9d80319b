package schema

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kvgen/kvgen/kv"

	"gopkg.in/yaml.v3"
)

// validate makes the checks that span options or fields, once the whole
// file has been read.
func (l *loader) validate(s *Schema, root *yaml.Node, opts map[string]*yaml.Node) {
	for _, name := range requiredOptions {
		if opts[name] == nil && !l.suggested[name] {
			l.errorf(root, "missing option %q%s", name, missingHint(name))
		}
	}
	if n := opts["record"]; isString(n) {
		if why := exportedIdent(s.Record); why != "" {
			l.errorf(n, "record %q %s", truncate(s.Record), why)
		}
	}
	if n := opts["record"]; isString(n) && slices.Contains(PackageDecls(), s.Record) {
		l.errorf(n, "record %q is a declaration of the generated package; choose another name", s.Record)
	}
	if n := opts["package"]; isString(n) {
		if why := goPackage(s.Package); why != "" {
			l.errorf(n, "package %q %s", truncate(s.Package), why)
		}
	}
	if n := opts["table"]; isString(n) {
		if why := sqlTable(s.Table); why != "" {
			l.errorf(n, "table %q %s", truncate(s.Table), why)
		}
	}
	if n := opts["key"]; isString(n) && opts["fields"] != nil && opts["fields"].Kind == yaml.MappingNode {
		l.checkKey(s, n)
	}
	l.checkReaders(s, opts)
	for _, f := range s.Fields {
		l.checkTopField(s, f)
	}
	l.checkNested(s, s.Fields, nil)
	l.checkTypeNames(s)
}

// checkReaders refuses a schema that would write rows its other readers
// cannot open: encryption: fields is for collections only Go reads, and
// FastMCP's collections are read by Python.
func (l *loader) checkReaders(s *Schema, opts map[string]*yaml.Node) {
	if s.Encryption == EncryptFields && !s.GoOnly && opts["encryption"] != nil {
		l.errorf(opts["encryption"], "encryption: fields stores each sensitive field as an envelope, which "+
			"py-key-value's FernetEncryptionWrapper cannot open: use encryption: value for a collection "+
			"Python shares, or add go_only: true if only Go reads it")
	}
	if n := opts["go_only"]; s.GoOnly && slices.Contains(kv.FastMCPCollections, s.Collection) {
		l.errorf(n, "go_only: collection %q is FastMCP's, which Python reads; remove go_only "+
			"(and use encryption: value or none)", s.Collection)
	}
}

func missingHint(option string) string {
	switch option {
	case "version":
		return fmt.Sprintf(" (this kvgen reads version: %d)", SupportedVersion)
	case "key":
		return " (the field whose value is the KV key)"
	}
	return ""
}

func isString(n *yaml.Node) bool {
	return n != nil && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str"
}

// checkKey checks that the key field exists and can be the KV key: a
// required string, stored in clear because it is the row's key column.
func (l *loader) checkKey(s *Schema, keyNode *yaml.Node) {
	f := s.KeyField()
	if f == nil && l.declared[s.Key] {
		return // the field is there but has errors of its own
	}
	if f == nil {
		names := make([]string, len(s.Fields))
		for i, f := range s.Fields {
			names[i] = f.Name
		}
		l.errorf(keyNode, "key %q is not a field of the record%s", truncate(s.Key), didYouMean(s.Key, names))
		return
	}
	src := l.src[f]
	if f.Type != nil && f.Type.Kind != String {
		l.errorf(src.opts["type"], "key field %q must be type: string, not %s", f.Name, f.Type)
	}
	if !f.Required && !src.suggested["required"] {
		l.errorf(src.key, "key field %q must be required: true", f.Name)
	}
	if f.Sensitive || f.Hashed {
		l.errorf(src.key, "key field %q cannot be sensitive or hashed: the key is stored in clear in the key column", f.Name)
	}
	if f.Indexed {
		l.errorf(src.opts["indexed"], "key field %q needs no index: the key is already the primary key", f.Name)
	}
}

// checkTopField checks the options that only a record's own fields have.
func (l *loader) checkTopField(s *Schema, f *Field) {
	src := l.src[f]
	at := src.at
	if envelopeKeys[f.JSONName] {
		l.errorf(at("json"), "field %q: the JSON name %q is reserved for the encryption envelope", f.Name, f.JSONName)
	}
	if f.Sensitive && f.Hashed {
		l.errorf(at("hashed"), "field %q: sensitive and hashed exclude each other (encrypted for reading back, or a digest only to verify)", f.Name)
	}
	if f.Sensitive && f.Indexed {
		l.errorf(at("indexed"), "field %q: sensitive and indexed exclude each other: an encrypted value cannot be searched", f.Name)
	}
	if f.Hashed && f.Indexed {
		l.errorf(at("indexed"), "field %q: a hashed field cannot be indexed in schema version 1", f.Name)
	}
	if f.Indexed && s.Encryption == EncryptValue {
		l.errorf(at("indexed"), "field %q: indexed needs encryption: fields or none; with encryption: value the stored value is one envelope", f.Name)
	}
	if f.Type != nil {
		// v1 restriction: the Go type of a hashed field is kv.Hashed, which
		// wraps a string.
		if f.Hashed && f.Type.Kind != String {
			l.errorf(at("hashed"), "field %q: hashed needs type: string in schema version 1, not %s", f.Name, f.Type)
		}
		if f.Indexed && !f.Type.isScalar() {
			l.errorf(at("indexed"), "field %q: indexed needs a scalar type (string, url, enum, int, bool, float, unixtime, timestamp), not %s", f.Name, f.Type)
		}
	}
	if slices.Contains(recordMethods(s), f.GoName) {
		l.errorf(src.key, "field %q: Go name %s is a method of the generated record; set go_name", f.Name, f.GoName)
	}
	if f.Hashed && src.opts["default"] != nil {
		l.errorf(src.opts["default"], "field %q: a sensitive or hashed field cannot have a default: it would put a secret in the schema", f.Name)
	}
}

// checkSensitive checks a sensitive field, in the record or in an object
// at any depth. Its envelope (encryption: fields) is bound to its path, as
// errors write paths (upstream.access_token, tokens[2].access_token), so
// the JSON names on that path hold none of the characters that separate
// its parts: no two fields of a record have the same path.
func (l *loader) checkSensitive(s *Schema, f *Field, jsonPath []string) {
	src := l.src[f]
	if s.Encryption == EncryptNone {
		l.errorf(src.at("sensitive"), "field %q: sensitive needs encryption: fields or value", src.path)
	}
	if f.Type != nil && f.Type.Kind != String {
		// v1 restriction: the Go type of a sensitive field is kv.Secret,
		// which wraps a string.
		l.errorf(src.at("sensitive"), "field %q: sensitive needs type: string in schema version 1, not %s", src.path, f.Type)
	}
	if src.opts["default"] != nil {
		l.errorf(src.opts["default"], "field %q: a sensitive or hashed field cannot have a default: it would put a secret in the schema", src.path)
	}
	for _, name := range jsonPath {
		if strings.ContainsAny(name, ".[]") {
			l.errorf(src.at("sensitive"), "field %q: the JSON names on the path of a sensitive field hold no '.', '[' or ']' (%q does): "+
				"its envelope is bound to that path", src.path, name)
			return
		}
	}
}

// checkNested walks the fields of one struct (the record or an object),
// whose JSON path from the record is jsonPath: names must not collide
// within it, record-only options must not appear below the top level, and
// sensitive fields, at any depth, are checked.
func (l *loader) checkNested(s *Schema, fields []*Field, jsonPath []string) {
	goNames := map[string]*Field{}
	jsonNames := map[string]*Field{}
	for _, f := range fields {
		src := l.src[f]
		if !src.top {
			for _, option := range []string{"hashed", "indexed"} {
				if n := src.opts[option]; n != nil {
					l.errorf(n, "field %q: %s is only allowed on top-level fields", src.path, option)
				}
			}
		}
		path := append(slices.Clip(jsonPath), f.JSONName)
		if f.Sensitive {
			l.checkSensitive(s, f, path)
		}
		if slices.Contains(typeMethods, f.GoName) {
			l.errorf(src.key, "field %q: Go name %s is a method of the generated type; set go_name", src.path, f.GoName)
		}
		if f.GoName != "" {
			if first, dup := goNames[f.GoName]; dup {
				l.errorf(src.key, "field %q: Go name %s is already used by field %q (line %d); set go_name", src.path, f.GoName, l.src[first].path, first.Pos.Line)
			} else {
				goNames[f.GoName] = f
			}
		}
		if first, dup := jsonNames[f.JSONName]; dup {
			l.errorf(src.key, "field %q: JSON name %q is already used by field %q (line %d)", src.path, f.JSONName, l.src[first].path, first.Pos.Line)
		} else {
			jsonNames[f.JSONName] = f
		}
		if f.Type != nil {
			if base := f.Type.base(); base.Kind == Object {
				l.checkNested(s, base.Fields, path)
			}
		}
	}
}

// checkTypeNames checks that the Go types of the record and of its objects
// are all distinct: ClientAB can come from field a_b or from field b of
// object a.
func (l *loader) checkTypeNames(s *Schema) {
	if s.Record == "" {
		return
	}
	owner := map[string]string{}
	for _, name := range PackageDecls() {
		owner[name] = "a declaration of the generated package"
	}
	owner[s.Record] = "the record"

	var walk func(fields []*Field)
	walk = func(fields []*Field) {
		for _, f := range fields {
			if f.Type == nil {
				continue
			}
			base := f.Type.base()
			if base.Kind != Object || base.GoName == "" {
				continue
			}
			src := l.src[f]
			if first, dup := owner[base.GoName]; dup {
				l.errorf(src.key, "field %q: its object type %s has the same Go name as %s; set go_name", src.path, base.GoName, first)
			} else {
				owner[base.GoName] = fmt.Sprintf("the object type of field %q (line %d)", src.path, f.Pos.Line)
			}
			walk(base.Fields)
		}
	}
	walk(s.Fields)
}

// at is the node of option of the field, or its key when it has none.
func (src *fieldSrc) at(option string) *yaml.Node {
	if n := src.opts[option]; n != nil {
		return n
	}
	return src.key
}
