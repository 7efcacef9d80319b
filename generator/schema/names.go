package schema

import (
	"fmt"
	"go/build/constraint"
	"go/token"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kvgen/kvgen/kv/pgkv"
)

// initialisms are the words Go writes in one case (golint's list, plus the
// OAuth words a record of clients is full of), so client_id becomes ClientID.
var initialisms = map[string]bool{
	"ACL": true, "API": true, "ASCII": true, "CPU": true, "CSS": true, "DNS": true,
	"EOF": true, "GUID": true, "HTML": true, "HTTP": true, "HTTPS": true, "ID": true,
	"IP": true, "JSON": true, "LHS": true, "QPS": true, "RAM": true, "RHS": true,
	"RPC": true, "SLA": true, "SMTP": true, "SQL": true, "SSH": true, "TCP": true,
	"TLS": true, "TTL": true, "UDP": true, "UI": true, "UID": true, "UUID": true,
	"URI": true, "URL": true, "UTF8": true, "VM": true, "XML": true, "XMPP": true,
	"XSRF": true, "XSS": true,
	"JWKS": true, "JWT": true,
}

// GoName derives the exported Go name of a snake_case schema name: each word
// capitalized, initialisms in upper case (client_id → ClientID), and the
// plural of an initialism as Go writes it (redirect_uris → RedirectURIs).
// It does not check that the result is a valid identifier.
func GoName(name string) string {
	var b strings.Builder
	for word := range strings.SplitSeq(name, "_") {
		if word == "" {
			continue
		}
		upper := strings.ToUpper(word)
		switch {
		case initialisms[upper]:
			b.WriteString(upper)
		case len(word) > 1 && word[len(word)-1] == 's' && initialisms[upper[:len(upper)-1]]:
			b.WriteString(upper[:len(upper)-1] + "s")
		default:
			r, size := utf8.DecodeRuneInString(word)
			b.WriteRune(unicode.ToUpper(r))
			b.WriteString(word[size:])
		}
	}
	return b.String()
}

// exportedIdent explains why name cannot be an exported Go identifier of
// generated code, or returns "" when it can. Go allows letters outside
// ASCII; kvgen does not, because sqlc names the query of an indexed field,
// and its Go types, after the field's Go name, and takes only ASCII there.
func exportedIdent(name string) string {
	switch {
	case name == "":
		return "is empty"
	case token.IsKeyword(name):
		return "is a Go keyword"
	case !token.IsIdentifier(name):
		return "is not a Go identifier"
	case !token.IsExported(name):
		return "is not exported (it must start with an upper-case letter)"
	case !asciiIdent.MatchString(name):
		return "is not ASCII: Go names of generated code are letters A-Z and a-z, digits and _"
	}
	return ""
}

var asciiIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// IsExportedIdent reports whether name can be an exported Go identifier of
// generated code (see exportedIdent). The renderers check again what the
// loader checked, so that a schema built by hand brings nothing else.
func IsExportedIdent(name string) bool { return exportedIdent(name) == "" }

var packageName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// goPackage explains why name cannot be the Go package of a typed store.
func goPackage(name string) string {
	switch {
	case token.IsKeyword(name):
		return "is a Go keyword"
	case !packageName.MatchString(name):
		return "is not a lowercase Go identifier (letters a-z, digits, _)"
	}
	return unusablePackages[name]
}

// unusablePackages are package names with which the generated package, in
// the directory of that name, would not build or could not be imported.
var unusablePackages = map[string]string{
	"main":          "is the name of a program's package; choose another",
	"documentation": "is a name the go command ignores; choose another",
	"vendor":        "names a directory that the go command keeps for vendored modules; choose another",
	"testdata":      "names a directory that the go command skips; choose another",
	"internal":      "would make the store importable only from its parent directory; choose another",
}

// fieldName is the form of a YAML field key. An indexed field's name makes
// its index's name, so nothing but these characters may ever get there.
var fieldName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// IsFieldName reports whether name has the form of a field key.
func IsFieldName(name string) bool { return fieldName.MatchString(name) }

// tableName is a Postgres identifier that needs no quoting (pgkv.TablePattern).
var tableName = regexp.MustCompile(pgkv.TablePattern)

// IsTableName reports whether name has the form of a table name: safe to
// write into SQL unquoted.
func IsTableName(name string) bool { return tableName.MatchString(name) }

// IndexName is the name of the expression index of an indexed field
// (pgkv.IndexName: the runtime's drift check knows kvgen's indexes by it).
// It is derived from the YAML field name, which a schema can change without
// changing the wire name (with the json option).
func IndexName(table string, f *Field) string { return pgkv.IndexName(table, f.Name) }

// ExpiresIndexName is the name of the index on expires_at: the name
// py-key-value's PostgreSQLStore gives it (pgkv.ExpiresIndexName).
func ExpiresIndexName(table string) string { return pgkv.ExpiresIndexName(table) }

// sqlReserved are PostgreSQL's reserved key words, including those allowed
// only as function or type names: none of them can name a table unquoted.
var sqlReserved = map[string]bool{}

func init() {
	for w := range strings.FieldsSeq(`all analyse analyze and any array as asc asymmetric
		authorization binary both case cast check collate collation column concurrently
		constraint create cross current_catalog current_date current_role current_schema
		current_time current_timestamp current_user default deferrable desc distinct do
		else end except false fetch for foreign freeze from full grant group having ilike
		in initially inner intersect into is isnull join lateral leading left like limit
		localtime localtimestamp natural not notnull null offset on only or order outer
		overlaps placing primary references returning right select session_user similar
		some symmetric system_user table tablesample then to trailing true union unique
		user using variadic verbose when where window with`) {
		sqlReserved[w] = true
	}
}

