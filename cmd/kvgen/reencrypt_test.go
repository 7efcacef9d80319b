package main

import (
	"reflect"
	"testing"

	"github.com/kvgen/kvgen/generator/schema"
)

// TestDeclaredNestedPaths: reencrypt rotates the sensitive fields of a
// fields-mode schema wherever they are: it gives their paths, nested ones
// included, and none for value mode, whose values are sealed whole.
func TestDeclaredNestedPaths(t *testing.T) {
	load := func(encryption string) *schema.Schema {
		s, err := schema.Load("s.yaml", []byte(`version: 1
record: Session
package: sessions
table: sessions
collection: sessions-`+encryption+`
key: id
encryption: `+encryption+`
go_only: true
fields:
  id: {type: string, required: true}
  secret: {type: string, sensitive: true}
  upstream:
    type: object
    fields:
      access_token: {type: string, sensitive: true}
  grants:
    type: list<object>
    fields:
      refresh_token: {type: string, sensitive: true}
`))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	got := declared([]*schema.Schema{load("fields"), load("value")})
	want := map[string][]string{
		"sessions-fields": {"secret", "upstream.access_token", "grants[].refresh_token"},
		"sessions-value":  nil,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("declared = %q, want %q", got, want)
	}
}
