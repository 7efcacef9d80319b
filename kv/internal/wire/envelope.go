package wire

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/kvgen/kvgen/kv/internal/fastbase64"
)

// The envelope is py-key-value's FernetEncryptionWrapper format:
//
//	{"__encrypted_data__": "<standard padded base64 of the Fernet token>", "__encryption_version__": 1}
//
// It holds a whole value (encryption: value) or one member (encryption: fields).
const (
	DataKey         = "__encrypted_data__"
	VersionKey      = "__encryption_version__"
	envelopeVersion = 1
)

// Encrypter is kv.Encrypter, declared again here so that kv and kvimpl can
// share the envelope code: a kv.Encrypter is one.
type Encrypter interface {
	Encrypt(plaintext []byte) (token []byte, err error)
	Decrypt(token []byte) (plaintext []byte, err error)
}

// Seal encrypts plaintext (the compact JSON of a value) with e and returns
// the envelope holding it.
func Seal(e Encrypter, plaintext []byte) ([]byte, error) {
	if e == nil {
		return nil, errors.New("kv: no Encrypter configured")
	}
	token, err := e.Encrypt(plaintext)
	if err != nil {
		return nil, fmt.Errorf("kv: encrypt: %w", err)
	}
	out := make([]byte, 0, len(sealedPrefix)+fastbase64.Std.EncodedLen(len(token))+len(sealedSuffix))
	out = append(out, sealedPrefix...)
	out = fastbase64.Std.AppendEncode(out, token)
	return append(out, sealedSuffix...), nil
}

// What Seal writes around the base64 of the token.
const (
	sealedPrefix = `{"` + DataKey + `":"`
	sealedSuffix = `","` + VersionKey + `":1}`
)

// IsEnvelope reports whether raw is a JSON object with an
// "__encrypted_data__" member: what Python's wrapper takes for encrypted,
// and anything else for plaintext. It parses raw only when the member name
// occurs in it (see hasEnvelopeMember).
func IsEnvelope(raw []byte) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return false
	}
	return hasEnvelopeMember(raw)
}

// StartsSealed reports whether the JSON object data opens with the member
// "__encrypted_data__", as every whole-value envelope does whoever wrote it
// (jsonb orders the shorter name first): such a value is opened without
// being read as a record first.
func StartsSealed(data []byte) bool {
	i := SkipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	i = SkipSpace(data, i+1)
	return bytes.HasPrefix(data[i:], dataKeyQuoted)
}

var dataKeyQuoted = []byte(`"` + DataKey + `"`)

// Open returns the plaintext inside the envelope raw. A missing or unknown
// version, data that is not standard base64 and a token that does not
// decrypt are errors; they never carry plaintext or key material.
func Open(e Encrypter, raw []byte) ([]byte, error) {
	token, err := Token(raw)
	if err != nil {
		return nil, err
	}
	return Decrypt(e, token)
}

// Decrypt returns the plaintext of a Fernet token.
func Decrypt(e Encrypter, token []byte) ([]byte, error) {
	if e == nil {
		return nil, errors.New("encrypted, and no Encrypter is configured")
	}
	plaintext, err := e.Decrypt(token)
	if err != nil {
		return nil, fmt.Errorf("decrypt: %w", err)
	}
	return plaintext, nil
}

// AppendDecrypt is set by package kv: for its KeyRing (ok), it appends the
// plaintext of token to dst, so that a reader done with the plaintext once
// read reuses its buffer. ok is false for any other Encrypter, whose
// plaintext may be memory it keeps.
var AppendDecrypt func(e Encrypter, dst, token []byte) (plaintext []byte, ok bool, err error)

// DecryptTo is Decrypt appending to dst when e is kv's KeyRing (see
// AppendDecrypt), which toDst reports: the caller may reuse the plaintext's
// memory then, and not otherwise.
func DecryptTo(e Encrypter, dst, token []byte) (plaintext []byte, toDst bool, err error) {
	if AppendDecrypt != nil && e != nil {
		plaintext, toDst, err = AppendDecrypt(e, dst, token)
	}
	if !toDst {
		plaintext, err = Decrypt(e, token)
		return plaintext, false, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("decrypt: %w", err)
	}
	return plaintext, true, nil
}

