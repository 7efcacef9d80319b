package schema

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kvgen/kvgen/kv"
)

const oauthSchemaPath = "../../schema/oauth_clients.yaml"

func TestLoadOAuthClients(t *testing.T) {
	s, err := LoadFile(oauthSchemaPath)
	if err != nil {
		t.Fatal(err)
	}
	checkSchema(t, s)
	if s.Path != oauthSchemaPath || s.Record != "Client" || s.Package != "oauthclients" ||
		s.Table != "oauth_clients" || s.Collection != "mcp-oauth-proxy-clients" ||
		s.Key != "client_id" || s.Encryption != EncryptValue || s.GoOnly || s.TTL != 0 {
		t.Errorf("record options: %+v", s)
	}
	byName := map[string]*Field{}
	for _, f := range s.Fields {
		byName[f.Name] = f
		if f.Description == "" {
			t.Errorf("field %q has no description", f.Name)
		}
	}
	// Every key FastMCP writes into a client row must be a field.
	for _, name := range []string{
		"redirect_uris", "token_endpoint_auth_method", "grant_types", "response_types", "scope",
		"client_name", "client_uri", "logo_uri", "contacts", "tos_uri", "policy_uri", "jwks_uri",
		"jwks", "software_id", "software_version", "client_id", "client_secret",
		"client_id_issued_at", "client_secret_expires_at", "cimd_document",
		"allowed_redirect_uri_patterns", "cimd_fetched_at",
		"registration_access_token", "registration_client_uri", "application_type", "issuer",
	} {
		if byName[name] == nil {
			t.Errorf("no field %q", name)
		}
	}
	if f := byName["client_secret"]; f == nil || !f.Sensitive || f.GoName != "ClientSecret" {
		t.Errorf("client_secret: %+v", f)
	}
	if f := byName["registration_access_token"]; f == nil || !f.Hashed || f.Sensitive {
		t.Errorf("registration_access_token: %+v", f)
	}
	if got := s.SensitivePaths(); !slices.Equal(got, []string{"client_secret"}) {
		t.Errorf("SensitivePaths() = %v", got)
	}
	// FastMCP reads the collection: the whole value is sealed, so nothing is indexed.
	if got := s.Indexed(); len(got) != 0 {
		t.Errorf("Indexed() = %v", got)
	}
	if k := s.KeyField(); k == nil || k.GoName != "ClientID" || !k.Required {
		t.Errorf("KeyField() = %+v", k)
	}
	if f := byName["redirect_uris"]; f == nil || f.Type.String() != "list<url>" || !f.Required || f.GoName != "RedirectURIs" {
		t.Errorf("redirect_uris: %+v", f)
	}
	if f := byName["token_endpoint_auth_method"]; f == nil || f.Default != "client_secret_basic" ||
		strings.Join(f.Type.Values, ",") != "none,client_secret_post,client_secret_basic,private_key_jwt" {
		t.Errorf("token_endpoint_auth_method: %+v", f)
	}
	for name, kind := range map[string]Kind{
		"client_id_issued_at": Unixtime, "client_secret_expires_at": Unixtime,
		"cimd_fetched_at": Float, "jwks": JSON, "jwks_uri": URL,
	} {
		if f := byName[name]; f == nil || f.Type.Kind != kind {
			t.Errorf("%s: want %s, got %+v", name, kind, f)
		}
	}
	if f := byName["jwks_uri"]; f == nil || f.GoName != "JWKSURI" {
		t.Errorf("jwks_uri: %+v", f)
	}
	cimd := byName["cimd_document"]
	if cimd == nil || cimd.Type.Kind != Object || cimd.Type.GoName != "ClientCimdDocument" {
		t.Fatalf("cimd_document: %+v", cimd)
	}
	if cid := cimd.Type.Fields[0]; cid.Name != "client_id" || cid.Type.Kind != URL || !cid.Required {
		t.Errorf("cimd_document.client_id: %+v", cid)
	}
}

