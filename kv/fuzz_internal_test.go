package kv

import (
	"testing"
)

// FuzzStoredValue feeds arbitrary stored bytes to everything that reads
// them: none may panic, and a value that decodes must be a JSON object.
func FuzzStoredValue(f *testing.F) {
	ring, err := ParseKeys("3Jt8wQm2Yk5pR9vX1cN6bF4hL0sD7gA2zE8uK3iO5yM=")
	if err != nil {
		f.Fatal(err)
	}
	sealed, err := Seal(ring, []byte(`{"a":1}`))
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		string(sealed), `{"s":` + string(sealed) + `,"n":1.5e1}`, `{}`, `[]`, `null`, `{"__encrypted_data__":""}`,
		`{"__encrypted_data__":"Z0FBQUFB","__encryption_version__":1}`, `{"a":"\ud800"}`, `{"a":1e999999999}`,
	} {
		f.Add([]byte(seed))
	}
	codecs := []MapCodec{
		{Mode: EncryptionNone},
		{Mode: EncryptionValue, Encrypter: ring, Counter: new(PlaintextCounter)},
		{Mode: EncryptionFields, Encrypter: ring, Sensitive: []string{"s"}},
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, c := range codecs {
			if v, err := c.Decode("c", "k", raw); err == nil && v == nil {
				t.Errorf("Decode(%q) gave a nil map and no error", raw)
			}
		}
		IsEnvelope(raw)
		_, _ = Open(ring, raw)
		_, _, _ = Reseal(ring, "c", "k", raw, []string{"s"})
		memberText(raw, "a")
		memberText(raw, "n")
		_, _ = ring.Decrypt(raw)
	})
}
