package kvimpl

import (
	"encoding/json"
	"time"

	"github.com/kvgen/kvgen/kv"
)

// The Types of the kinds of the schema language that take no parameter.
// They are functions rather than variables so that go doc shows what each
// is, not the functions it is made of, and no package can change one; a
// Type is copied into its Field once, when a generated table is built, so
// reading and writing records never call them.

// String is a string, written as JSON can hold it (see wire.CheckText).
func String() Type[string] { return stringType }

// Int is an integer; a float with no fraction (3.0) is read too.
func Int() Type[int64] { return intType }

// Float is a number; NaN and the infinities cannot be written.
func Float() Type[float64] { return floatType }

// Bool is a boolean.
func Bool() Type[bool] { return boolType }

// Timestamp is a time written in RFC 3339.
func Timestamp() Type[time.Time] { return timestampType }

// Unixtime is a time written as integer seconds since the epoch.
func Unixtime() Type[time.Time] { return unixtimeType }

// JSON is any JSON, kept as its text.
func JSON() Type[json.RawMessage] { return jsonType }

// Secret is a sensitive string: sealed on its own in encryption: fields,
// redacted in MarshalJSON, and a kv.Secret, which never prints.
func Secret() Type[kv.Secret] { return secretType }

// Hashed is the digest of a verify-only value.
func Hashed() Type[kv.Hashed] { return hashedType }
