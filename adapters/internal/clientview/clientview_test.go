package clientview

import "testing"

func TestRedirectAllowed(t *testing.T) {
	registered := []string{"https://app.example.com/callback", "http://127.0.0.1/callback", "http://localhost:8080/cb?x=1"}
	for _, c := range []struct {
		requested string
		want      bool
	}{
		{"https://app.example.com/callback", true},
		{"http://127.0.0.1/callback", true},
		{"http://127.0.0.1:51004/callback", true}, // RFC 8252: any port of a loopback redirect
		{"http://localhost:9999/cb?x=1", true},
		{"https://app.example.com:8443/callback", false}, // the port matters elsewhere
		{"https://app.example.com/callback/", false},
		{"https://app.example.com/callback?x=1", false},
		{"http://127.0.0.1:51004/other", false},
		{"http://localhost:51004/callback", false}, // registered for 127.0.0.1, not localhost
		{"https://127.0.0.1:51004/callback", false},
		{"http://user@127.0.0.1:51004/callback", false},
		{"http://127.0.0.1:51004/callback#x", false},
		{"http://localhost:9999/cb?x=2", false},
		{"", false},
	} {
		if got := RedirectAllowed(registered, c.requested); got != c.want {
			t.Errorf("RedirectAllowed(%q) = %t, want %t", c.requested, got, c.want)
		}
	}
}
