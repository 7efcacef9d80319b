package kv

import (
	"crypto/sha256"
	"crypto/subtle"
	hexenc "encoding/hex" // the package also declares a hex digit table
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// Hashed is the SHA-256 digest of a verify-only value (a token the server
// only checks): the value itself is never stored. Its JSON form is
// "sha256:<64 lowercase hex digits>"; the zero Hashed is JSON null and
// verifies nothing.
type Hashed struct {
	sum [sha256.Size]byte
	set bool
}

const hashedPrefix = "sha256:"

// Hash returns the digest of plain.
func Hash(plain string) Hashed {
	return Hashed{sum: sha256.Sum256([]byte(plain)), set: true}
}

// ParseHashed reads the form "sha256:<64 lowercase hex digits>".
func ParseHashed(s string) (Hashed, error) {
	hexDigits, ok := strings.CutPrefix(s, hashedPrefix)
	if !ok || len(hexDigits) != 2*sha256.Size || strings.ToLower(hexDigits) != hexDigits {
		return Hashed{}, errors.New(`kv: a hashed value must be "sha256:" and 64 lowercase hex digits`)
	}
	var h Hashed
	if _, err := hexenc.Decode(h.sum[:], []byte(hexDigits)); err != nil {
		return Hashed{}, errors.New(`kv: a hashed value must be "sha256:" and 64 lowercase hex digits`)
	}
	h.set = true
	return h, nil
}

// Verify reports, in constant time, whether plain has this digest; the zero
// Hashed verifies nothing.
func (h Hashed) Verify(plain string) bool {
	sum := sha256.Sum256([]byte(plain))
	return subtle.ConstantTimeCompare(sum[:], h.sum[:]) == 1 && h.set
}

// IsZero reports whether h holds no digest.
func (h Hashed) IsZero() bool { return !h.set }

// Digest returns the stored form "sha256:<hex>", "" for the zero Hashed.
func (h Hashed) Digest() string {
	if !h.set {
		return ""
	}
	return hashedPrefix + hexenc.EncodeToString(h.sum[:])
}

// String shows a prefix of the digest: enough to tell two apart in a log.
func (h Hashed) String() string {
	if !h.set {
		return hashedPrefix + "none"
	}
	return hashedPrefix + hexenc.EncodeToString(h.sum[:4]) + "…"
}

func (h Hashed) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(h.String())) }
func (h Hashed) GoString() string           { return h.String() }
func (h Hashed) LogValue() slog.Value       { return slog.StringValue(h.String()) }

func (h Hashed) MarshalJSON() ([]byte, error) {
	if !h.set {
		return []byte("null"), nil
	}
	return []byte(`"` + h.Digest() + `"`), nil
}

// UnmarshalJSON reads null (the zero Hashed) or "sha256:<hex>".
func (h *Hashed) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*h = Hashed{}
		return nil
	}
	if len(data) < 2 || data[0] != '"' || data[len(data)-1] != '"' {
		return errors.New(`kv: a hashed value must be a JSON string "sha256:<hex>"`)
	}
	parsed, err := ParseHashed(string(data[1 : len(data)-1]))
	if err != nil {
		return err
	}
	*h = parsed
	return nil
}