// sqlTable explains why name cannot be a table name, or returns "".
func sqlTable(name string) string {
	switch {
	case !tableName.MatchString(name):
		return "must match " + pgkv.TablePattern
	case sqlReserved[name]:
		return "is a reserved word in SQL"
	}
	if what, ok := sqlcTypeWords[lastWord(name)]; ok {
		return fmt.Sprintf("ends in the word %s, with which sqlc would name the table's model like the %s type of a query; choose another", lastWord(name), what)
	}
	return ""
}

// sqlcTypeWords are the last words of the names of sqlc's types of a query.
var sqlcTypeWords = map[string]string{"row": "row", "params": "parameter"}

// lastWord is the last word of a snake_case name. sqlc names a table's model
// by its words (get_row__ is GetRow), and every query's row and parameter
// types end in Row and Params; sqlc.yaml has it leave the model out unless a
// query uses a type of that name.
func lastWord(name string) string {
	words := strings.FieldsFunc(name, func(r rune) bool { return r == '_' })
	if len(words) == 0 {
		return ""
	}
	return words[len(words)-1]
}

// maxCollection bounds a collection name. It is sent as a bind parameter, but
// it is part of the primary key, and btree entries are limited to about 2.7 KB.
const maxCollection = 1000

// collectionName explains why name cannot be a collection name, or returns "".
// The default collection is written into generated Go source as a string
// literal, so quotes, backslashes and control characters are refused even
// though the database would take them.
func collectionName(name string) string {
	switch {
	case name == "":
		return "is empty"
	case len(name) > maxCollection:
		return "is longer than 1000 bytes"
	case !utf8.ValidString(name):
		return "is not valid UTF-8"
	}
	for _, r := range name {
		if r == '"' || r == '\\' || r == '`' || !unicode.IsPrint(r) {
			return "may not contain quotes, backslashes or control characters"
		}
	}
	return ""
}

// jsonName explains why name cannot be a JSON wire name, or returns "". The
// rule is encoding/json's for a struct tag name: a name outside it is
// silently replaced by the Go field name, and it also keeps quotes out of
// SQL string literals and Go source.
func jsonName(name string) string {
	if name == "" {
		return "is empty"
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", r) {
			return "may hold only letters, digits, spaces and !#$%&()*+-./:;<=>?@[]^_{|}~"
		}
	}
	return ""
}

// envelopeKeys are the keys of the encryption envelope. A top-level field
// with one of these wire names would make a plain record read as encrypted.
var envelopeKeys = map[string]bool{"__encrypted_data__": true, "__encryption_version__": true}

// enumValue explains why v cannot be an enum value, or returns "". Values
// become Go string literals and JSON strings.
func enumValue(v string) string {
	if v == "" {
		return "is empty"
	}
	for _, r := range v {
		if r == '"' || r == '\\' || r == '`' || !unicode.IsPrint(r) {
			return "may not contain quotes, backslashes or control characters"
		}
	}
	return ""
}

// DocText explains why text cannot be a description, or returns "". Each
// line of a description becomes a Go comment line, "// " and the line, which
// the go command never reads as a directive; the loader refuses what would
// still make those lines compile, or read, differently from what they say:
//
//   - control characters but newline and tab: NUL does not compile, and an
//     escape sequence can rewrite what a terminal shows;
//   - line breaks other than newline (carriage return, U+0085, U+2028,
//     U+2029): an editor may start a new line where Go does not end the
//     comment. A file's CRLF line ends are no such case: YAML reads them as
//     newlines, so a carriage return only comes from an escape in a quoted
//     string, and is refused rather than guessed at;
//   - bidirectional embeddings, overrides and isolates (U+202A to U+202E,
//     U+2066 to U+2069), which can make text display in another order than
//     it is read. The marks of right-to-left text (U+200E, U+200F, U+061C)
//     reorder nothing and are allowed;
//   - U+FEFF, the byte order mark, which Go refuses anywhere but at the start
//     of a file;
//   - a line that makes "// +build ...", which gofmt takes for a build
//     constraint and moves into the file's header, and go vet reports.
//
// The explanation names the line at fault when text has several.
func DocText(text string) string {
	if !utf8.ValidString(text) {
		return "is not valid UTF-8"
	}
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		where := ""
		if len(lines) > 1 {
			where = fmt.Sprintf("line %d ", i+1)
		}
		for _, r := range line {
			if what := refusedInDoc(r); what != "" {
				return fmt.Sprintf("%sholds %U, %s", where, r, what)
			}
		}
		if constraint.IsPlusBuild("// " + line) {
			return where + "starts with +build, which gofmt would move into the generated file's header as a build constraint"
		}
	}
	return ""
}

// refusedInDoc says what r is when a description may not hold it, or returns "".
func refusedInDoc(r rune) string {
	switch {
	case r == '\n' || r == '\t':
		return ""
	case r == '\r' || r == '\u0085' || r == '\u2028' || r == '\u2029':
		return "a line break other than newline, which editors and Go read differently"
	case '\u202a' <= r && r <= '\u202e' || '\u2066' <= r && r <= '\u2069':
		return "a bidirectional control that can make text display in another order than it is read"
	case r == '\ufeff':
		return "a byte order mark, which Go does not compile inside a file"
	case unicode.IsControl(r):
		return "a control character"
	}
	return ""
}
