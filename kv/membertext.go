package kv

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// memberText returns the top-level member field of the JSON object data as
// PostgreSQL's data->>field renders it, so that Memory.Find matches what the
// PostgreSQL backend matches: a string gives its contents, true and false
// their names, a number its numeric text (1.5e1 → 15, 1.50 → 1.50). A null or
// missing member gives no text. An object or array gives no text either,
// where PostgreSQL would render it as jsonb text: finders are generated for
// scalar fields only.
func memberText(data []byte, field string) (string, bool) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(data, &members); err != nil {
		return "", false
	}
	raw := bytes.TrimSpace(members[field])
	if len(raw) == 0 {
		return "", false
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false
		}
		return s, true
	case 't', 'f':
		return string(raw), true
	case 'n', '{', '[':
		return "", false
	}
	return numericText(string(raw)), true
}

// numericText renders the JSON number s as PostgreSQL's numeric type prints
// it: no exponent, and max(0, fraction digits - exponent) decimal places.
// An exponent too large to expand sensibly leaves s as it is.
func numericText(s string) string {
	mantissa, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
		if err != nil || e > 1000 || e < -1000 {
			return s
		}
		mantissa, exp = s[:i], e
	}
	negative := strings.HasPrefix(mantissa, "-")
	mantissa = strings.TrimPrefix(mantissa, "-")
	intPart, fracPart, _ := strings.Cut(mantissa, ".")
	digits := intPart + fracPart
	scale := len(fracPart) - exp
	if scale < 0 {
		digits += strings.Repeat("0", -scale)
		scale = 0
	}
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	whole := strings.TrimLeft(digits[:len(digits)-scale], "0")
	if whole == "" {
		whole = "0"
	}
	out := whole
	if scale > 0 {
		out += "." + digits[len(digits)-scale:]
	}
	if negative && strings.Trim(digits, "0") != "" {
		out = "-" + out
	}
	return out
}
