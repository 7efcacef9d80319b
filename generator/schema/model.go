// Package schema loads and validates kvgen schema files (docs/design.md §3) into
// the model that every renderer reads.
package schema

import (
	"fmt"
	"time"

	"github.com/kvgen/kvgen/internal/encmode"
	"github.com/kvgen/kvgen/kv"
)

// Encryption says how a record's sensitive data is stored: the runtime's
// modes, whose names the schema's encryption option takes.
type Encryption string

const (
	EncryptFields Encryption = kv.EncryptionFields // each sensitive field is an envelope
	EncryptValue  Encryption = kv.EncryptionValue  // the whole value is one envelope
	EncryptNone   Encryption = kv.EncryptionNone
)

// Engine is a database that kvgen generates queries for.
type Engine string

const (
	PostgreSQL Engine = "postgresql" // always generated: New, DDL, CreateTable
	SQLite     Engine = "sqlite"     // on request: NewSQLite, SQLiteDDL, CreateSQLiteTable
)

// Engines are the engines a schema may name, in the order they are generated.
var Engines = []Engine{PostgreSQL, SQLite}

// Encrypts reports whether records of mode e are encrypted: whether the
// generated Options take an Encrypter, and the store re-encrypts.
func (e Encryption) Encrypts() bool { return e != EncryptNone }

// Sealed says what a store of mode e seals: "whole records" or "sensitive
// fields", as the runtime's errors say it.
func (e Encryption) Sealed() string { return encmode.Sealed(string(e)) }

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
	GoOnly bool
	TTL    time.Duration // default expiry of a put; 0 means none
	// Engines are the databases the store runs on, in the order of Engines;
	// PostgreSQL always among them.
	Engines     []Engine
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

// Uses reports whether the store runs on engine e.
func (s *Schema) Uses(e Engine) bool {
	for _, have := range s.Engines {
		if have == e {
			return true
		}
	}
	return false
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

// Model is one record's generated package as every renderer reads it: the
// schema, where the package is generated (Target), and the names the
// generated files use, computed here once, as protogen computes the Go
// names of a .proto file for the code generators. The names of the
// package's declarations are in decls.go, the rules that make names in
// names.go and output.go.
type Model struct {
	*Schema
	Target
	KeyParam  string   // the Go parameter of one key (clientID)
	KeysParam string   // the Go parameter of several keys (clientIDs)
	Finders   []Finder // one per indexed field, in field order
}

// Target is what the schema does not say about its generated package.
type Target struct {
	// Source is the schema file, slash-separated and relative to the module
	// root: the source line of the headers and of the package doc.
	Source string
	// Regenerate is the command that regenerates the package, from the
	// module root.
	Regenerate string
	// DBImport is the import path of the package that sqlc generates for
	// the record's queries.
	DBImport string
	// SQLiteDBImport is the import path of the package that sqlc generates
	// for the record's SQLite queries, when it runs on SQLite.
	SQLiteDBImport string
}

// Finder is what an indexed field adds: a method of Store, the sqlc query
// it runs, and the expression index that query uses.
type Finder struct {
	Field  *Field
	Method string // FinderMethod: Store's method, sqlc's query and db.Queries' method
	Param  string // the Go parameter of Store's method
	Index  string // IndexName
}

// FinderParam is the SQL parameter of every finder query, the searched text.
// It is one name whatever the field, so that sqlc's parameter type of every
// finder has the fields Collection and Value: a parameter named after the
// field could not be told from @collection for a field named collection.
const FinderParam = "value"

// NewModel computes the model of the package generated from s into t. It
// fails when t cannot be written where the generated files name it.
func NewModel(s *Schema, t Target) (*Model, error) {
	if why := sourceText(t.Source); why != "" {
		return nil, fmt.Errorf("kvgen: the path of schema file %q %s: it cannot be written in the generated files' headers; rename it", t.Source, why)
	}
	if why := sourceText(t.Regenerate); why != "" {
		return nil, fmt.Errorf("kvgen: the command that regenerates %s %s: it cannot be written in its package doc", s.Package, why)
	}
	m := &Model{Schema: s, Target: t}
	if key := s.KeyField(); key != nil {
		m.KeyParam = ParamName(key.GoName, "key")
		m.KeysParam = m.KeyParam + "s"
	}
	for _, f := range s.Indexed() {
		m.Finders = append(m.Finders, Finder{
			Field:  f,
			Method: FinderMethod(f),
			Param:  ParamName(f.GoName, FinderParam),
			Index:  IndexName(s.Table, f),
		})
	}
	return m, nil
}
