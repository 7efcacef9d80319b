package schema_test

import (
	"strings"
	"testing"

	"github.com/kvgen/kvgen/generator/schema"
)

func TestExpiresIndexNameMatchesPyKeyValue(t *testing.T) {
	if got := schema.ExpiresIndexName("oauth_clients"); got != "idx_oauth_clients_expires_at" {
		t.Errorf("got %s", got)
	}
	// PostgreSQLStore's fallback past 63 bytes: idx_ + sha256(table)[:16] + _exp.
	// The digest was computed with Python's hashlib.
	if got := schema.ExpiresIndexName(strings.Repeat("a", 50)); got != "idx_160b4e433e384e05_exp" {
		t.Errorf("long table: got %s", got)
	}
	if got := schema.ExpiresIndexName(strings.Repeat("a", 48)); got != "idx_"+strings.Repeat("a", 48)+"_expires_at" {
		t.Errorf("63-byte name must be kept: got %s", got)
	}
}

// TestSQLCName: the Go names sqlc gives the parameters of kvgen's queries.
func TestSQLCName(t *testing.T) {
	for sql, want := range map[string]string{
		"collection": "Collection", "ttl": "Ttl", "old_expires_at": "OldExpiresAt", "lim": "Lim",
		"vals": "Vals", "user_id": "UserID", "id": "ID",
	} {
		if got := schema.SQLCName(sql); got != want {
			t.Errorf("SQLCName(%q) = %q, want %q", sql, got, want)
		}
	}
}

// TestParamName: a field's Go parameter is its lowered Go name, unless that
// is a keyword, a name the method body uses, or an unexported declaration
// of the package, which it would shadow.
func TestParamName(t *testing.T) {
	for goName, want := range map[string]string{
		"ClientID": "clientID", "URL": "url", "URLPath": "urlPath", "Name": "name",
		"Type": "key", "Ctx": "key", "S": "key", "Kvimpl": "key", "Err": "key", "Version": "key",
		"Record": "key", "Codec": "key", "Indexes": "key", "NewBackend": "key", "SqliteBackend": "key",
		"Items": "items", "Values": "values", "Records": "records",
	} {
		if got := schema.ParamName(goName, "key"); got != want {
			t.Errorf("ParamName(%q) = %q, want %q", goName, got, want)
		}
	}
}

// TestNewModelRefusesUnwritableSource: a schema path that would break the
// comment lines of the headers and the package doc is refused, not written.
func TestNewModelRefusesUnwritableSource(t *testing.T) {
	s := &schema.Schema{Package: "p", Record: "R"}
	for _, source := range []string{"schema/a\npackage evil.yaml", "a\u202eb.yaml", "a\tb.yaml"} {
		if _, err := schema.NewModel(s, schema.Target{Source: source}); err == nil || !strings.Contains(err.Error(), "rename it") {
			t.Errorf("source %q: err = %v", source, err)
		}
	}
	if _, err := schema.NewModel(s, schema.Target{Source: "schema/a.yaml", Regenerate: "kvgen generate 'a\nb'"}); err == nil {
		t.Error("a regenerate command of two lines was accepted")
	}
	if _, err := schema.NewModel(s, schema.Target{Source: "schema/my schema.yaml"}); err != nil {
		t.Errorf("a path with a space: %v", err)
	}
}
