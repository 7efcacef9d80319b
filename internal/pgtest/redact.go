package pgtest

import (
	"net/url"
	"regexp"
	"strings"
)

// redactedPassword replaces a password in a DSN shown in a message.
const redactedPassword = "xxxxx"

// kvPassword matches password=... and sslpassword=... in a keyword/value
// DSN, quoted or not, with backslash escapes.
var kvPassword = regexp.MustCompile(`(?i)(\b(?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'?|(?:\\.|\S)+)`)

// urlPasswordParams are the query parameters of a URL DSN that hold secrets.
var urlPasswordParams = []string{"password", "sslpassword"}

// redactDSN returns dsn fit for a message: any password, in the userinfo or
// in a (ssl)password parameter, replaced. A URL it cannot parse is not shown at
// all, since where its password is cannot be known.
func redactDSN(dsn string) string {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return kvPassword.ReplaceAllString(dsn, "${1}"+redactedPassword)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable URL, not shown)"
	}
	q := u.Query()
	redacted := false
	for _, param := range urlPasswordParams {
		if q.Has(param) {
			q.Set(param, redactedPassword)
			redacted = true
		}
	}
	if redacted {
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}
