package kv

import (
	"encoding/json"
	"fmt"
	"log/slog"
)

// Redacted is what a Secret prints as.
const Redacted = "[REDACTED]"

// Secret is a sensitive string: it never prints. Every fmt verb (%v, %+v,
// %#v, %s, %q, %x, ...), slog and encoding/json show "[REDACTED]", also as a
// field of a struct or an element of a slice, as long as fmt can reach its
// methods (an exported field). Reveal returns the value; the generated codec
// stores string(s).
type Secret string

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(Redacted)) }
func (s Secret) String() string             { return Redacted }
func (s Secret) GoString() string           { return Redacted }
func (s Secret) LogValue() slog.Value       { return slog.StringValue(Redacted) }

// MarshalJSON redacts, so that logging a record as JSON does not leak it.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// UnmarshalJSON reads a JSON string.
func (s *Secret) UnmarshalJSON(data []byte) error {
	var v string
	if err := json.Unmarshal(data, &v); err != nil {
		return fmt.Errorf("kv: secret is not a JSON string")
	}
	*s = Secret(v)
	return nil
}
