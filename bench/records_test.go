package bench

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"testing"

	"github.com/kvgen/kvgen/bench/internal/nonestore"
	"github.com/kvgen/kvgen/bench/internal/valuestore"
	"github.com/kvgen/kvgen/internal/goonly/fieldsclients"
)

// recordJSON is the plaintext JSON of a client registered through Dynamic
// Client Registration as FastMCP's OAuth proxy keeps it: about 600 bytes
// without its null members, one secret. i varies what varies between clients.
func recordJSON(key string, i int) []byte {
	return fmt.Appendf(nil, `{"redirect_uris":["http://localhost:%d/oauth/callback","http://127.0.0.1:%d/callback"],`+
		`"token_endpoint_auth_method":"client_secret_post",`+
		`"grant_types":["authorization_code","refresh_token"],"response_types":["code"],`+
		`"scope":"openid profile email mcp:tools mcp:resources","client_name":"Claude Code (workspace %d)",`+
		`"client_uri":"https://claude.ai/","software_id":"claude-code","software_version":"2.0.%d",`+
		`"client_id":%q,"client_secret":"sk-%06d-Jx9Qm2VfT7wLpZr4Hc8NbYd3KsGe6UaR",`+
		`"client_id_issued_at":%d,"client_secret_expires_at":%d}`,
		20000+i%40000, 30000+i%30000, i, i%97, key, i, 1764000000+i, 1764000000+i+90*86400)
}

// fullRecordJSON is recordJSON with every member of the schema set, for the
// tests that compare implementations member by member.
func fullRecordJSON(key string, i int) []byte {
	data := recordJSON(key, i)
	return fmt.Appendf(data[:len(data)-1], `,"logo_uri":"https://claude.ai/images/claude-logo.png","contacts":["ops+%d@example.com"],`+
		`"tos_uri":"https://claude.ai/legal/terms","policy_uri":"https://claude.ai/legal/privacy",`+
		`"jwks_uri":"https://claude.ai/.well-known/jwks.json","jwks":{"keys":[{"kty":"OKP","crv":"Ed25519","x":"k%d"}]},`+
		`"cimd_document":{"client_id":"https://claude.ai/oauth/client-%d.json","client_name":"Claude","redirect_uris":["http://localhost:*/callback"],`+
		`"token_endpoint_auth_method":"private_key_jwt","jwks":{"keys":[]},"software_id":"claude-code"},`+
		`"allowed_redirect_uri_patterns":["http://localhost:*/oauth/callback","http://127.0.0.1:*/callback"],`+
		`"cimd_fetched_at":1764000000.5,"registration_access_token":"sha256:%064x",`+
		`"registration_client_uri":"https://auth.example.com/register/%s","application_type":"native","issuer":"https://auth.example.com"}`,
		i, i, i, i, key)
}

// fieldsRecord, noneRecord, valueRecord and baseRecord build record i of
// each implementation from the same JSON.
func fieldsRecord(tb testing.TB, key string, i int) fieldsclients.Client {
	return fixture[fieldsclients.Client](tb, recordJSON(key, i))
}

func noneRecord(tb testing.TB, key string, i int) nonestore.Client {
	return fixture[nonestore.Client](tb, recordJSON(key, i))
}

func valueRecord(tb testing.TB, key string, i int) valuestore.Client {
	return fixture[valuestore.Client](tb, recordJSON(key, i))
}

func baseRecord(tb testing.TB, key string, i int) Client {
	return fixture[Client](tb, recordJSON(key, i))
}

// fixture decodes a fixture's JSON into a record of type R.
func fixture[R any](tb testing.TB, data []byte) R {
	var r R
	if err := json.Unmarshal(data, &r); err != nil {
		tb.Fatalf("the fixture does not decode into %T: %v", r, err)
	}
	return r
}

// canonical is a record as a comparable map: its JSON with the secret in
// plaintext and every empty member (null, "", 0, []) removed, so that the
// generated stores (which write null) and the baseline (omitempty) compare.
func canonical(t testing.TB, record any, secret string) map[string]any {
	t.Helper()
	data, err := json.Marshal(record)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	dropEmpty(m)
	delete(m, "client_secret") // generated records redact it in JSON
	if secret != "" {
		m["client_secret"] = secret
	}
	return m
}

// dropEmpty removes the empty members of m and of the objects in it.
func dropEmpty(m map[string]any) {
	maps.DeleteFunc(m, func(_ string, v any) bool {
		if inner, ok := v.(map[string]any); ok {
			dropEmpty(inner)
		}
		return v == nil || v == "" || v == 0.0 || reflect.DeepEqual(v, []any{})
	})
}

// secretOf returns the plaintext secret of a record of any implementation.
func secretOf(record any) string {
	switch r := record.(type) {
	case fieldsclients.Client:
		return r.ClientSecret.Reveal()
	case valuestore.Client:
		return r.ClientSecret.Reveal()
	case nonestore.Client:
		return r.ClientSecret
	case Client:
		if r.ClientSecret == nil {
			return ""
		}
		return *r.ClientSecret
	}
	return fmt.Sprintf("(secretOf: %T is not a benchmarked record)", record)
}
