package kvimpl_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/kvimpl"
)

// account is a record as kvgen generates it, with secrets at every depth:
// at the top, in an object, and in each element of a list of objects.
type account struct {
	ID      string
	Name    string
	Secret  kv.Secret
	Up      *upstream
	Tokens  []token
	Tags    []string
	unknown kvimpl.Unknown
}

type upstream struct {
	AccessToken kv.Secret
	Issuer      string
	unknown     kvimpl.Unknown
}

type token struct {
	Kind    string
	Value   kv.Secret
	unknown kvimpl.Unknown
}

var fieldsOfAccount = kvimpl.NewFields(
	func(r *account) *kvimpl.Unknown { return &r.unknown },
	kvimpl.Required("id", func(r *account) *string { return &r.ID }, kvimpl.String()),
	kvimpl.Optional("name", func(r *account) *string { return &r.Name }, kvimpl.String()),
	kvimpl.Optional("secret", func(r *account) *kv.Secret { return &r.Secret }, kvimpl.Secret()),
	kvimpl.Optional("up", func(r *account) **upstream { return &r.Up }, kvimpl.Pointer(kvimpl.Object(fieldsOfUpstream, (*upstream).read))),
	kvimpl.Optional("tokens", func(r *account) *[]token { return &r.Tokens }, kvimpl.List(kvimpl.Object(fieldsOfToken, (*token).read))),
	kvimpl.Optional("tags", func(r *account) *[]string { return &r.Tags }, kvimpl.List(kvimpl.String())),
)

var fieldsOfUpstream = kvimpl.NewFields(
	func(r *upstream) *kvimpl.Unknown { return &r.unknown },
	kvimpl.Optional("access_token", func(r *upstream) *kv.Secret { return &r.AccessToken }, kvimpl.Secret()),
	kvimpl.Optional("issuer", func(r *upstream) *string { return &r.Issuer }, kvimpl.URL(kv.SchemeHTTPS)),
)

var fieldsOfToken = kvimpl.NewFields(
	func(r *token) *kvimpl.Unknown { return &r.unknown },
	kvimpl.Optional("kind", func(r *token) *string { return &r.Kind }, kvimpl.Enum("bearer", "mac").Default("bearer")),
	kvimpl.Optional("value", func(r *token) *kv.Secret { return &r.Value }, kvimpl.Secret()),
)

// sensitivePaths are the paths of account's secrets, as the generated
// store gives them to the untyped view and to Reencrypt.
var sensitivePaths = []string{"secret", "up.access_token", "tokens[].value"}

func accountRecord(encryption string) *kvimpl.Record[account] {
	return &kvimpl.Record[account]{
		Fields:     fieldsOfAccount,
		Key:        func(r *account) *string { return &r.ID },
		KeyName:    "id",
		Encryption: encryption,
	}
}

func (r account) Format(f fmt.State, verb rune)  { kvimpl.Format(f, verb, r) }
func (r upstream) Format(f fmt.State, verb rune) { kvimpl.Format(f, verb, r) }
func (r token) Format(f fmt.State, verb rune)    { kvimpl.Format(f, verb, r) }

func (r account) MarshalJSON() ([]byte, error) { return fieldsOfAccount.Marshal(r) }

func (r *account) UnmarshalJSON(data []byte) error {
	*r = account{}
	return fieldsOfAccount.Unmarshal(data, r.read)
}

func (r *account) read(d *kvimpl.Decoder, field int) error {
	switch field {
	case 0:
		return d.String(&r.ID)
	case 1:
		return d.String(&r.Name)
	case 2:
		return kvimpl.Read(d, &r.Secret)
	case 3:
		return kvimpl.Read(d, &r.Up)
	case 4:
		return kvimpl.Read(d, &r.Tokens)
	case 5:
		return d.Strings(&r.Tags)
	}
	return d.Keep(&r.unknown)
}

func (r *upstream) read(d *kvimpl.Decoder, field int) error {
	switch field {
	case 0:
		return kvimpl.Read(d, &r.AccessToken)
	case 1:
		return d.String(&r.Issuer)
	}
	return d.Keep(&r.unknown)
}