func TestGoName(t *testing.T) {
	for in, want := range map[string]string{
		"client_id":                "ClientID",
		"client_id_issued_at":      "ClientIDIssuedAt",
		"redirect_uris":            "RedirectURIs",
		"jwks_uri":                 "JWKSURI",
		"jwks":                     "JWKS",
		"http_api_url":             "HTTPAPIURL",
		"ttl":                      "TTL",
		"json":                     "JSON",
		"ids":                      "IDs",
		"name":                     "Name",
		"cimd_document":            "CimdDocument",
		"_leading__double_":        "LeadingDouble",
		"a1_b2":                    "A1B2",
		"s":                        "S",
		"client_secret_expires_at": "ClientSecretExpiresAt",
		"_":                        "",
	} {
		if got := GoName(in); got != want {
			t.Errorf("GoName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseType(t *testing.T) {
	for in, want := range map[string]string{
		"string":                 "string",
		"unixtime":               "unixtime",
		"list<url>":              "list<url>",
		"list<list<string>>":     "list<list<string>>",
		" list < object > ":      "list<object>",
		"list<list<list<json>>>": "list<list<list<json>>>",
	} {
		got, msg := parseType(in)
		if msg != "" || got.String() != want {
			t.Errorf("parseType(%q) = %v, %q; want %s", in, got, msg, want)
		}
	}
	if got, _ := parseType("list<list<int>>"); got.Kind != List || got.Elem.Kind != List || got.Elem.Elem.Kind != Int || got.base().Kind != Int {
		t.Errorf("list<list<int>> parsed as %#v", got)
	}
	for in, want := range map[string]string{
		"strng":       `unknown type "strng"; did you mean "string"?`,
		"integer":     `unknown type "integer"; did you mean "int"?`,
		"list<strin>": `unknown type "strin"; did you mean "string"?`,
		"list":        `malformed type "list": a list is written list<T>, for example list<string>`,
		"list<string": `malformed type "list<string": a list is written list<T>, for example list<string>`,
		"list<>":      `malformed type "list<>": a list is written list<T>, for example list<string>`,
		"frobnicator": `unknown type "frobnicator"`,
		strings.Repeat("list<", 9) + "int" + strings.Repeat(">", 9): "nests lists deeper than 8",
	} {
		got, msg := parseType(in)
		if got != nil || !strings.Contains(msg, want) {
			t.Errorf("parseType(%q) = %v, %q; want %q", in, got, msg, want)
		}
	}
}

// minimal is a valid schema that tests extend with one field line.
const minimal = `version: 1
record: Rec
package: recs
table: recs
key: id
fields:
  id: {type: string, required: true}
`

func TestDefaults(t *testing.T) {
	for line, want := range map[string]any{
		`{type: string, default: hello}`:                   "hello",
		`{type: url, default: "https://example.com/x"}`:    "https://example.com/x",
		`{type: enum, values: [a, b], default: b}`:         "b",
		`{type: timestamp, default: 2025-01-02T15:04:05Z}`: "2025-01-02T15:04:05Z",
		`{type: int, default: -42}`:                        int64(-42),
		`{type: unixtime, default: 1767225600}`:            int64(1767225600),
		`{type: float, default: 1.5}`:                      1.5,
		`{type: float, default: 3}`:                        float64(3),
		`{type: bool, default: true}`:                      true,
		`{type: bool, default: false, required: true}`:     false,
		`{type: string}`:                                   nil,
	} {
		s, err := Load("t.yaml", []byte(minimal+"  x: "+line+"\n"))
		if err != nil {
			t.Errorf("%s: %v", line, err)
			continue
		}
		if got := s.Fields[1].Default; got != want {
			t.Errorf("%s: default %#v (%T), want %#v (%T)", line, got, got, want, want)
		}
	}
}

// TestURLSchemes: a url field accepts https unless its schemes option says
// otherwise, in lists too, and a default must be a URL the field accepts.
func TestURLSchemes(t *testing.T) {
	for line, want := range map[string][]string{
		`{type: url}`: {"https"},
		`{type: list<url>, schemes: [https, loopback-http, private-use]}`:   {"https", "loopback-http", "private-use"},
		`{type: list<list<url>>, schemes: [http]}`:                          {"http"},
		`{type: url, schemes: [https, http], default: "http://a.example/"}`: {"https", "http"},
	} {
		s, err := Load("t.yaml", []byte(minimal+"  x: "+line+"\n"))
		if err != nil {
			t.Errorf("%s: %v", line, err)
			continue
		}
		base := s.Fields[1].Type
		for base.Kind == List {
			base = base.Elem
		}
		if !slices.Equal(base.Schemes, want) {
			t.Errorf("%s: schemes %q, want %q", line, base.Schemes, want)
		}
	}
	s, err := Load("t.yaml", []byte(minimal+"  x: {type: list<url>, schemes: [https, loopback-http, private-use]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Fields[1].Type.Elem.URLSchemes(); got != kv.RedirectSchemes {
		t.Errorf("URLSchemes() = %b, want kv.RedirectSchemes", got)
	}
}

func TestRecordOptions(t *testing.T) {
	s, err := Load("t.yaml", []byte(minimal+"ttl: 15m\nencryption: value\ndescription: A rec.\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s.TTL != 15*time.Minute || s.Encryption != EncryptValue || s.Collection != "recs" || s.Description != "A rec." {
		t.Errorf("got %+v", s)
	}
	s, err = Load("t.yaml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if s.Encryption != EncryptValue || s.GoOnly || s.TTL != 0 || s.Collection != "recs" {
		t.Errorf("defaults: %+v", s)
	}
	if s.Fields[0].JSONName != "id" || s.Fields[0].GoName != "ID" {
		t.Errorf("id field: %+v", s.Fields[0])
	}
	s, err = Load("t.yaml", []byte(minimal+"  x: {type: string, go_name: Ex, json: eks}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if f := s.Fields[1]; f.GoName != "Ex" || f.JSONName != "eks" {
		t.Errorf("overrides: %+v", f)
	}
}

// matches reports whether err is want, when want is a whole error line
// (it starts with the path), or else contains it.
func matches(err error, want string) bool {
	if err == nil {
		return false
	}
	if strings.HasPrefix(want, "t.yaml:") {
		return err.Error() == want
	}
	return strings.Contains(err.Error(), want)
}

// TestNestedSensitive: sensitive is allowed on string fields of objects,
// in lists too, at any depth.
func TestNestedSensitive(t *testing.T) {
	s, err := Load("t.yaml", []byte(minimal+`  upstream:
    type: object
    fields:
      access_token: {type: string, sensitive: true}
      tokens:
        type: list<object>
        fields:
          secret: {type: string, sensitive: true, required: true}
`))
	if err != nil {
		t.Fatal(err)
	}
	upstream := s.Fields[1].Type
	if !upstream.Fields[0].Sensitive || !upstream.Fields[1].Type.Elem.Fields[0].Sensitive {
		t.Errorf("the nested fields are not sensitive: %+v", upstream.Fields)
	}
	if got, want := s.SensitivePaths(), []string{"upstream.access_token", "upstream.tokens[].secret"}; !slices.Equal(got, want) {
		t.Errorf("SensitivePaths() = %q, want %q", got, want)
	}
}

// TestErrors checks single mistakes that the golden cases do not cover.
func TestErrors(t *testing.T) {
	for _, tc := range []struct{ extra, want string }{
		{"ttl: 0s\n", `t.yaml:8:6: ttl "0s" must be positive; leave ttl out for no expiry`},
		{"ttl: 900\n", `t.yaml:8:6: ttl must be a string, not the integer 900`},
		{"encryption: feilds\n", `t.yaml:8:13: unknown encryption "feilds" (want fields, value or none); did you mean "fields"?`},
		{"collection: \"\"\n", `t.yaml:8:13: collection "" is empty`},
		{"collection: " + strings.Repeat("c", 1001) + "\n", "is longer than 1000 bytes"},
		{"type: string\n", `t.yaml:8:1: unknown option "type"; it is a field option, and fields go under fields:`},
		{"scope: {type: string}\n", `t.yaml:8:1: unknown option "scope"; fields go under fields:`},
		{"  x: {type: string, table: t}\n", `field "x": unknown option "table"; it is a record option, not a field option`},
		{"  x: {type: string, sensitive: true, hashed: true}\n", "sensitive and hashed exclude each other"},
		{"  x: {type: string, hashed: true, indexed: true}\n", "a hashed field cannot be indexed"},
		{"  x: {type: url, hashed: true}\n", "hashed needs type: string in schema version 1, not url"},
		{"  x: {type: list<object>, fields: {y: {type: int, sensitive: true}}}\n", `field "x.y": sensitive needs type: string in schema version 1, not int`},
		{"  x: {type: object, fields: {y: {type: string, hashed: true}}}\n", `field "x.y": hashed is only allowed on top-level fields`},
		{"  x: {type: object, fields: {y: {type: string, indexed: true}}}\n", `field "x.y": indexed is only allowed on top-level fields`},
		{"  x: {type: object, fields: {y: {type: string, sensitive: true, default: hunter2}}}\n", `field "x.y": a sensitive or hashed field cannot have a default`},
		{"  x: {type: object, fields: {y: {type: string, sensitive: true}}}\nencryption: none\n", `field "x.y": sensitive needs encryption: fields or value`},
		{"  x: {type: object, json: a.b, fields: {y: {type: string, sensitive: true}}}\n", `field "x.y": the JSON names on the path of a sensitive field hold no '.', '[' or ']' ("a.b" does)`},
		{"  x: {type: string, sensitive: true, json: \"x[0]\"}\n", `field "x": the JSON names on the path of a sensitive field hold no '.', '[' or ']' ("x[0]" does)`},
		{"  x: {type: list<enum>, values: [a, \"\"]}\n", `enum value "" is empty`},
		{"  x: {type: enum, values: []}\n", "values is empty"},
		{"  x: {type: enum, values: a}\n", "values must be a list, not the string \"a\""},
		{"  x: {type: string, go_name: lower}\n", `go_name "lower" is not exported`},
		{"  x: {type: string, go_name: \"Two Words\"}\n", `go_name "Two Words" is not a Go identifier`},
		{"  _1: {type: string}\n", `field "_1" gives the Go name "1", which is not a Go identifier; set go_name`},
		{"  x: {required: true}\n", `field "x" has no type`},
		{"  x: {tpye: string}\n", `t.yaml:8:7: field "x": unknown option "tpye"; did you mean "type"?`},
		{"  x: {type: object, feilds: {y: {type: int}}}\n", `t.yaml:8:21: field "x": unknown option "feilds"; did you mean "fields"?`},
		{"  x: {type: enum, valeus: [a]}\n", `t.yaml:8:19: field "x": unknown option "valeus"; did you mean "values"?`},
		{"  x: {type: string, description: \"a\\rb\"}\n", "description holds U+000D"},
		{"  x: &anchor {type: string}\n  y: *anchor\n", `field "y" must be a mapping of options such as {type: string}, not a YAML alias`},
		{"  x: {type: string, required: true, required: false}\n", `duplicate option "required" (first at column 21)`},
		{"  x: {type: int, default: 99999999999999999999}\n", "default"},
		{"  x: {type: url, schemes: [https, htps]}\n", `t.yaml:8:35: field "x": unknown scheme "htps" (want https, http, loopback-http, private-use); did you mean "https"?`},
		{"  x: {type: url, schemes: [private_use]}\n", `unknown scheme "private_use" (want https, http, loopback-http, private-use); did you mean "private-use"?`},
		{"  x: {type: url, schemes: [loopback]}\n", `unknown scheme "loopback" (want https, http, loopback-http, private-use); did you mean "loopback-http"?`},
		{"  x: {type: url, schemes: [javascript]}\n", `unknown scheme "javascript" (want https, http, loopback-http, private-use)`},
		{"  x: {type: url, schemes: [https, https]}\n", `t.yaml:8:35: field "x": duplicate scheme "https" (first at column 28)`},
		{"  x: {type: url, schemes: []}\n", `field "x": schemes is empty; a url field needs at least one`},
		{"  x: {type: url, schemes: https}\n", `t.yaml:8:27: field "x": schemes must be a list such as [https, loopback-http], not the string "https"`},
		{"  x: {type: url, schemes: [1]}\n", `field "x": a scheme must be a string, not the integer 1`},
		{"  x: {type: string, schemes: [https]}\n", `t.yaml:8:30: field "x": schemes is only for url fields, and the type is string`},
		{"  x: {type: url, schemas: [https]}\n", `field "x": unknown option "schemas"; did you mean "schemes"?`},
		{"  x: {type: url, default: \"http://example.com/\"}\n", `field "x": default "http://example.com/" is not a URL the field accepts: scheme not allowed: this field accepts https`},
		{"  x: {type: url, schemes: [https, loopback-http], default: \"javascript://x.example/%0a\"}\n", "is not a URL the field accepts: scheme not allowed"},
	} {
		_, err := Load("t.yaml", []byte(minimal+tc.extra))
		if !matches(err, tc.want) {
			t.Errorf("%q: got %v, want %q", tc.extra, err, tc.want)
		}
	}
}

func TestRecordAndKeyErrors(t *testing.T) {
	for _, tc := range []struct{ schema, want string }{
		{strings.Replace(minimal, "record: Rec", "record: func", 1), `record "func" is a Go keyword`},
		{strings.Replace(minimal, "package: recs", "package: type", 1), `package "type" is a Go keyword`},
		{strings.Replace(minimal, "table: recs", "table: "+strings.Repeat("t", 64), 1), "must match"},
		{strings.Replace(minimal, "version: 1", "version: \"1\"", 1), `version must be an integer, not the string "1"`},
		{strings.Replace(minimal, "required: true}", "required: true, sensitive: true}", 1), `key field "id" cannot be sensitive or hashed`},
		{strings.Replace(minimal, "required: true}", "required: true, indexed: true}", 1), `key field "id" needs no index`},
		{strings.Replace(minimal, "key: id\n", "", 1), `t.yaml:1:1: missing option "key" (the field whose value is the KV key)`},
		{"- a\n", "t.yaml:1:1: a schema must be a mapping of options, not a list"},
		{"# only a comment\n", "t.yaml:1:1: empty schema file"},
		{"version: 1\n\tbad: tab\n", "t.yaml:2:1: invalid YAML: found a tab character that violates indentation"},
		{"version: [1\n", "t.yaml:2:1: invalid YAML: did not find expected ',' or ']'"},
		{"a: {b: 1\n\n\nc: 2\n", "t.yaml:4:1: invalid YAML: did not find expected ',' or '}'"},
		{"a: 1\nb:\n  c: {d: 1\n\n\ne: 2\n", "t.yaml:3:1: invalid YAML: did not find expected ',' or '}'"},
	} {
		_, err := Load("t.yaml", []byte(tc.schema))
		if !matches(err, tc.want) {
			t.Errorf("%q: got %v, want %q", tc.schema, err, tc.want)
		}
	}
}

func TestErrorList(t *testing.T) {
	l := ErrorList{
		{Path: "a.yaml", Pos: Pos{3, 1}, Msg: "c"},
		{Path: "a.yaml", Pos: Pos{1, 5}, Msg: "b"},
		{Path: "a.yaml", Pos: Pos{1, 5}, Msg: "a"},
		{Path: "a.yaml", Pos: Pos{1, 2}, Msg: "z"},
	}
	want := "a.yaml:1:2: z\na.yaml:1:5: a\na.yaml:1:5: b\na.yaml:3:1: c"
	if got := l.Error(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	var one Error
	if !errors.As(error(l), &one) || one.Msg != "c" {
		t.Errorf("errors.As found %+v", one)
	}
	if _, err := LoadFile("does-not-exist.yaml"); err == nil || errors.As(err, new(ErrorList)) {
		t.Errorf("missing file: %v", err)
	}
}

func TestSuggest(t *testing.T) {
	known := []string{"required", "sensitive", "type"}
	for got, want := range map[string]string{
		"requried": "required", "sensitiv": "sensitive", "typ": "type", "tpye": "type",
		"zzzzzz": "", "": "",
	} {
		if s := suggest(got, known); s != want {
			t.Errorf("suggest(%q) = %q, want %q", got, s, want)
		}
	}
	if d := levenshtein("kitten", "sitting"); d != 3 {
		t.Errorf("levenshtein = %d", d)
	}
	if d := levenshtein("héllo", "hello"); d != 1 {
		t.Errorf("levenshtein counts bytes: %d", d)
	}
}

// TestDescriptionCharacters: a description may hold any text but the
// characters that would make its comment lines compile or read differently
// from what they say, each reported with the field and the character.
func TestDescriptionCharacters(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{`a\rb`, `t.yaml:8:34: field "x": description holds U+000D, a line break other than newline, which editors and Go read differently`},
		{`a\u2028b`, `field "x": description holds U+2028, a line break other than newline, which editors and Go read differently`},
		{`a\u2029b`, `description holds U+2029, a line break`},
		{`a\u0085b`, `description holds U+0085, a line break`},
		{`a\u202eb`, `field "x": description holds U+202E, a bidirectional control that can make text display in another order than it is read`},
		{`a\u202ab`, `description holds U+202A, a bidirectional control`},
		{`a\u2066b`, `description holds U+2066, a bidirectional control`},
		{`a\u2069b`, `description holds U+2069, a bidirectional control`},
		{`a\ufeffb`, `field "x": description holds U+FEFF, a byte order mark, which Go does not compile inside a file`},
		{`a\x00b`, `field "x": description holds U+0000, a control character`},
		{`a\x7fb`, `description holds U+007F, a control character`},
		{`a\x1bb`, `description holds U+001B, a control character`},
		{`one\ntwo\u202e`, `field "x": description line 2 holds U+202E`},
		{`+build ignore`, `field "x": description starts with +build, which gofmt would move into the generated file's header as a build constraint`},
		{`Doc.\n  +build linux`, `field "x": description line 2 starts with +build`},
	} {
		_, err := Load("t.yaml", []byte(minimal+`  x: {type: string, description: "`+tc.text+`"}`+"\n"))
		if !matches(err, tc.want) {
			t.Errorf("%s: got %v, want %q", tc.text, err, tc.want)
		}
	}
	_, err := Load("t.yaml", []byte(minimal+"description: \"Rec \\u202e.\"\n"))
	if !matches(err, `t.yaml:8:14: description holds U+202E, a bidirectional control that can make text display in another order than it is read`) {
		t.Errorf("record description: got %v", err)
	}
	// Newline, tab, marks of right-to-left text and text that is only
	// mentioned (+build, //go:generate inside a line) stay.
	for _, text := range []string{`a\nb\tc`, `שלום\u200f abc`, `\u061cمرحبا`, `uses +build tags`, `a //go:generate b`, `a\n\n//go:generate x`} {
		if _, err := Load("t.yaml", []byte(minimal+`  x: {type: string, description: "`+text+`"}`+"\n")); err != nil {
			t.Errorf("%s: %v", text, err)
		}
	}
	// A file with CRLF line ends: YAML reads them as newlines.
	crlf := strings.ReplaceAll(minimal+"  x:\n    type: string\n    description: |\n      one\n      two\n", "\n", "\r\n")
	s, err := Load("t.yaml", []byte(crlf))
	if err != nil {
		t.Fatal(err)
	}
	if d := s.Fields[1].Description; d != "one\ntwo\n" {
		t.Errorf("CRLF description read as %q", d)
	}
}

// TestPackageNamesThatDoNotBuild: package names with which the generated
// package does not build or cannot be imported.
func TestPackageNamesThatDoNotBuild(t *testing.T) {
	for pkg, want := range map[string]string{
		"main":          `t.yaml:3:10: package "main" is the name of a program's package; choose another`,
		"documentation": `package "documentation" is a name the go command ignores; choose another`,
		"vendor":        `package "vendor" names a directory that the go command keeps for vendored modules; choose another`,
		"testdata":      `package "testdata" names a directory that the go command skips; choose another`,
		"internal":      `package "internal" would make the store importable only from its parent directory; choose another`,
	} {
		_, err := Load("t.yaml", []byte(strings.Replace(minimal, "package: recs", "package: "+pkg, 1)))
		if !matches(err, want) {
			t.Errorf("%s: got %v, want %q", pkg, err, want)
		}
	}
}

// TestGoNamesOfGeneratedCode: the record, its object types and its fields
// may not take a name that the generated package declares, and Go names
// are ASCII (sqlc names a finder's query after its field).
func TestGoNamesOfGeneratedCode(t *testing.T) {
	for _, tc := range []struct{ schema, want string }{
		{strings.Replace(minimal, "record: Rec", "record: CheckTable", 1),
			`t.yaml:2:9: record "CheckTable" is a declaration of the generated package; choose another name`},
		{strings.Replace(minimal, "record: Rec", "record: Check", 1) + "  table: {type: object, fields: {x: {type: int}}}\n",
			`t.yaml:8:3: field "table": its object type CheckTable has the same Go name as a declaration of the generated package; set go_name`},
		// the declarations of engine sqlite are reserved with or without it
		{strings.Replace(minimal, "record: Rec", "record: NewSQLite", 1),
			`t.yaml:2:9: record "NewSQLite" is a declaration of the generated package; choose another name`},
		{strings.Replace(minimal, "record: Rec", "record: SQLite", 1) + "  d_d_l: {type: object, fields: {x: {type: int}}}\n",
			`t.yaml:8:3: field "d_d_l": its object type SQLiteDDL has the same Go name as a declaration of the generated package; set go_name`},
		{strings.Replace(minimal, "key: id\n", "key: id\nencryption: none\n", 1) + "  x: {type: string, indexed: true, go_name: Über}\n",
			`t.yaml:9:45: field "x": go_name "Über" is not ASCII: Go names of generated code are letters A-Z and a-z, digits and _`},
		{strings.Replace(minimal, "record: Rec", "record: Ärger", 1),
			`t.yaml:2:9: record "Ärger" is not ASCII: Go names of generated code are letters A-Z and a-z, digits and _`},
	} {
		_, err := Load("t.yaml", []byte(tc.schema))
		if !matches(err, tc.want) {
			t.Errorf("%q: got %v, want %q", tc.schema, err, tc.want)
		}
	}
}

// TestTableNamesOfSQLCModels: sqlc names a table's model after the table,
// and keeps it when a query's row or parameter type has that name.
func TestTableNamesOfSQLCModels(t *testing.T) {
	for table, want := range map[string]string{
		"get_row":       `t.yaml:4:8: table "get_row" ends in the word row, with which sqlc would name the table's model like the row type of a query; choose another`,
		"find_by_x_row": `table "find_by_x_row" ends in the word row`,
		"list_row__":    `table "list_row__" ends in the word row`,
		"put_params":    `table "put_params" ends in the word params, with which sqlc would name the table's model like the parameter type of a query; choose another`,
	} {
		_, err := Load("t.yaml", []byte(strings.Replace(minimal, "table: recs", "table: "+table, 1)))
		if !matches(err, want) {
			t.Errorf("%s: got %v, want %q", table, err, want)
		}
	}
	for _, table := range []string{"new", "queries", "dbtx", "get_rows", "escrow", "row_count", "params_x"} {
		if _, err := Load("t.yaml", []byte(strings.Replace(minimal, "table: recs", "table: "+table, 1))); err != nil {
			t.Errorf("%s: %v", table, err)
		}
	}
}