// Token checks the envelope raw and returns its Fernet token.
func Token(raw []byte) ([]byte, error) {
	if token, ok := FastToken(raw); ok {
		return token, nil
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return nil, errors.New("envelope is not a JSON object")
	}
	var version json.Number
	if v, ok := members[VersionKey]; !ok {
		return nil, errors.New("envelope has no " + VersionKey)
	} else if bytes.HasPrefix(v, []byte(`"`)) || json.Unmarshal(v, &version) != nil {
		return nil, errors.New("envelope version is not a number")
	}
	if n, err := version.Int64(); err != nil || n != envelopeVersion {
		return nil, fmt.Errorf("envelope version %s is not supported (only %d)", shortText(version.String()), envelopeVersion)
	}
	var data string
	if err := json.Unmarshal(members[DataKey], &data); err != nil {
		return nil, errors.New("envelope data is not a JSON string")
	}
	token, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return nil, errors.New("envelope data is not standard base64")
	}
	return token, nil
}

// shortText bounds a piece of stored text quoted in an error.
func shortText(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}

// FastToken returns the Fernet token of an envelope in the shape that Seal,
// py-key-value and jsonb write: the data member first, its text without
// escapes, then the version, the integer 1, white space anywhere between
// tokens. It reads the envelope by its fixed text, without a JSON scan, as
// a Get does for every sealed value. ok is false for any other shape, which
// Token then reads with encoding/json, to accept it or to name what is
// wrong with it.
func FastToken(raw []byte) (token []byte, ok bool) { return AppendToken(nil, raw) }

// AppendToken is FastToken appending the token to dst, so that a buffer
// can serve for many.
func AppendToken(dst, raw []byte) (token []byte, ok bool) {
	text, ok := envelopeText(raw)
	if !ok {
		return nil, false
	}
	token, err := fastbase64.Std.AppendDecode(dst, text)
	if err != nil || !wholeText(text, len(token)-len(dst)) {
		return nil, false
	}
	return token, true
}

// wholeText reports whether text, which decoded to n bytes, has no line
// break: Decode refuses every byte outside the base64 alphabet (a quote or
// a backslash included) but the line breaks, which it skips and a JSON
// string cannot hold unescaped. Padded base64 of n bytes is 4 characters
// for each 3 bytes, a last 1 or 2 bytes padded to 4 with "==" or "=";
// text that decodes with k line breaks has k characters more, a multiple of
// 4, which the count of bytes tells without a search for them.
func wholeText(text []byte, n int) bool {
	pad := 0
	for i := len(text) - 1; i >= 0 && pad < 2 && text[i] == '='; i-- {
		pad++
	}
	return len(text)%4 == 0 && n == len(text)/4*3-pad
}

// envelopeText returns the text of the data member of an envelope in
// FastToken's shape, or false.
func envelopeText(raw []byte) ([]byte, bool) {
	text, end, ok := envelopeAt(raw)
	if !ok || SkipSpace(raw, end) != len(raw) {
		return nil, false
	}
	return text, true
}

// envelopeLen returns the length of the envelope in FastToken's shape that
// data starts with, or false: where a scan of the value would end.
func envelopeLen(data []byte) (int, bool) {
	text, end, ok := envelopeAt(data)
	if !ok || bytes.IndexByte(text, '\\') >= 0 {
		return 0, false
	}
	return end, true
}

// envelopeAt reads the envelope in FastToken's shape at the start of raw:
// the text of its data member, and its end. The two usual layouts, jsonb's
// and Seal's, are matched whole; any other goes token by token.
func envelopeAt(raw []byte) (text []byte, end int, ok bool) {
	if text, end, ok := envelopeLaidOut(raw, jsonbPrefix, jsonbSuffix); ok {
		return text, end, true
	}
	if text, end, ok := envelopeLaidOut(raw, sealedPrefix, sealedSuffix); ok {
		return text, end, true
	}
	i := 0
	token := func(lit string) bool {
		i = SkipSpace(raw, i)
		if !bytes.HasPrefix(raw[i:], []byte(lit)) {
			return false
		}
		i += len(lit)
		return true
	}
	if !token("{") || !token(`"`+DataKey+`"`) || !token(":") || !token(`"`) {
		return nil, 0, false
	}
	n := bytes.IndexByte(raw[i:], '"')
	if n < 0 {
		return nil, 0, false
	}
	text = raw[i : i+n]
	i += n + 1
	if !token(",") || !token(`"`+VersionKey+`"`) || !token(":") || !token("1") || !token("}") {
		return nil, 0, false
	}
	return text, i, true
}