func (r *token) read(d *kvimpl.Decoder, field int) error {
	switch field {
	case 0:
		return d.String(&r.Kind)
	case 1:
		return kvimpl.Read(d, &r.Value)
	}
	return d.Keep(&r.unknown)
}

// decode is a generated codec's Decode.
func decode(rec *kvimpl.Record[account], c kvimpl.Crypto, key string, data []byte) (account, error) {
	var v account
	if err := rec.Decode(c, "accounts", key, data, v.read); err != nil {
		return account{}, err
	}
	return v, nil
}

// secrets of sample, which must never be printed or stored in clear.
var secrets = []string{"top-s3cret", "up-s3cret", "tok0-s3cret", "tok1-s3cret"}

func sample() account {
	return account{
		ID: "a1", Name: "Ann", Secret: "top-s3cret",
		Up:     &upstream{AccessToken: "up-s3cret", Issuer: "https://idp.example"},
		Tokens: []token{{Kind: "bearer", Value: "tok0-s3cret"}, {Kind: "mac", Value: "tok1-s3cret"}},
		Tags:   []string{"x"},
	}
}

// TestFormatPrintsFieldsOnly: fmt prints a record's fields, in every verb,
// and neither the members it keeps without knowing them (whatever they
// hold) nor a secret, at any depth.
func TestFormatPrintsFieldsOnly(t *testing.T) {
	var r account
	data := `{"id":"a1","name":"Ann","secret":"top-s3cret","x_kept":"unknown-bytes-here",` +
		`"up":{"access_token":"up-s3cret","x_nested":"unknown-nested-bytes"},"tokens":[{"value":"tok0-s3cret","x_el":"unknown-element-bytes"}]}`
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d", "%10v"} {
		out := fmt.Sprintf(verb, r) + fmt.Sprintf(verb, &r) + fmt.Sprintf(verb, []account{r})
		for _, hidden := range append([]string{"unknown", "x_kept", "x_nested", "x_el", "756e6b6e6f776e"}, secrets...) {
			if strings.Contains(out, hidden) {
				t.Errorf("%s prints %q: %s", verb, hidden, out)
			}
		}
	}
	if got, want := fmt.Sprintf("%+v", r), "{ID:a1 Name:Ann Secret:[REDACTED] Up:{AccessToken:[REDACTED] Issuer:} Tokens:[{Kind: Value:[REDACTED]}] Tags:[]}"; got != want {
		t.Errorf("%%+v = %s\nwant %s", got, want)
	}
	if got, want := fmt.Sprintf("%#v", *r.Up), `kvimpl_test.upstream{AccessToken:[REDACTED], Issuer:""}`; got != want {
		t.Errorf("%%#v = %s, want %s", got, want)
	}
}

