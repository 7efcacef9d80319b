package kv

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fernet/fernet-go"

	"github.com/kvgen/kvgen/kv/internal/fastbase64"
	"github.com/kvgen/kvgen/kv/internal/wire"
)

// KeyRing is the Fernet Encrypter, compatible with Python's MultiFernet: the
// first key encrypts, every key decrypts, so a key is rotated by putting a
// new one first and running Reencrypt. Tokens never expire (Python's
// decrypt without ttl).
type KeyRing struct {
	keys    []*fernet.Key
	ciphers []*cipherKey // ciphers[i] seals and opens under keys[i]
}

var _ Encrypter = (*KeyRing)(nil)

// errToken is every decryption failure: which check failed is no business of
// a caller, and saying so would help an attacker.
var errToken = errors.New("invalid Fernet token or no key of the ring matches")

// A Fernet token is URL-safe base64 of version (1 byte), time (8), IV (16),
// AES-CBC ciphertext (a positive multiple of 16) and HMAC (32).
const minTokenBytes = 1 + 8 + 16 + 16 + 32

// ParseKeys reads a key ring: keys separated by commas and/or newlines,
// first the key that encrypts, blanks ignored. Each key is 32 bytes in
// URL-safe base64, as Python's Fernet.generate_key() prints it (standard
// base64 is accepted too). Errors name a key by its position, never by its text.
func ParseKeys(s string) (*KeyRing, error) {
	var texts []string
	for _, line := range strings.Split(s, "\n") {
		for _, k := range strings.Split(line, ",") {
			if k = strings.TrimSpace(k); k != "" {
				texts = append(texts, k)
			}
		}
	}
	if len(texts) == 0 {
		return nil, errors.New("kv: no Fernet keys given")
	}
	ring := &KeyRing{keys: make([]*fernet.Key, len(texts)), ciphers: make([]*cipherKey, len(texts))}
	for i, text := range texts {
		k, ok := decodeKey(text)
		if !ok {
			return nil, fmt.Errorf("kv: Fernet key %d of %d: not 32 bytes of URL-safe base64", i+1, len(texts))
		}
		ring.keys[i], ring.ciphers[i] = k, newCipherKey(k)
	}
	return ring, nil
}

func decodeKey(text string) (*fernet.Key, bool) {
	b, err := base64.URLEncoding.DecodeString(text)
	if err != nil {
		b, err = base64.StdEncoding.DecodeString(text)
	}
	if err != nil || len(b) != len(fernet.Key{}) {
		return nil, false
	}
	k := new(fernet.Key)
	copy(k[:], b)
	return k, true
}

// LoadKeys reads the key ring from the environment variable envVar when it
// is set and not empty, else from file (a key file must not be readable by
// group or others). Keys never come from a flag: a command line is visible
// to every user of the machine. Every error names the variable or the file
// it is about, and never a key.
func LoadKeys(envVar, file string) (*KeyRing, error) {
	if envVar != "" {
		if v := os.Getenv(envVar); strings.TrimSpace(v) != "" {
			ring, err := ParseKeys(v)
			if err != nil {
				return nil, fmt.Errorf("kv: $%s: %s", envVar, strings.TrimPrefix(err.Error(), "kv: "))
			}
			return ring, nil
		}
	}
	if file == "" {
		if envVar == "" {
			return nil, errors.New("kv: no Fernet keys: neither an environment variable nor a key file was named")
		}
		return nil, fmt.Errorf("kv: no Fernet keys: $%s is empty and no key file was named", envVar)
	}
	fileErr := func(err error) error {
		var pathErr *fs.PathError
		if errors.As(err, &pathErr) {
			err = pathErr.Err // the path is named once, below
		}
		return fmt.Errorf("kv: key file %s: %s", file, strings.TrimPrefix(err.Error(), "kv: "))
	}
	info, err := os.Stat(file)
	if err != nil {
		return nil, fileErr(err)
	}
	if mode := info.Mode().Perm(); mode&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fileErr(fmt.Errorf("readable by others (mode %04o); chmod 600 it", mode))
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fileErr(err)
	}
	ring, err := ParseKeys(string(data))
	if err != nil {
		return nil, fileErr(err)
	}
	return ring, nil
}

