package kv_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/fernet/fernet-go"

	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/internal/wire"
)

// The token of the Fernet spec's generate.json and verify.json: the ring
// reads what any Fernet implementation writes, not only fernet-go.
func TestKeyRingReadsTheSpecVector(t *testing.T) {
	const (
		secret = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="
		token  = "gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA=="
	)
	ring := mustRing(t, secret)
	got, err := ring.Decrypt([]byte(token))
	if err != nil || string(got) != "hello" {
		t.Fatalf("Decrypt(spec token) = %q, %v; want \"hello\"", got, err)
	}
	if !ring.IsPrimary([]byte(token)) {
		t.Error("IsPrimary(spec token) = false under its own key")
	}
}

// signedToken builds a Fernet token by hand around a final block whose
// padding the test chooses, with a valid HMAC: only a key holder can make
// one, so only the padding check stands between it and a wrong plaintext.
func signedToken(t *testing.T, key *fernet.Key, last [aes.BlockSize]byte) []byte {
	t.Helper()
	sign, crypt := key[:16], key[16:]
	iv := bytes.Repeat([]byte{7}, aes.BlockSize)
	block, err := aes.NewCipher(crypt)
	if err != nil {
		t.Fatal(err)
	}
	payload := append([]byte("0123456789abcdef"), last[:]...)
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(payload, payload)
	raw := append([]byte{0x80, 0, 0, 0, 0, 0, 0, 0, 1}, iv...)
	raw = append(raw, payload...)
	mac := hmac.New(sha256.New, sign)
	mac.Write(raw)
	raw = mac.Sum(raw)
	return []byte(base64.URLEncoding.EncodeToString(raw))
}

func TestKeyRingChecksPaddingAsPKCS7(t *testing.T) {
	keyText := newKeys(t, 1)[0]
	ring := mustRing(t, keyText)
	key, err := fernet.DecodeKey(keyText)
	if err != nil {
		t.Fatal(err)
	}
	var full [aes.BlockSize]byte // 16 bytes of padding: a plaintext of exactly one block
	for i := range full {
		full[i] = aes.BlockSize
	}
	if got, err := ring.Decrypt(signedToken(t, key, full)); err != nil || string(got) != "0123456789abcdef" {
		t.Fatalf("a well-padded hand-made token = %q, %v: the test builds tokens wrongly", got, err)
	}
	var zero, tooLong, uneven [aes.BlockSize]byte
	tooLong[15] = 17
	copy(uneven[12:], []byte{9, 1, 3, 3}) // says 3, but only two bytes are 3
	for name, last := range map[string][aes.BlockSize]byte{"pad 0": zero, "pad 17": tooLong, "uneven": uneven} {
		if got, err := ring.Decrypt(signedToken(t, key, last)); err == nil {
			t.Errorf("%s: Decrypt = %q, want an error (Python's cryptography refuses this padding)", name, got)
		}
	}
}