// TestNestedSecretsFieldsMode: in encryption: fields, each secret is an
// envelope at its own place in the stored JSON, bound to its path, which
// the untyped view opens too; the record round-trips; MarshalJSON redacts
// them all.
func TestNestedSecretsFieldsMode(t *testing.T) {
	ring := newRing(t)
	rec := accountRecord(kv.EncryptionFields)
	crypto := kvimpl.Crypto{Encrypter: ring, Plaintext: new(kv.PlaintextCounter)}
	stored, err := rec.Encode(crypto, "accounts", "a1", sample())
	if err != nil {
		t.Fatal(err)
	}
	var tree struct {
		Secret json.RawMessage
		Up     struct {
			AccessToken json.RawMessage `json:"access_token"`
		}
		Tokens []struct{ Kind, Value json.RawMessage }
	}
	if err := json.Unmarshal(stored, &tree); err != nil {
		t.Fatal(err)
	}
	for place, raw := range map[string]json.RawMessage{"secret": tree.Secret, "up.access_token": tree.Up.AccessToken, "tokens[0].value": tree.Tokens[0].Value, "tokens[1].value": tree.Tokens[1].Value} {
		if !kv.IsEnvelope(raw) {
			t.Errorf("%s is stored as %s; want an envelope", place, raw)
		}
	}
	if string(tree.Tokens[1].Kind) != `"mac"` {
		t.Errorf("tokens[1].kind is stored as %s; want it plain", tree.Tokens[1].Kind)
	}
	for _, s := range secrets {
		if strings.Contains(string(stored), s) {
			t.Errorf("the stored value holds %q: %s", s, stored)
		}
	}
	got, err := decode(rec, crypto, "a1", stored)
	if err != nil || fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", sample()) || revealAll(got) != revealAll(sample()) {
		t.Errorf("Decode(Encode(r)) = %+v, %v", got, err)
	}
	untyped, err := kv.NewMapCodec(ring, kv.EncryptionFields, sensitivePaths)
	if err != nil {
		t.Fatal(err)
	}
	m, err := untyped.Decode("accounts", "a1", stored)
	if err != nil || m["tokens"].([]any)[1].(map[string]any)["value"] != "tok1-s3cret" || m["up"].(map[string]any)["access_token"] != "up-s3cret" {
		t.Errorf("the untyped view reads %v, %v", m, err)
	}
	back, err := untyped.Encode("accounts", "a1", m)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := decode(rec, crypto, "a1", back); err != nil || revealAll(got) != revealAll(sample()) {
		t.Errorf("the untyped view's write reads %+v, %v", got, err)
	}
	if crypto.Plaintext.Load() != 0 {
		t.Errorf("%d plaintext reads", crypto.Plaintext.Load())
	}
	printed, err := json.Marshal(sample())
	if err != nil || strings.Count(string(printed), kv.Redacted) != 4 {
		t.Errorf("MarshalJSON = %s, %v; want the four secrets redacted", printed, err)
	}
	// tokens[1].value copied over tokens[0].value does not open there
	moved := strings.Replace(string(stored), string(tree.Tokens[0].Value), string(tree.Tokens[1].Value), 1)
	if _, err := decode(rec, crypto, "a1", []byte(moved)); !errors.Is(err, kv.ErrDecrypt) || !strings.Contains(err.Error(), `"tokens[0].value"`) {
		t.Errorf("Decode of an envelope moved to another element: %v; want ErrDecrypt naming tokens[0].value", err)
	}
}

// TestNestedSecretsValueMode: in encryption: value, the nested secrets are
// plain inside the one envelope of the whole value.
func TestNestedSecretsValueMode(t *testing.T) {
	ring := newRing(t)
	rec := accountRecord(kv.EncryptionValue)
	crypto := kvimpl.Crypto{Encrypter: ring, Plaintext: new(kv.PlaintextCounter)}
	stored, err := rec.Encode(crypto, "accounts", "a1", sample())
	if err != nil {
		t.Fatal(err)
	}
	plain, err := kv.Open(ring, stored)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if !strings.Contains(string(plain), `"`+s+`"`) {
			t.Errorf("the sealed value does not hold %q as a string: %s", s, plain)
		}
	}
	got, err := decode(rec, crypto, "a1", stored)
	if err != nil || revealAll(got) != revealAll(sample()) || crypto.Plaintext.Load() != 0 {
		t.Errorf("Decode(Encode(r)) = %+v, %v, %d plaintext", got, err, crypto.Plaintext.Load())
	}
}

// revealAll lists every field of r with its secrets revealed.
func revealAll(r account) string {
	out := fmt.Sprint(r.ID, r.Name, r.Secret.Reveal(), r.Tags)
	if r.Up != nil {
		out += fmt.Sprint(r.Up.AccessToken.Reveal(), r.Up.Issuer)
	}
	for _, tok := range r.Tokens {
		out += fmt.Sprint(tok.Kind, tok.Value.Reveal())
	}
	return out
}

