package kv

import (
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kvgen/kvgen/kv/internal/wire"
)

// URLSchemes is the set of URL forms a url field accepts: the schemes option
// of its schema. Everything outside the set is refused on write, so the set
// is an allowlist: javascript:, data:, file:, view-source:, jar: and the
// like belong to no form.
type URLSchemes uint8

const (
	// SchemeHTTPS is https://host... (schemes: https).
	SchemeHTTPS URLSchemes = 1 << iota
	// SchemeHTTP is http://host... on any host (schemes: http).
	SchemeHTTP
	// SchemeLoopbackHTTP is http:// on a loopback host: localhost,
	// 127.0.0.0/8 or [::1], where a native app listens for its redirect
	// (RFC 8252 section 7.3; schemes: loopback-http).
	SchemeLoopbackHTTP
	// SchemePrivateUse is a native app's own scheme (RFC 8252 section 7.1;
	// schemes: private-use): a reverse domain name such as
	// com.example.app:/callback, or one of the schemes that MCP clients
	// register without a dot (cursor, vscode, vscode-insiders, windsurf).
	SchemePrivateUse
)

// RedirectSchemes are the redirect URIs of OAuth 2.1 for web and native
// apps (RFC 8252): https, loopback http and private-use schemes.
const RedirectSchemes = SchemeHTTPS | SchemeLoopbackHTTP | SchemePrivateUse

// urlSchemes are the forms of the schemes option, in the order of the
// flags (form i is the flag 1<<i): the name a schema spells, and what an
// error message says the form accepts.
var urlSchemes = []struct{ name, accepts string }{
	{"https", "https"},
	{"http", "http"},
	{"loopback-http", "http on a loopback host"},
	{"private-use", "private-use schemes of native apps such as com.example.app:/callback"},
}

// URLSchemeNames returns the names the schemes option of a url field accepts.
func URLSchemeNames() []string {
	names := make([]string, len(urlSchemes))
	for i, form := range urlSchemes {
		names[i] = form.name
	}
	return names
}

// ParseURLScheme returns the flag of a name of the schemes option.
func ParseURLScheme(name string) (URLSchemes, bool) {
	for i, form := range urlSchemes {
		if form.name == name {
			return 1 << i, true
		}
	}
	return 0, false
}

// privateUseSchemes are the private-use schemes without a dot that MCP
// clients register; RFC 8252 asks for reverse domain names, which need no list.
var privateUseSchemes = []string{"cursor", "vscode", "vscode-insiders", "windsurf"}

// isPrivateUse reports whether scheme (lower case) is a private-use scheme:
// a reverse domain name (labels joined by dots, none empty) or a known one.
func isPrivateUse(scheme string) bool {
	if slices.Contains(privateUseSchemes, scheme) {
		return true
	}
	// url.Parse has made sure a scheme starts with a letter
	return strings.Contains(scheme, ".") && !strings.Contains(scheme, "..") && !strings.HasSuffix(scheme, ".")
}

// CheckURL returns why s is not a URL of the forms allowed, or "" when it is
// one. On top of the scheme, every form must be an absolute URL whose port,
// when given, is 1 to 65535, and whose host is not a link-local address
// (169.254.0.0/16, fe80::/10: the cloud metadata service lives there), an
// unspecified or multicast address, or a number that is not written as
// a canonical IP address (2852039166, 0xa9fea9fe, 0251.0376.0251.0376:
// browsers and resolvers read those as addresses). A host name cannot be
// told from its text to resolve to an internal address: a server that fetches
// a URL must check the address it connects to.
//
// The message never repeats s: URLs can carry credentials.
func CheckURL(s string, allowed URLSchemes) string {
	if scheme, host, port, ok := plainURL(s); ok {
		ip, numeric := hostIP(host)
		if msg := checkScheme(scheme, host, ip, allowed); msg != "" {
			return msg
		}
		return checkHost(ip, numeric, port)
	}
	return checkParsedURL(s, allowed)
}

// checkParsedURL is CheckURL of any string, through url.Parse.
func checkParsedURL(s string, allowed URLSchemes) string {
	u, err := url.Parse(s) // refuses every control character, NUL included
	switch {
	case err != nil:
		if msg := wire.CheckText(s); msg != "" {
			return msg
		}
		if strings.ContainsAny(s, "\t\r\n") {
			return "not a URL: contains white space"
		}
		return "not a URL"
	case strings.IndexByte(s, ' ') >= 0:
		return "not a URL: contains white space"
	case !utf8.ValidString(s):
		return wire.MsgInvalidUTF8
	case u.Scheme == "":
		return "not an absolute URL: no scheme"
	case u.Host == "" && u.Opaque == "" && u.Path == "":
		return "not an absolute URL: nothing after the scheme"
	}
	host := u.Hostname()
	ip, numeric := hostIP(host)
	if msg := checkScheme(u.Scheme, host, ip, allowed); msg != "" {
		return msg
	}
	if u.Host != "" {
		return checkHost(ip, numeric, u.Port())
	}
	return ""
}