// GenerateKey returns a new random key in the format of Python's
// Fernet.generate_key(): 32 bytes, URL-safe base64 with padding.
func GenerateKey() (string, error) {
	var k fernet.Key
	if _, err := rand.Read(k[:]); err != nil {
		return "", fmt.Errorf("kv: generate key: %w", err)
	}
	return base64.URLEncoding.EncodeToString(k[:]), nil
}

// String and GoString keep key material out of logs.
func (r *KeyRing) String() string   { return fmt.Sprintf("kv.KeyRing(%d keys)", len(r.keys)) }
func (r *KeyRing) GoString() string { return r.String() }

// Len returns the number of keys in the ring.
func (r *KeyRing) Len() int { return len(r.keys) }

// Encrypt returns a Fernet token of plaintext under the first key, made
// now with a random IV.
func (r *KeyRing) Encrypt(plaintext []byte) ([]byte, error) {
	if len(r.ciphers) == 0 {
		return nil, errors.New("kv: empty key ring")
	}
	return r.ciphers[0].seal(plaintext, time.Now()), nil
}

// Decrypt returns the plaintext of a token made with any key of the ring.
func (r *KeyRing) Decrypt(token []byte) ([]byte, error) {
	return r.appendDecrypt(nil, token)
}

// IsPrimary reports whether token was made with the first key, so that
// Reencrypt can leave such values alone: its HMAC under that key says so,
// without decrypting it.
func (r *KeyRing) IsPrimary(token []byte) bool {
	if len(r.ciphers) == 0 {
		return false
	}
	buf := rawTokens.Get().(*[]byte)
	defer rawTokens.Put(buf)
	raw, ok := rawToken(buf, token)
	return ok && r.ciphers[0].verify(raw)
}

// appendDecrypt appends the plaintext of token to dst.
func (r *KeyRing) appendDecrypt(dst, token []byte) ([]byte, error) {
	buf := rawTokens.Get().(*[]byte)
	defer rawTokens.Put(buf)
	raw, ok := rawToken(buf, token)
	if !ok {
		return nil, errToken
	}
	for _, k := range r.ciphers {
		if k.verify(raw) {
			return k.appendDecrypt(dst, raw)
		}
	}
	return nil, errToken
}

// rawToken decodes token into *buf, a buffer of rawTokens, and reports
// whether it has the version and a length of a Fernet token.
func rawToken(buf *[]byte, token []byte) ([]byte, bool) {
	raw, err := fastbase64.URL.AppendDecode((*buf)[:0], token)
	*buf = raw[:0] // grown, for the next one
	return raw, err == nil && len(raw) >= minTokenBytes && (len(raw)-minTokenBytes)%aes.BlockSize == 0 && raw[0] == fernetVersion
}

func init() { wire.AppendDecrypt = appendDecrypt }

// appendDecrypt is wire.AppendDecrypt: a KeyRing decrypts into the buffer
// of a reader that reads the plaintext once and then reuses it.
func appendDecrypt(e wire.Encrypter, dst, token []byte) ([]byte, bool, error) {
	r, ok := e.(*KeyRing)
	if !ok {
		return nil, false, nil
	}
	plain, err := r.appendDecrypt(dst, token)
	return plain, true, err
}

// rawTokens are buffers for decoded tokens, which are done with once
// decrypted: decrypt writes the plaintext to a slice of its own.
var rawTokens = sync.Pool{New: func() any { return new([]byte) }}

// fernetVersion is the first byte of every Fernet token.
const fernetVersion = 0x80

// cipherKey is one Fernet key, set up once: fernet-go builds an HMAC and an
// AES cipher on every call, and decodes a token's base64 twice, which was a
// third of the time of reading a record with one sealed field and half of
// sealing one. It reads and writes tokens as the Fernet spec and Python's
// cryptography do, and FuzzKeyRingMatchesFernetGo holds it to fernet-go,
// both ways.
type cipherKey struct {
	block cipher.Block // AES-128 of the key's second half; safe for concurrent use
	macs  sync.Pool    // of *mac: HMAC-SHA256 under the key's first half
}

// mac is an HMAC with room for its sum: a sum written to an array of the
// caller's would escape, through the hash.Hash interface, to the heap.
type mac struct {
	hash.Hash
	sum [sha256.Size]byte
}

func newCipherKey(k *fernet.Key) *cipherKey {
	sign, crypt := k[:len(k)/2], k[len(k)/2:]
	block, err := aes.NewCipher(crypt)
	if err != nil {
		panic("kv: AES-128 refused a 16-byte key: " + err.Error()) // cannot happen: the length is fixed
	}
	o := &cipherKey{block: block}
	o.macs.New = func() any { return &mac{Hash: hmac.New(sha256.New, sign)} }
	return o
}