// TestKeyRingIsPrimary: the HMAC under the first key tells its tokens, and
// only those, whatever they hold; Reencrypt leaves them alone.
func TestKeyRingIsPrimary(t *testing.T) {
	keys := newKeys(t, 2)
	ring, reversed := mustRing(t, keys[0]+","+keys[1]), mustRing(t, keys[1]+","+keys[0])
	first, err := ring.Encrypt([]byte("payload"))
	if err != nil {
		t.Fatal(err)
	}
	second, err := reversed.Encrypt([]byte("payload"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.URLEncoding.DecodeString(string(first))
	if err != nil {
		t.Fatal(err)
	}
	raw[30] ^= 1 // a bit of the ciphertext
	changed := []byte(base64.URLEncoding.EncodeToString(raw))
	key, err := fernet.DecodeKey(keys[0])
	if err != nil {
		t.Fatal(err)
	}
	var badPadding [aes.BlockSize]byte // signed by the first key; Decrypt refuses it
	if _, err := ring.Decrypt(signedToken(t, key, badPadding)); err == nil {
		t.Fatal("a token with a final byte of 0 decrypted: the test builds tokens wrongly")
	}
	for name, c := range map[string]struct {
		token []byte
		want  bool
	}{
		"the first key's":         {first, true},
		"signed by the first key": {signedToken(t, key, badPadding), true},
		"the second key's":        {second, false},
		"changed":                 {changed, false},
		"truncated":               {first[:len(first)-8], false},
		"not base64":              {append([]byte("!!!!"), first[4:]...), false},
		"empty":                   {nil, false},
	} {
		if got := ring.IsPrimary(c.token); got != c.want {
			t.Errorf("IsPrimary(%s token) = %v, want %v", name, got, c.want)
		}
	}
	if reversed.IsPrimary(first) || !reversed.IsPrimary(second) {
		t.Error("IsPrimary does not follow the order of the keys")
	}
}

// FuzzKeyRingMatchesFernetGo holds the ring's own reading of tokens to
// fernet-go, which makes them: every token Encrypt makes reads back, one
// changed bit anywhere makes both refuse it, and any other input that the
// ring accepts fernet-go accepts with the same plaintext.
func FuzzKeyRingMatchesFernetGo(f *testing.F) {
	keyText := "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="
	f.Add([]byte("hello"), 0, byte(1), []byte("gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA=="))
	f.Add([]byte(`"s3cr3t-value"`), 40, byte(0x80), []byte("not a token"))
	f.Add([]byte{}, 100, byte(2), []byte{})
	ring, err := kv.ParseKeys(keyText)
	if err != nil {
		f.Fatal(err)
	}
	keys := fernet.MustDecodeKeys(keyText)
	f.Fuzz(func(t *testing.T, plaintext []byte, pos int, bit byte, other []byte) {
		token, err := ring.Encrypt(plaintext)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := ring.Decrypt(token); err != nil || !bytes.Equal(got, plaintext) {
			t.Fatalf("Decrypt(Encrypt(%q)) = %q, %v", plaintext, got, err)
		}
		if got := fernet.VerifyAndDecrypt(token, 0, keys); got == nil || !bytes.Equal(got, plaintext) {
			t.Fatalf("fernet-go reads Encrypt(%q) as %q", plaintext, got)
		}
		checkDecryptTo(t, ring, token)
		if bit != 0 {
			raw, err := base64.URLEncoding.DecodeString(string(token))
			if err != nil {
				t.Fatal(err)
			}
			i := pos % len(raw)
			if i < 0 {
				i += len(raw)
			}
			raw[i] ^= bit
			changed := []byte(base64.URLEncoding.EncodeToString(raw))
			if got, err := ring.Decrypt(changed); err == nil {
				t.Fatalf("a token with byte %d changed decrypted to %q", i, got)
			}
			if got := fernet.VerifyAndDecrypt(changed, 0, keys); got != nil {
				t.Fatalf("fernet-go accepted a token with byte %d changed: %q", i, got)
			}
		}
		checkDecryptTo(t, ring, other)
		if got, err := ring.Decrypt(other); err == nil {
			// fernet-go refuses with nil, and accepts an empty plaintext as a non-nil empty slice
			if want := fernet.VerifyAndDecrypt(other, 0, keys); want == nil || !bytes.Equal(got, want) {
				t.Fatalf("Decrypt(%q) = %q, fernet-go says %q", other, got, want)
			}
		}
	})
}

// TestKeyRingEncryptFormat: a token is URL-safe base64 of version 0x80,
// the time it was made, a random IV, whole AES blocks and an HMAC-SHA256 of
// the rest, which fernet-go reads with a TTL counted from that time.
func TestKeyRingEncryptFormat(t *testing.T) {
	const keyText = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="
	ring, keys := mustRing(t, keyText), fernet.MustDecodeKeys(keyText)
	for _, n := range []int{0, 1, 15, 16, 17, 100} {
		plaintext := bytes.Repeat([]byte{'p'}, n)
		before := time.Now().Unix()
		token, err := ring.Encrypt(plaintext)
		after := time.Now().Unix()
		if err != nil {
			t.Fatal(err)
		}
		again, _ := ring.Encrypt(plaintext)
		raw, err := base64.URLEncoding.DecodeString(string(token))
		rawAgain, _ := base64.URLEncoding.DecodeString(string(again))
		if err != nil {
			t.Fatalf("%d bytes: the token is not URL-safe base64: %v", n, err)
		}
		made := int64(binary.BigEndian.Uint64(raw[1:9]))
		switch {
		case len(raw) != 1+8+16+(n/16+1)*16+32:
			t.Errorf("%d bytes: token of %d bytes, want %d", n, len(raw), 1+8+16+(n/16+1)*16+32)
		case raw[0] != 0x80:
			t.Errorf("%d bytes: version %#x, want 0x80", n, raw[0])
		case made < before || made > after:
			t.Errorf("%d bytes: made at %d, not between %d and %d", n, made, before, after)
		case bytes.Equal(raw[9:25], rawAgain[9:25]):
			t.Errorf("%d bytes: two tokens with the IV %x", n, raw[9:25])
		case fernet.VerifyAndDecrypt(token, time.Minute, keys) == nil:
			t.Errorf("%d bytes: fernet-go refuses the token with a TTL of a minute", n)
		}
	}
}

// checkDecryptTo holds the KeyRing's appending decryption, which reads of
// values sealed as a whole use with a reused buffer, to its Decrypt: the
// same plaintext after what dst held, the same refusals.
func checkDecryptTo(t *testing.T, ring *kv.KeyRing, token []byte) {
	t.Helper()
	prefix := []byte("kept")
	want, wantErr := ring.Decrypt(token)
	got, toDst, err := wire.DecryptTo(ring, prefix, token)
	switch {
	case (err == nil) != (wantErr == nil):
		t.Fatalf("DecryptTo(%q): err %v, Decrypt: err %v", token, err, wantErr)
	case err == nil && !toDst:
		t.Fatalf("DecryptTo(KeyRing) did not decrypt into dst")
	case err == nil && (!bytes.HasPrefix(got, prefix) || !bytes.Equal(got[len(prefix):], want)):
		t.Fatalf("DecryptTo(%q) = %q, want %q after %q", token, got, want, prefix)
	}
}

// BenchmarkKeyRingDecrypt opens the tokens of a sealed record and of a
// sealed secret, into a reused buffer as a read does.
func BenchmarkKeyRingDecrypt(b *testing.B) {
	ring, err := kv.ParseKeys("cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=")
	if err != nil {
		b.Fatal(err)
	}
	for _, size := range []int{60, 850} {
		token, err := ring.Encrypt(bytes.Repeat([]byte{'p'}, size))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("plaintext=%d", size), func(b *testing.B) {
			var buf []byte
			for b.Loop() {
				if buf, _, err = wire.DecryptTo(ring, buf[:0], token); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
