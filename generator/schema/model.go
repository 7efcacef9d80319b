// Package schema loads and validates kvgen schema files (docs/design.md §3) into
// the model that every renderer reads.
package schema

import "time"

// Encryption says how a record's sensitive data is stored.
type Encryption string

const (
	EncryptFields Encryption = "fields" // each sensitive field is an envelope
	EncryptValue  Encryption = "value"  // the whole value is one envelope
	EncryptNone   Encryption = "none"
)

// Kind is the type of a field without its parameters.
type Kind string

const (
	String    Kind = "string"
	Int       Kind = "int"
	Float     Kind = "float"
	Bool      Kind = "bool"
	URL       Kind = "url"
	Timestamp Kind = "timestamp" // RFC 3339 in JSON
	Unixtime  Kind = "unixtime"  // integer seconds in JSON
	Enum      Kind = "enum"
	JSON      Kind = "json" // any JSON, kept raw
	Object    Kind = "object"
	List      Kind = "list"
)

// Schema is one validated schema file: one record stored in one table.
type Schema struct {
	Path       string // as given on the command line; used in error positions
	Version    int
	Record     string // Go type name of the record
	Package    string // Go package of the typed store
	Table      string
	Collection string
	Key        string // YAML name of the key field
	Encryption Encryption
	// GoOnly says that no Python program reads the record's collection:
	// required by encryption: fields, whose rows py-key-value cannot open.
	GoOnly      bool
	TTL         time.Duration // default expiry of a put; 0 means none
	Description string
	Fields      []*Field // in file order
}

// KeyField returns the field whose value is the KV key.
func (s *Schema) KeyField() *Field {
	for _, f := range s.Fields {
		if f.Name == s.Key {
			return f
		}
	}
	return nil
}

// Indexed reports the top-level fields that get an expression index and a finder.
func (s *Schema) Indexed() []*Field {
	var out []*Field
	for _, f := range s.Fields {
		if f.Indexed {
			out = append(out, f)
		}
	}
	return out
}

// Field is one member of a record or of a nested object.
type Field struct {
	Name        string // YAML key
	GoName      string // exported Go identifier
	JSONName    string // wire name
	Type        *Type
	Required    bool
	Sensitive   bool // encrypted at rest; string fields, at any depth
	Hashed      bool // stored as a SHA-256 digest, verify-only; top-level string fields only
	Indexed     bool // top-level scalar fields only
	Default     any  // nil, or a value of the field's Go kind: string, int64, float64, bool
	Description string
	Pos         Pos
}

// Type is a field's type. Values is set for Enum, Schemes for URL, Fields
// and GoName for Object, Elem for List.
type Type struct {
	Kind    Kind
	Values  []string
	Schemes []string // names of the URL forms accepted (kv.ParseURLScheme), in file order
	Fields  []*Field
	GoName  string // Go type name of an object, derived from the path (ClientCimdDocument)
	Elem    *Type
}

// Pos is a position in a schema file; Line and Col start at 1.
type Pos struct {
	Line, Col int
}
