package kv_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/kvgen/kvgen/kv"
)

// TestCheckURL: each set of the schemes option accepts its forms and
// nothing else; every form has a port in range and no link-local host.
func TestCheckURL(t *testing.T) {
	sets := map[string]kv.URLSchemes{
		"web":      kv.SchemeHTTPS,
		"webHTTP":  kv.SchemeHTTPS | kv.SchemeHTTP,
		"redirect": kv.RedirectSchemes,
		"server":   kv.SchemeHTTPS | kv.SchemeLoopbackHTTP,
		"native":   kv.SchemePrivateUse,
	}
	web, webHTTP, redirect, server, native := "web", "webHTTP", "redirect", "server", "native"
	cases := []struct {
		url     string
		allowed []string // the sets that accept it; the others refuse it
	}{
		{"https://app.example.com/callback", []string{web, webHTTP, redirect, server}},
		{"HTTPS://App.Example.COM:8443/cb?x=1#top", []string{web, webHTTP, redirect, server}},
		{"https://[2001:db8::1]:443/", []string{web, webHTTP, redirect, server}},
		{"https://127.0.0.1/cb", []string{web, webHTTP, redirect, server}},
		{"https://bücher.example/", []string{web, webHTTP, redirect, server}},
		{"http://app.example.com/cb", []string{webHTTP}},
		{"http://127.0.0.1:6274/oauth/callback", []string{webHTTP, redirect, server}},
		{"http://127.0.0.2/cb", []string{webHTTP, redirect, server}},
		{"http://[::1]:8080/cb", []string{webHTTP, redirect, server}},
		{"http://[::ffff:127.0.0.1]/cb", []string{webHTTP, redirect, server}},
		{"http://localhost:3000/callback", []string{webHTTP, redirect, server}},
		{"http://LOCALHOST/cb", []string{webHTTP, redirect, server}},
		{"http://127.0.0.1.example.com/cb", []string{webHTTP}},
		{"com.example.app:/oauth2redirect", []string{redirect, native}},
		{"com.example.app://callback", []string{redirect, native}},
		{"cursor://anysphere.cursor-retrieval/oauth/callback", []string{redirect, native}},
		{"vscode://vscode.github-authentication/did-authenticate", []string{redirect, native}},

		// schemes a browser runs or reads itself, or that are no app's
		{"javascript:alert(1)", nil},
		{"javascript://example.com/%0aalert(1)", nil},
		{"JavaScript:alert(1)", nil},
		{"data:text/html,<script>alert(1)</script>", nil},
		{"view-source:https://a.example/", nil},
		{"jar:https://a.example/x.jar!/", nil},
		{"file:///etc/passwd", nil},
		{"vbscript:x", nil},
		{"blob:https://a.example/x", nil},
		{"about:blank", nil},
		{"ftp://a.example/x", nil},
		{"ws://a.example/x", nil},
		{"myapp:/cb", nil},
		{"com..example:/cb", nil},
		{"com.example.:/cb", nil},
		// not absolute, or no host where one is needed
		{"", nil}, {"/cb", nil}, {"callback", nil}, {"//app.example.com/cb", nil},
		{"https:///cb", nil}, {"https:", nil}, {"http://", nil},
		{"https://a.example/c b", nil}, {"https://a.example/\x00", nil}, {"https://a.example/\xff", nil},
		// ports
		{"https://a.example:65536/cb", nil},
		{"https://a.example:99999/cb", nil},
		{"http://localhost:99999/cb", nil},
		{"https://a.example:0/cb", nil},
		{"https://a.example:123456789012345678901234567890/cb", nil},
		{"com.example.app://cb:70000/x", nil},
		// the cloud metadata service and other addresses no client lives at
		{"https://169.254.169.254/latest/meta-data/", nil},
		{"http://169.254.169.254/latest/meta-data/", nil},
		{"https://[fe80::1]/", nil},
		{"https://[fe80::1%25eth0]/", nil},
		{"https://[::ffff:169.254.169.254]/", nil},
		{"https://0.0.0.0/cb", nil},
		{"http://0.0.0.0/cb", nil},
		{"https://[::]/cb", nil},
		{"https://224.0.0.1/cb", nil},
		{"https://2852039166/", nil},
		{"https://0xA9FEA9FE/", nil},
		{"https://0251.0376.0251.0376/", nil},
		{"https://169.254.43518/", nil},
		{"https://169.254.169.254./", nil},
		{"https://0x/", nil},
	}
	for _, c := range cases {
		for name, set := range sets {
			msg := kv.CheckURL(c.url, set)
			if want := slices.Contains(c.allowed, name); (msg == "") != want {
				t.Errorf("CheckURL(%q, %s) = %q; want accepted %v", c.url, name, msg, want)
			}
			if c.url != "" && strings.Contains(msg, c.url) {
				t.Errorf("CheckURL(%q) quotes the URL: %s", c.url, msg)
			}
		}
	}
}

func TestCheckURLMessages(t *testing.T) {
	for _, c := range []struct {
		url     string
		allowed kv.URLSchemes
		want    string
	}{
		{"javascript:alert(1)", kv.RedirectSchemes, "scheme not allowed: this field accepts https, http on a loopback host, private-use schemes"},
		{"http://a.example/cb", kv.RedirectSchemes, "may use http only on a loopback host"},
		{"http://a.example/cb", kv.SchemeHTTPS, "scheme not allowed: this field accepts https"},
		{"https://a.example:70000/", kv.SchemeHTTPS, "port out of range"},
		{"https://169.254.169.254/", kv.SchemeHTTPS, "link-local"},
		{"https://2852039166/", kv.SchemeHTTPS, "not a canonical IP address"},
		{"https://a.example/\x00", kv.SchemeHTTPS, "NUL"},
	} {
		if got := kv.CheckURL(c.url, c.allowed); !strings.Contains(got, c.want) {
			t.Errorf("CheckURL(%q) = %q; want it to say %q", c.url, got, c.want)
		}
	}
}

func TestURLSchemeNames(t *testing.T) {
	var all kv.URLSchemes
	for _, name := range kv.URLSchemeNames() {
		s, ok := kv.ParseURLScheme(name)
		if !ok || s == 0 || all&s != 0 {
			t.Errorf("ParseURLScheme(%q) = %b, %v; want a flag of its own", name, s, ok)
		}
		all |= s
	}
	if want := kv.SchemeHTTPS | kv.SchemeHTTP | kv.SchemeLoopbackHTTP | kv.SchemePrivateUse; all != want {
		t.Errorf("the names cover %b; want %b", all, want)
	}
	if _, ok := kv.ParseURLScheme("ftp"); ok {
		t.Error("ParseURLScheme(ftp) accepted")
	}
}