// TestRecordOutlivesItsBuffers: what a record read holds, the members kept
// unknown included, is its own memory, in every mode: its strings are cut
// from chunks that are never written again, and a value sealed as a whole
// is decrypted into a buffer that the next read reuses (and clears).
func TestRecordOutlivesItsBuffers(t *testing.T) {
	ring := newRing(t)
	for _, mode := range []string{kv.EncryptionNone, kv.EncryptionFields, kv.EncryptionValue} {
		rec := accountRecord(mode)
		crypto := kvimpl.Crypto{Encrypter: ring, Plaintext: new(kv.PlaintextCounter)}
		if mode == kv.EncryptionNone {
			crypto.Encrypter = nil
		}
		parse := func(text string) account {
			var r account
			if err := json.Unmarshal([]byte(text), &r); err != nil {
				t.Fatal(err)
			}
			return r
		}
		read := func(r account) account {
			stored, err := rec.Encode(crypto, "accounts", r.ID, r)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decode(rec, crypto, r.ID, stored)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		text := `{"id":"a1","name":"Ann","secret":"top-s3cret","tags":["x","y"],"extra":{"k":"v"}}`
		first := read(parse(text))
		for range 3 { // the same lengths: any memory shared would be overwritten
			read(parse(`{"id":"b2","name":"Bob","secret":"oth-s3cret","tags":["p","q"],"extra":{"k":"w"}}`))
		}
		want := parse(text)
		if got, want := revealAll(first)+mustJSON(t, first), revealAll(want)+mustJSON(t, want); got != want {
			t.Errorf("%s: a record changed when the next ones were read:\n got %q\nwant %q", mode, got, want)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSealedValueInAnyLayout: a value sealed as a whole reads the same in
// every encrypted mode however its envelope is laid out: as Seal writes it
// and as jsonb returns it, or with line breaks, all read on the usual path;
// with its members reversed, met by the decoder; and with an escape in the
// base64, which starts sealed but is handed on to the decoder. A tampered
// token in that last layout is kv.ErrDecrypt, and a value that is no JSON
// around the member kv.ErrCorrupt.
func TestSealedValueInAnyLayout(t *testing.T) {
	ring := newRing(t)
	crypto := kvimpl.Crypto{Encrypter: ring, Plaintext: new(kv.PlaintextCounter)}
	stored, err := accountRecord(kv.EncryptionValue).Encode(crypto, "accounts", "a1", sample())
	if err != nil {
		t.Fatal(err)
	}
	var envelope struct {
		Data string `json:"__encrypted_data__"`
	}
	if err := json.Unmarshal(stored, &envelope); err != nil {
		t.Fatal(err)
	}
	escaped := func(data string) string { // its first character as \u00XX
		return `{"__encrypted_data__":"` + fmt.Sprintf(`\u%04x`, data[0]) + data[1:] + `","__encryption_version__":1}`
	}
	layouts := []string{
		string(stored),
		`{"__encrypted_data__": "` + envelope.Data + `", "__encryption_version__": 1}`,
		"{\n  \"__encrypted_data__\" : \"" + envelope.Data + "\",\n  \"__encryption_version__\" : 1\n}",
		`{"__encryption_version__":1,"__encrypted_data__":"` + envelope.Data + `"}`,
		escaped(envelope.Data),
	}
	n := len(envelope.Data) / 2
	tampered := envelope.Data[:n] + string(envelope.Data[n]^1) + envelope.Data[n+1:]
	for _, mode := range []string{kv.EncryptionFields, kv.EncryptionValue} {
		rec := accountRecord(mode)
		for _, layout := range layouts {
			got, err := decode(rec, crypto, "a1", []byte(layout))
			if err != nil || revealAll(got) != revealAll(sample()) {
				t.Errorf("%s: Decode(%s) = %+v, %v; want the sample record", mode, layout, got, err)
			}
		}
		if _, err := decode(rec, crypto, "a1", []byte(escaped(tampered))); !errors.Is(err, kv.ErrDecrypt) {
			t.Errorf("%s: Decode of a tampered token in an unusual layout: %v; want kv.ErrDecrypt", mode, err)
		}
		if _, err := decode(rec, crypto, "a1", []byte(`{"id": "a1", "__encrypted_data__": "x", "name": }`)); !errors.Is(err, kv.ErrCorrupt) {
			t.Errorf("%s: Decode of no JSON around the envelope's member: %v; want kv.ErrCorrupt", mode, err)
		}
	}
	if n := crypto.Plaintext.Load(); n != 0 {
		t.Errorf("%d values counted as plaintext; want none", n)
	}
}
