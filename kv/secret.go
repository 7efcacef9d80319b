package kv

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
)

// Redacted is what a Secret prints as.
const Redacted = "[REDACTED]"

// Secret is a sensitive string: it never prints. fmt (every verb it accepts
// for a string: %v, %+v, %#v, %s, %q, %x, ...), slog, text/template,
// encoding/json, encoding/xml, yaml.v3 and every encoder that falls back to
// encoding.TextMarshaler write "[REDACTED]", also as a field of a struct, an
// element of a slice or a map value; gob refuses it. Reveal returns the
// value; the generated codec stores string(s).
//
// Those are the paths that call a method. Code that reads the string by
// reflection does not, and a method cannot stop it while Secret is a string
// (which keeps kv.Secret("…") and comparisons working): fmt on a field it
// cannot call methods of (unexported) and in the error form of a verb it
// rejects for strings (%!p(kv.Secret=…)), encoding/json on a map key (it
// writes string keys directly), encoding/xml's ",comment" fields,
// reflect.Value.String and the dumpers built on reflection (go-spew,
// testify's diffs).
type Secret string

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(Redacted)) }
func (s Secret) String() string             { return Redacted }
func (s Secret) GoString() string           { return Redacted }
func (s Secret) LogValue() slog.Value       { return slog.StringValue(Redacted) }

// MarshalJSON redacts, so that logging a record as JSON does not leak it.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText redacts: it is what encoders without a method of their own
// for Secret fall back to (encoding/json's map keys, XML character data,
// TOML, environment-style writers).
func (s Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// MarshalXML and MarshalXMLAttr redact in encoding/xml, as element and as
// attribute.
func (s Secret) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return e.EncodeElement(Redacted, start)
}

func (s Secret) MarshalXMLAttr(name xml.Name) (xml.Attr, error) {
	return xml.Attr{Name: name, Value: Redacted}, nil
}

// MarshalYAML redacts in gopkg.in/yaml.v3 (and v2, which has the same
// method), which would otherwise write the string itself.
func (s Secret) MarshalYAML() (any, error) { return Redacted, nil }

// errGob is GobEncode's refusal: gob stores and sends values rather than
// showing them, and a secret that came back as "[REDACTED]" would be lost
// without a sign.
var errGob = errors.New("kv: a Secret is not gob-encoded: send Reveal() where it must go")

// GobEncode refuses, so that gob neither sends the secret nor silently
// replaces it.
func (s Secret) GobEncode() ([]byte, error) { return nil, errGob }

// UnmarshalJSON reads a JSON string.
func (s *Secret) UnmarshalJSON(data []byte) error {
	var v string
	if err := json.Unmarshal(data, &v); err != nil {
		return fmt.Errorf("kv: secret is not a JSON string")
	}
	*s = Secret(v)
	return nil
}