// What jsonb writes around the base64 of the token: a space after each
// colon and comma.
const (
	jsonbPrefix = `{"` + DataKey + `": "`
	jsonbSuffix = `", "` + VersionKey + `": 1}`
)

// envelopeLaidOut is envelopeAt of an envelope laid out as prefix, the
// text, suffix.
func envelopeLaidOut(raw []byte, prefix, suffix string) (text []byte, end int, ok bool) {
	if len(raw) < len(prefix) || string(raw[:len(prefix)]) != prefix {
		return nil, 0, false
	}
	n := bytes.IndexByte(raw[len(prefix):], '"')
	if n < 0 {
		return nil, 0, false
	}
	end = len(prefix) + n
	if len(raw)-end < len(suffix) || string(raw[end:end+len(suffix)]) != suffix {
		return nil, 0, false
	}
	return raw[len(prefix):end], end + len(suffix), true
}

// envelopeKeyTail is the envelope's data member name and its closing quote:
// searching for it, then checking the quote before it, is three times faster
// than searching for the quoted name, whose first byte is everywhere in JSON.
var envelopeKeyTail = []byte(DataKey + `"`)

// hasEnvelopeMember reports whether raw, a JSON object, has the member
// "__encrypted_data__" at its top level and is valid JSON: what IsEnvelope
// learnt from json.Unmarshal into a map, after a search for the quoted name.
// A value without the name, or a record with sealed fields, whose envelopes
// are nested, is told apart without a scan (envelopeNameAtTop); only a value
// that has the member is scanned and validated.
// that has the member is scanned and validated.
func hasEnvelopeMember(raw []byte) bool {
	if !envelopeNameAtTop(raw) {
		return false
	}
	found := false
	err := Object(raw, func(name, _ []byte) error {
		found = found || string(name) == DataKey
		return nil
	})
	if err != nil || !found {
		return false
	}
	return Object(raw, func(_, value []byte) error {
		if !validJSON(value) {
			return ErrSyntax
		}
		return nil
	}) == nil
}

