package schema

import "slices"

// The exported names that a generated package declares besides the record
// and its object types. The renderers declare them under these names, and
// the loader keeps every Go name a schema brings (the record, its object
// types, its fields, and the methods named after fields) clear of them and
// of each other, so that no accepted schema declares a name twice.
//
// Unexported declarations need no such check: every Go name from a schema is
// exported. Nor do Store's methods: a schema names only the finders, which
// all start with FindBy, as no other method of Store does.

// Package-level declarations of every generated package.
const (
	StoreType              = "Store"
	OptionsType            = "Options"
	NewFunc                = "New"
	NewMemoryFunc          = "NewMemory"
	NewWithBackendFunc     = "NewWithBackend"
	CreateTableFunc        = "CreateTable"
	CheckTableFunc         = "CheckTable"
	CreateIndexesFunc      = "CreateIndexes"
	DDLConst               = "DDL"
	DefaultCollectionConst = "DefaultCollection"
	DefaultTTLConst        = "DefaultTTL" // declared with a ttl only, reserved always

	// Declared with engine sqlite only, reserved always, so that adding the
	// engine to a schema never breaks it.
	NewSQLiteFunc         = "NewSQLite"
	CreateSQLiteTableFunc = "CreateSQLiteTable"
	CheckSQLiteTableFunc  = "CheckSQLiteTable"
	SQLiteDDLConst        = "SQLiteDDL"
)

// packageDecls are the package-level declarations of every generated
// package, but sqlite.go's.
var packageDecls = []string{
	StoreType, OptionsType, NewFunc, NewMemoryFunc, NewWithBackendFunc, CreateTableFunc,
	CheckTableFunc, CreateIndexesFunc, DDLConst, DefaultCollectionConst, DefaultTTLConst,
}

// sqliteDecls are the package-level declarations of sqlite.go.
var sqliteDecls = []string{NewSQLiteFunc, CreateSQLiteTableFunc, CheckSQLiteTableFunc, SQLiteDDLConst}

// SQLiteDecls returns the package-level declarations that a package
// declares when its schema names engine sqlite.
func SQLiteDecls() []string { return slices.Clone(sqliteDecls) }

// PackageDecls returns the exported package-level declarations of every
// generated package besides its types of the schema (DefaultTTL with a ttl
// only): what the loader keeps records and object types clear of.
func PackageDecls() []string { return slices.Concat(packageDecls, sqliteDecls) }

// Unexported package-level declarations of every generated package, which
// one renderer declares and others refer to. No Go name from a schema can
// be one (those are all exported); a parameter of Store's methods could
// shadow one, and ParamName keeps parameters clear of them (storeScope).
const (
	RecordVar      = "record"     // codec.go: the record type as kvimpl.Record describes it
	CodecType      = "codec"      // codec.go: the kv.Codec of the record, with the store's kvimpl.Crypto
	BackendType    = "backend"    // backend.go: the kv.Backend over sqlc's queries
	NewBackendFunc = "newBackend" // backend.go: the backend over a connection, for kvimpl.Backend
	IndexesVar     = "indexes"    // store.go: the expression indexes of the table's indexed fields

	// Declared with engine sqlite only, in sqlite.go.
	SQLiteBackendType    = "sqliteBackend"    // the kv.Backend over sqlc's SQLite queries
	NewSQLiteBackendFunc = "newSQLiteBackend" // the backend over a database, for kvimpl.SQLiteBackend
)

// unexportedDecls are the unexported package-level declarations, but each
// type's table (FieldsVar).
var unexportedDecls = []string{
	RecordVar, CodecType, BackendType, NewBackendFunc, IndexesVar, SQLiteBackendType, NewSQLiteBackendFunc,
}

// FieldsVar names the kvimpl.Fields table of the record or object type
// owner, which codec.go declares: no two types share a name, nor do their
// tables.
func FieldsVar(owner string) string { return "fieldsOf" + owner }

// Unexported members of the record type and of every object type, which
// no field can be named like (field names are exported).
const (
	ReadMethod   = "read"    // codec.go: puts a member read in its field, for kvimpl
	UnknownField = "unknown" // record.go: the members the schema does not know
)

// Methods of the record type and of every object type.
const (
	MarshalJSONMethod   = "MarshalJSON"
	UnmarshalJSONMethod = "UnmarshalJSON"
	FormatMethod        = "Format"
)

// typeMethods are the methods of every struct type, which no field may be
// named like.
var typeMethods = []string{MarshalJSONMethod, UnmarshalJSONMethod, FormatMethod}

// ValidateMethod is a method of the record type only.
const ValidateMethod = "Validate"

// VerifyMethod names the method of the record type that checks a token
// against the digest of hashed field f.
func VerifyMethod(f *Field) string { return "Verify" + f.GoName }

// FinderMethod names the method of Store, and the sqlc query, that find
// records by indexed field f.
func FinderMethod(f *Field) string { return "FindBy" + f.GoName }

// recordMethods are the methods of the record type of s that only it has,
// which none of its fields may be named like.
func recordMethods(s *Schema) []string {
	out := []string{ValidateMethod}
	for _, f := range s.Fields {
		if f.Hashed && f.GoName != "" {
			out = append(out, VerifyMethod(f))
		}
	}
	return out
}
