package kv

import (
	"strings"
	"testing"
)

// TestPlainURLAsParsed: CheckURL's reading of the usual URL without
// url.Parse says what reading it with url.Parse says, on every form around
// the edges of what it reads.
func TestPlainURLAsParsed(t *testing.T) {
	for _, s := range urlSamples() {
		checkPlainURL(t, s)
	}
}

func FuzzPlainURLAsParsed(f *testing.F) {
	for _, s := range urlSamples() {
		f.Add(s)
	}
	f.Fuzz(checkPlainURL)
}

func checkPlainURL(t *testing.T, s string) {
	for allowed := URLSchemes(0); allowed < 16; allowed++ {
		if got, want := CheckURL(s, allowed), checkParsedURL(s, allowed); got != want {
			t.Errorf("CheckURL(%q, %04b) = %q; through url.Parse %q", s, allowed, got, want)
		}
	}
}

func urlSamples() []string {
	var out []string
	for _, scheme := range []string{"https://", "http://", "HTTPS://", "ftp://", "http:/", "https:"} {
		for _, host := range []string{"a.example", "localhost", "LocalHost", "127.0.0.1", "127.0.0.01", "169.254.169.254", "0", "0x7f000001",
			"2852039166", "a.0x1", "a..b", "a.b.", "-", ".", "", "[::1]", "user@a.example", "a_b.example", "münchen.example", "a b"} {
			for _, port := range []string{"", ":", ":0", ":1", ":443", ":65535", ":65536", ":99999", ":123456", ":-1", ":x", "::1"} {
				for _, rest := range []string{"", "/", "/cb", "/a/b?x=1&y=%20", "?q", "/p#frag", "/%zz", "/a b", "/ä", "/\x7f", "/\x00",
					"/[x]", "/a:b@c!$'()*+,;=~", "#f", "@x", "/\t"} {
					out = append(out, scheme+host+port+rest)
				}
			}
		}
	}
	return append(out, strings.Repeat("a", 300), "https://"+strings.Repeat("a.", 200)+"example/")
}