// envelopeNameAtTop reports whether "__encrypted_data__" occurs in raw as a
// member name at the top level, as far as a scan that follows only strings
// and brackets can tell; a name with escapes counts, since it may spell it.
// For valid JSON a false is exact; a true, or input that is not valid JSON,
// is left to hasEnvelopeMember's full scan.
//
// The usual case is told without a scan: in a record with sealed fields,
// each occurrence opens a nested envelope, right after its "{". In valid
// JSON a quote that follows a "{" (and white space) opens a member name of
// the object that "{" opens, which is nested unless the "{" begins raw.
func envelopeNameAtTop(raw []byte) bool {
	last, nested := -1, true
	for from := 0; ; { // forward: bytes.LastIndex is many times slower here
		k := bytes.Index(raw[from:], envelopeKeyTail)
		if k < 0 {
			break
		}
		at := from + k
		from = at + 1
		if at == 0 || raw[at-1] != '"' {
			continue // not the whole name: not a candidate
		}
		last = at
		open := at - 2 // before the opening quote
		for open > 0 && isSpace(raw[open]) {
			open--
		}
		nested = nested && open > 0 && raw[open] == '{'
	}
	if last < 1 || nested {
		return false
	}
	depth := 0
	for i := 0; i < last; i++ {
		switch raw[i] {
		case '"':
			end, err := skipString(raw, i)
			if err != nil {
				return true
			}
			if depth == 1 {
				name := raw[i+1 : end-1]
				colon := SkipSpace(raw, end)
				if colon < len(raw) && raw[colon] == ':' && (string(name) == DataKey || bytes.IndexByte(name, '\\') >= 0) {
					return true
				}
			}
			i = end - 1
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		}
	}
	return false
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// validJSON reports whether raw, one value as Object hands it out, is valid
// JSON. Object has already checked literals and the extent of strings;
// strings and numbers are checked here without encoding/json, nested values
// with it.
func validJSON(raw []byte) bool {
	switch KindOf(raw) {
	case "string":
		body := raw[1 : len(raw)-1]
		if plainString(body) {
			return true
		}
		_, err := appendUnquoted(nil, body)
		return err == nil
	case "number":
		return validNumber(raw)
	case "object", "array":
		return json.Valid(raw)
	}
	return true // true, false, null: Object matched them exactly
}

// validNumber reports whether raw is a JSON number:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(raw []byte) bool {
	i := 0
	digits := func() int {
		start := i
		for i < len(raw) && raw[i] >= '0' && raw[i] <= '9' {
			i++
		}
		return i - start
	}
	if i < len(raw) && raw[i] == '-' {
		i++
	}
	switch n := digits(); {
	case n == 0, n > 1 && raw[i-n] == '0':
		return false
	}
	if i < len(raw) && raw[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(raw) && (raw[i] == 'e' || raw[i] == 'E') {
		i++
		if i < len(raw) && (raw[i] == '+' || raw[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(raw)
}

// A member sealed in encryption: fields is bound to its place, the
// collection, key and member path of the value that holds it, so that a
// token copied to another record or member does not open there. Fernet has
// no associated data, so the binding goes inside the plaintext:
//
//	"\x00kv" 0x01 | 16 bytes of SHA-256(place) | the member's JSON
//
// The NUL byte that starts it can start no JSON text, so the plaintext of a
// member sealed before members were bound (its JSON alone) is never taken for
// a bound one. py-key-value never reads such members (it opens whole values
// only), and a whole value keeps py-key-value's plaintext, unbound.
const (
	boundMagic  = "\x00kv"
	boundPrefix = boundMagic + "\x01" // version 1
	digestBytes = sha256.Size / 2     // 128 bits: a second preimage is out of reach
)

// ErrBinding is a sealed member opened at another place than its own.
var ErrBinding = errors.New("sealed for another record or member: a token copied from elsewhere does not open here")

// Binding is the place of a sealed member: Field is its path in the value
// (client_secret, or upstream.access_token and tokens[2].secret for members
// of objects), as error messages write paths.
type Binding struct{ Collection, Key, Field string }

// digest hashes the place, each part prefixed by its length so that no two
// places hash the same input.
func (b Binding) digest() [sha256.Size]byte {
	var scratch [256]byte // a usual place fits: no allocation
	buf := scratch[:0]
	for _, part := range []string{b.Collection, b.Key, b.Field} {
		buf = binary.AppendUvarint(buf, uint64(len(part)))
		buf = append(buf, part...)
	}
	return sha256.Sum256(buf)
}

// AppendHeader appends what precedes a member's JSON in the plaintext that
// binds it to b.
func (b Binding) AppendHeader(dst []byte) []byte {
	d := b.digest()
	dst = append(dst, boundPrefix...)
	return append(dst, d[:digestBytes]...)
}

// HeaderLen is the length of what AppendHeader appends.
const HeaderLen = len(boundPrefix) + digestBytes

// Seal returns the plaintext that binds value (a member's JSON) to b.
func (b Binding) Seal(value []byte) []byte {
	return append(b.AppendHeader(make([]byte, 0, HeaderLen+len(value))), value...)
}

// Open returns the member's JSON in plaintext, and whether it was bound
// (to b: a binding to another place is ErrBinding). A plaintext without a
// binding is returned as it is.
func (b Binding) Open(plaintext []byte) (value []byte, bound bool, err error) {
	if !bytes.HasPrefix(plaintext, []byte(boundMagic)) {
		return plaintext, false, nil
	}
	if !bytes.HasPrefix(plaintext, []byte(boundPrefix)) || len(plaintext) < HeaderLen {
		return nil, false, errors.New("sealed with a binding of an unknown version")
	}
	d := b.digest()
	if !bytes.Equal(plaintext[len(boundPrefix):HeaderLen], d[:digestBytes]) {
		return nil, false, ErrBinding
	}
	return plaintext[HeaderLen:], true, nil
}
