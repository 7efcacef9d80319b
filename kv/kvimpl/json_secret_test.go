package kvimpl_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/kvimpl"
)

const sealedSecret = "s3cr3t-bound-value"

// TestSealerBindsMembersToTheirPlace: a secret sealed in fields mode opens
// only under the collection, key and path it was sealed for; a token
// copied anywhere else is ErrDecrypt, and the error holds no plaintext.
func TestSealerBindsMembersToTheirPlace(t *testing.T) {
	ring := newRing(t)
	at := kvimpl.Sealer{Encrypter: ring, Collection: "clients", Key: "c1", Expect: true, Plaintext: new(kv.PlaintextCounter)}
	sealed, err := at.Seal(nil, "client_secret", sealedSecret)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := at.Open("client_secret", sealed); err != nil || got != sealedSecret || at.Plaintext.Load() != 0 {
		t.Fatalf("Open where it was sealed = %q, %v, counted %d", got, err, at.Plaintext.Load())
	}
	elsewhere := map[string]struct {
		s     kvimpl.Sealer
		field string
	}{
		"another key":        {kvimpl.Sealer{Encrypter: ring, Collection: "clients", Key: "c2"}, "client_secret"},
		"another collection": {kvimpl.Sealer{Encrypter: ring, Collection: "other", Key: "c1"}, "client_secret"},
		"another member":     {at, "refresh_token"},
		// the parts are length-prefixed: moving bytes between them is another place
		"shifted parts": {kvimpl.Sealer{Encrypter: ring, Collection: "clientsc", Key: "1"}, "client_secret"},
	}
	for name, e := range elsewhere {
		got, err := e.s.Open(e.field, sealed)
		if !errors.Is(err, kv.ErrDecrypt) || got != "" {
			t.Errorf("Open in %s = %q, %v; want ErrDecrypt", name, got, err)
		}
		if err != nil && strings.Contains(err.Error(), sealedSecret) {
			t.Errorf("Open in %s: the error holds the plaintext: %v", name, err)
		}
	}

	// A binding of a version this code does not know is refused, not read as
	// an unbound member.
	future, err := kv.Seal(ring, []byte("\x00kv\x02"+strings.Repeat("\x00", 16)+`"`+sealedSecret+`"`))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := at.Open("client_secret", future); !errors.Is(err, kv.ErrDecrypt) {
		t.Errorf("Open of binding version 2 = %q, %v; want ErrDecrypt", got, err)
	}
}

// TestMapCodecOpensTypedSecrets: the untyped view of fields mode
// (kv.MapCodec) reads a secret as the typed codec seals it, bound to its
// place, without counting it as plaintext.
func TestMapCodecOpensTypedSecrets(t *testing.T) {
	ring := newRing(t)
	codec, err := kv.NewMapCodec(ring, kv.EncryptionFields, []string{"s"})
	if err != nil {
		t.Fatal(err)
	}
	typed, err := kvimpl.Sealer{Encrypter: ring, Collection: "c", Key: "k1"}.Seal([]byte(`{"s":`), "s", sealedSecret)
	if err != nil {
		t.Fatal(err)
	}
	got, err := codec.Decode("c", "k1", append(typed, '}'))
	if err != nil || got["s"] != sealedSecret || codec.PlaintextReads() != 0 {
		t.Errorf("Decode of the typed codec's member = %v, %v, counted %d", got, err, codec.PlaintextReads())
	}
}

// TestSealerOlderForms: plaintext and a member sealed before members were
// bound are read and counted where an envelope is expected, refused there
// with Strict, and read without a count inside a value sealed as a whole.
func TestSealerOlderForms(t *testing.T) {
	ring := newRing(t)
	unbound, err := kv.Seal(ring, []byte(`"`+sealedSecret+`"`))
	if err != nil {
		t.Fatal(err)
	}
	for name, raw := range map[string][]byte{
		"plaintext": []byte(`"` + sealedSecret + `"`),
		"unbound":   unbound,
	} {
		t.Run(name, func(t *testing.T) {
			s := kvimpl.Sealer{Encrypter: ring, Collection: "clients", Key: "c1", Expect: true, Plaintext: new(kv.PlaintextCounter)}
			if got, err := s.Open("client_secret", raw); err != nil || got != sealedSecret || s.Plaintext.Load() != 1 {
				t.Errorf("Open = %q, %v, counted %d; want it read and counted once", got, err, s.Plaintext.Load())
			}
			s.Strict = true
			got, err := s.Open("client_secret", raw)
			if !errors.Is(err, kv.ErrDecrypt) || got != "" || s.Plaintext.Load() != 1 {
				t.Errorf("strict Open = %q, %v, counted %d; want ErrDecrypt, not counted", got, err, s.Plaintext.Load())
			}
			if err != nil && strings.Contains(err.Error(), sealedSecret) {
				t.Errorf("strict Open: the error holds the plaintext: %v", err)
			}
			s.Expect = false // inside a value sealed as a whole
			if got, err := s.Open("client_secret", raw); err != nil || got != sealedSecret || s.Plaintext.Load() != 1 {
				t.Errorf("Open where no envelope is expected = %q, %v, counted %d; want it read, not counted", got, err, s.Plaintext.Load())
			}
		})
	}
}

// BenchmarkSealerOpen opens a sealed secret as a fields-mode read does,
// from the envelope as jsonb returns it.
func BenchmarkSealerOpen(b *testing.B) {
	ring, err := kv.ParseKeys("cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=")
	if err != nil {
		b.Fatal(err)
	}
	s := kvimpl.Sealer{Encrypter: ring, Collection: "clients", Key: "client-000000", Expect: true, Plaintext: new(kv.PlaintextCounter)}
	sealed, err := s.Seal(nil, "client_secret", "sk-000000-Jx9Qm2VfT7wLpZr4Hc8NbYd3KsGe6UaR")
	if err != nil {
		b.Fatal(err)
	}
	stored := []byte(strings.Replace(strings.Replace(string(sealed), `":`, `": `, 2), `",`, `", `, 1)) // as jsonb writes it
	for b.Loop() {
		if _, err := s.Open("client_secret", stored); err != nil {
			b.Fatal(err)
		}
	}
}
