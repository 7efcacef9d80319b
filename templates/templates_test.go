package templates

import (
	"bytes"
	"os"
	"testing"
)

// kvgen init scaffolds ExampleSchema; it must be the schema this repository
// generates and tests its own store from, not a stale copy.
func TestExampleSchemaIsTheRepositorySchema(t *testing.T) {
	repo, err := os.ReadFile("../schema/oauth_clients.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ExampleSchema, repo) {
		t.Fatal("templates/oauth_clients.yaml differs from schema/oauth_clients.yaml: copy it over")
	}
}
