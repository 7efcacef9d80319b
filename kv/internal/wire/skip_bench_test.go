package wire

import "testing"

// BenchmarkSkipValue skips a stored record as jsonb returns it: strings,
// lists, numbers, nulls and a nested envelope.
func BenchmarkSkipValue(b *testing.B) {
	record := []byte(`{"jwks": null, "scope": "openid profile email mcp:tools mcp:resources", "client_id": "client-000000", "grant_types": ["authorization_code", "refresh_token"], "client_secret": {"__encrypted_data__": "Z0FBQUFBQnJFWVlLRDc3LUZQYzVr", "__encryption_version__": 1}, "redirect_uris": ["http://localhost:20000/oauth/callback", "http://127.0.0.1:30000/callback"], "response_types": ["code"], "client_id_issued_at": 1764000000, "cimd": {"a": [1, 2.5e3, true, false, {"b": null}]}, "client_secret_expires_at": 1771776000}`)
	for b.Loop() {
		if _, err := SkipValue(record, 0); err != nil {
			b.Fatal(err)
		}
	}
}