// seal returns the token of plaintext made at now: version, time, a random
// IV, the AES-CBC ciphertext of the plaintext with PKCS #7 padding, and the
// HMAC-SHA256 of all that, in URL-safe base64. The raw token is built in a
// pooled buffer: only the base64 is the caller's.
func (o *cipherKey) seal(plaintext []byte, now time.Time) []byte {
	const ivAt, payloadAt, size = 1 + 8, 1 + 8 + aes.BlockSize, aes.BlockSize
	pad := size - len(plaintext)%size
	signedLen := payloadAt + len(plaintext) + pad
	buf := rawTokens.Get().(*[]byte)
	defer rawTokens.Put(buf)
	raw := slices.Grow((*buf)[:0], signedLen+sha256.Size)[:signedLen]
	*buf = raw[:0] // grown, for the next one
	raw[0] = fernetVersion
	binary.BigEndian.PutUint64(raw[1:ivAt], uint64(now.Unix()))
	rand.Read(raw[ivAt:payloadAt]) // never fails: it crashes the program rather
	payload := raw[payloadAt:]
	copy(payload, plaintext)
	for i := len(plaintext); i < len(payload); i++ {
		payload[i] = byte(pad)
	}
	prev := raw[ivAt:payloadAt]
	for at := 0; at < len(payload); at += size {
		block := payload[at : at+size]
		subtle.XORBytes(block, block, prev)
		o.block.Encrypt(block, block)
		prev = block
	}
	m := o.macs.Get().(*mac)
	m.Reset()
	m.Write(raw)
	raw = m.Sum(raw)
	o.macs.Put(m)
	return fastbase64.URL.AppendEncode(make([]byte, 0, fastbase64.URL.EncodedLen(len(raw))), raw)
}

// verify reports whether raw, a decoded token of a valid length, carries
// this key's HMAC-SHA256 of everything before it.
func (o *cipherKey) verify(raw []byte) bool {
	signed, sum := raw[:len(raw)-sha256.Size], raw[len(raw)-sha256.Size:]
	m := o.macs.Get().(*mac)
	m.Reset()
	m.Write(signed)
	ok := hmac.Equal(m.Sum(m.sum[:0]), sum)
	o.macs.Put(m)
	return ok
}

// appendDecrypt appends the plaintext of a verified token to dst. The
// blocks are decrypted straight into dst, and the padding, which says the
// plaintext's length, is then cut off: on an error, dst's spare capacity
// holds what was decrypted. The padding is checked as PKCS #7 wants it;
// fernet-go would also take a final byte of 0 or above 16, which only a key
// holder can produce.
func (o *cipherKey) appendDecrypt(dst, raw []byte) ([]byte, error) {
	const ivAt, payloadAt, size = 1 + 8, 1 + 8 + aes.BlockSize, aes.BlockSize
	payload := raw[payloadAt : len(raw)-sha256.Size] // a positive multiple of size
	n := len(payload)
	dst = slices.Grow(dst, n)
	out := dst[len(dst) : len(dst)+n]
	for at := 0; at < n; at += size {
		// in CBC each block is XORed, once decrypted, with the ciphertext
		// before it, the IV for the first: raw[ivAt+at:]
		block := out[at : at+size]
		o.block.Decrypt(block, payload[at:at+size])
		xorBlock(block, raw[ivAt+at:])
	}
	pad := int(out[n-1])
	if pad == 0 || pad > size {
		return nil, errToken
	}
	for _, b := range out[n-pad:] {
		if int(b) != pad {
			return nil, errToken
		}
	}
	return dst[:len(dst)+n-pad], nil
}

// xorBlock XORs the first AES block of src into dst: inline, where
// subtle.XORBytes, a call with checks, cost as much as the AES itself.
func xorBlock(dst, src []byte) {
	_, _ = dst[aes.BlockSize-1], src[aes.BlockSize-1]
	binary.LittleEndian.PutUint64(dst, binary.LittleEndian.Uint64(dst)^binary.LittleEndian.Uint64(src))
	binary.LittleEndian.PutUint64(dst[8:], binary.LittleEndian.Uint64(dst[8:])^binary.LittleEndian.Uint64(src[8:]))
}