// plainURL reads the usual URL without url.Parse, which takes most of the
// time of validating a record: http:// or https://, a host of lower-case
// letters, digits, dots and hyphens, an optional port of digits, and then
// nothing, or a path, query or fragment of characters that need no escape.
// For such a URL it returns what url.Parse gives (the Scheme, Hostname and
// Port of its URL); ok is false for every other string, which CheckURL then
// parses.
func plainURL(s string) (scheme, host, port string, ok bool) {
	rest, found := strings.CutPrefix(s, "https://")
	scheme = "https"
	if !found {
		if rest, found = strings.CutPrefix(s, "http://"); !found {
			return "", "", "", false
		}
		scheme = "http"
	}
	end := 0
	for end < len(rest) && isHostByte(rest[end]) {
		end++
	}
	host, rest = rest[:end], rest[end:]
	if host == "" {
		return "", "", "", false
	}
	if after, isPort := strings.CutPrefix(rest, ":"); isPort {
		end = 0
		for end < len(after) && end < 5 && after[end] >= '0' && after[end] <= '9' {
			end++
		}
		if end == 0 {
			return "", "", "", false
		}
		port, rest = after[:end], after[end:]
	}
	if rest != "" && rest[0] != '/' && rest[0] != '?' {
		return "", "", "", false
	}
	for i := 0; i < len(rest); i++ {
		if !isPlainPathByte(rest[i]) {
			return "", "", "", false
		}
	}
	return scheme, host, port, true
}

func isHostByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-'
}

// isPlainPathByte reports the bytes that a path, query or fragment holds
// as they are: no escape (%), no white space or control character, nothing
// url.Parse reads otherwise ([, ], #).
func isPlainPathByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~/?=&:@!$'()*+,;", c) >= 0
}

// hostIP returns the address of a host written as a number, ip invalid
// when the number is no canonical IP address, and numeric false for a
// domain name: told apart without a parse, which would allocate an error.
func hostIP(host string) (ip netip.Addr, numeric bool) {
	name := strings.TrimSuffix(host, ".")
	if !strings.Contains(host, ":") && !numericLabel(name[strings.LastIndexByte(name, '.')+1:]) {
		return netip.Addr{}, false
	}
	ip, _ = netip.ParseAddr(host) // the zero Addr, invalid, on an error
	return ip.Unmap(), true
}

// checkScheme returns why a URL of scheme on host (at ip, if written as
// one) is not among allowed, or "".
func checkScheme(scheme, host string, ip netip.Addr, allowed URLSchemes) string {
	switch {
	case scheme == "https" && allowed&SchemeHTTPS != 0, scheme == "http" && allowed&SchemeHTTP != 0:
		if host == "" {
			return "not an absolute URL: no host"
		}
		return ""
	case scheme == "http" && allowed&SchemeLoopbackHTTP != 0:
		// loopback: localhost or a loopback address, written canonically
		if !strings.EqualFold(host, "localhost") && !ip.IsLoopback() {
			return "may use http only on a loopback host (localhost, 127.0.0.1, [::1]); use https"
		}
		return ""
	case isPrivateUse(scheme) && allowed&SchemePrivateUse != 0:
		return ""
	}
	var accepts []string
	for i, form := range urlSchemes {
		if allowed&(1<<i) != 0 {
			accepts = append(accepts, form.accepts)
		}
	}
	return "scheme not allowed: this field accepts " + strings.Join(accepts, ", ")
}

// checkHost returns why a URL's host (at ip, when written as a number) or
// port may not be stored, or "".
func checkHost(ip netip.Addr, numeric bool, port string) string {
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "port out of range: want 1 to 65535"
		}
	}
	switch {
	case !numeric:
		return ""
	case !ip.IsValid():
		return "host is a number but not a canonical IP address"
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast():
		return "host is a link-local address, such as the cloud metadata service's"
	case ip.IsUnspecified(), ip.IsMulticast():
		return "host is an unspecified or multicast address"
	}
	return ""
}

// numericLabel reports whether a host's last label makes the WHATWG URL
// parser, and so every browser, read the host as an IPv4 address in one of
// its legacy forms: decimal digits, or 0x and hex digits.
func numericLabel(label string) bool {
	isHex := len(label) >= 2 && label[0] == '0' && label[1]|0x20 == 'x'
	if isHex {
		label = label[2:]
	}
	for i := 0; i < len(label); i++ {
		c := label[i]
		if !('0' <= c && c <= '9' || isHex && 'a' <= c|0x20 && c|0x20 <= 'f') {
			return false
		}
	}
	return isHex || label != ""
}
