package kv_test

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kvgen/kvgen/kv"
)

// newKeys returns n fresh keys in Python's format.
func newKeys(t *testing.T, n int) []string {
	t.Helper()
	keys := make([]string, n)
	for i := range keys {
		k, err := kv.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = k
	}
	return keys
}

func newRing(t *testing.T, n int) *kv.KeyRing {
	t.Helper()
	return mustRing(t, strings.Join(newKeys(t, n), ","))
}

func mustRing(t *testing.T, keys string) *kv.KeyRing {
	t.Helper()
	ring, err := kv.ParseKeys(keys)
	if err != nil {
		t.Fatal(err)
	}
	return ring
}

func TestGenerateKeyFormat(t *testing.T) {
	pythonKey := regexp.MustCompile(`^[A-Za-z0-9_-]{43}=$`) // base64.urlsafe_b64encode(os.urandom(32))
	seen := map[string]bool{}
	for range 20 {
		k := newKeys(t, 1)[0]
		if !pythonKey.MatchString(k) {
			t.Fatalf("GenerateKey() = %q, not in Fernet.generate_key()'s format", k)
		}
		if b, err := base64.URLEncoding.DecodeString(k); err != nil || len(b) != 32 {
			t.Fatalf("GenerateKey() = %q decodes to %d bytes, %v", k, len(b), err)
		}
		if seen[k] {
			t.Fatal("GenerateKey returned the same key twice")
		}
		seen[k] = true
	}
}

func TestParseKeys(t *testing.T) {
	k := newKeys(t, 3)
	std := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	for _, c := range []struct {
		in   string
		want int
	}{
		{k[0], 1},
		{k[0] + "," + k[1], 2},
		{k[0] + "\n" + k[1] + "\n", 2},
		{"\n  " + k[0] + " ,\r\n,, " + k[1] + " , " + k[2] + "\n\n", 3},
		{std, 1},
	} {
		ring, err := kv.ParseKeys(c.in)
		if err != nil {
			t.Errorf("ParseKeys(%q): %v", c.in, err)
		} else if ring.Len() != c.want {
			t.Errorf("ParseKeys(%q) has %d keys, want %d", c.in, ring.Len(), c.want)
		}
	}
}

func TestParseKeysErrorsNameThePositionNotTheKey(t *testing.T) {
	good := newKeys(t, 2)
	secretish := "c2VjcmV0LWtleS1tYXRlcmlhbC10aGF0LWlzLXRvby1zaG9ydA=="    // 36 bytes
	hexKey := strings.Repeat("ab", 32)                                     // fernet-go accepts hex; Python does not
	short := base64.URLEncoding.EncodeToString([]byte("only-sixteen-byt")) // 16 bytes
	for _, c := range []struct {
		in, want string
	}{
		{good[0] + "," + secretish + "," + good[1], "key 2 of 3"},
		{secretish, "key 1 of 1"},
		{good[0] + "\n" + hexKey, "key 2 of 2"},
		{short + "\n" + good[0], "key 1 of 2"},
		{good[0] + ",not base64!", "key 2 of 2"},
		{" , \n ", "no Fernet keys"},
	} {
		_, err := kv.ParseKeys(c.in)
		if err == nil {
			t.Errorf("ParseKeys(%q): no error", c.in)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, c.want) {
			t.Errorf("ParseKeys error %q does not say %q", msg, c.want)
		}
		for _, material := range append(strings.FieldsFunc(c.in, func(r rune) bool { return r == ',' || r == '\n' }), good...) {
			if m := strings.TrimSpace(material); len(m) > 4 && strings.Contains(msg, m) {
				t.Errorf("ParseKeys error %q holds key material", msg)
			}
		}
	}
}

func TestLoadKeys(t *testing.T) {
	keys := newKeys(t, 2)
	dir := t.TempDir()
	file := filepath.Join(dir, "keys")
	if err := os.WriteFile(file, []byte(keys[0]+"\n"+keys[1]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	t.Run("EnvironmentFirst", func(t *testing.T) {
		t.Setenv("KVTEST_KEYS", keys[1])
		ring, err := kv.LoadKeys("KVTEST_KEYS", file)
		if err != nil || ring.Len() != 1 {
			t.Fatalf("LoadKeys = %v, %v; want the one key of the environment", ring, err)
		}
	})
	t.Run("FileWhenEnvironmentEmpty", func(t *testing.T) {
		t.Setenv("KVTEST_KEYS", "  ")
		ring, err := kv.LoadKeys("KVTEST_KEYS", file)
		if err != nil || ring.Len() != 2 {
			t.Fatalf("LoadKeys = %v, %v; want the two keys of the file", ring, err)
		}
	})
	t.Run("ReadableKeyFile", func(t *testing.T) {
		open := filepath.Join(dir, "open-keys")
		if err := os.WriteFile(open, []byte(keys[0]), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660} {
			if err := os.Chmod(open, mode); err != nil {
				t.Fatal(err)
			}
			_, err := kv.LoadKeys("", open)
			if err == nil || !strings.Contains(err.Error(), "readable by others") || !strings.Contains(err.Error(), "chmod 600") {
				t.Errorf("LoadKeys of a key file with mode %04o: %v; want a refusal saying chmod 600", mode, err)
			}
		}
		if err := os.Chmod(open, 0o400); err != nil {
			t.Fatal(err)
		}
		if _, err := kv.LoadKeys("", open); err != nil {
			t.Errorf("LoadKeys of a key file with mode 0400: %v", err)
		}
	})
	t.Run("BadKeyInFile", func(t *testing.T) {
		bad := filepath.Join(dir, "bad-keys")
		if err := os.WriteFile(bad, []byte(keys[0]+"\nbm90LWEta2V5\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := kv.LoadKeys("", bad)
		if err == nil || !strings.Contains(err.Error(), "key 2 of 2") || strings.Contains(err.Error(), keys[0]) || strings.Contains(err.Error(), "bm90LWEta2V5") {
			t.Errorf("LoadKeys of a bad key file: %v", err)
		}
	})
	t.Run("Nothing", func(t *testing.T) {
		t.Setenv("KVTEST_KEYS", "")
		if _, err := kv.LoadKeys("KVTEST_KEYS", ""); err == nil || !strings.Contains(err.Error(), "KVTEST_KEYS") {
			t.Errorf("LoadKeys without keys: %v; want an error naming the variable", err)
		}
		if _, err := kv.LoadKeys("", filepath.Join(dir, "missing")); err == nil {
			t.Error("LoadKeys of a missing file: no error")
		}
	})
}

func TestKeyRingRotation(t *testing.T) {
	keys := newKeys(t, 2)
	oldRing := mustRing(t, keys[1])
	rotated := mustRing(t, keys[0]+","+keys[1])
	newOnly := mustRing(t, keys[0])

	oldToken, err := oldRing.Encrypt([]byte("payload"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := rotated.Decrypt(oldToken); err != nil || string(got) != "payload" {
		t.Errorf("rotated ring decrypting an old token = %q, %v", got, err)
	}
	if _, err := newOnly.Decrypt(oldToken); err == nil {
		t.Error("a ring without the old key decrypted its token")
	}
	newToken, err := rotated.Encrypt([]byte("payload"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := newOnly.Decrypt(newToken); err != nil || string(got) != "payload" {
		t.Errorf("the rotated ring did not encrypt with its first key: %q, %v", got, err)
	}
	if !rotated.IsPrimary(newToken) || rotated.IsPrimary(oldToken) {
		t.Error("IsPrimary does not tell the first key's tokens from the others'")
	}
	if got, err := rotated.Encrypt(nil); err != nil {
		t.Error(err)
	} else if plain, err := rotated.Decrypt(got); err != nil || len(plain) != 0 {
		t.Errorf("empty plaintext round trip = %q, %v", plain, err)
	}
	if s := rotated.String(); strings.Contains(s, keys[0]) || strings.Contains(s, keys[1]) {
		t.Errorf("KeyRing prints its keys: %s", s)
	}
}

func TestKeyRingRejectsMalformedTokens(t *testing.T) {
	ring := newRing(t, 1)
	token, err := ring.Encrypt([]byte(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	flipped := []byte(string(token))
	flipped[40] ^= 'A' ^ 'B'
	if flipped[40] == token[40] {
		flipped[40] = 'C'
	}
	for name, bad := range map[string][]byte{
		"empty":      nil,
		"truncated":  token[:len(token)-8],
		"shortest":   token[:8],
		"flipped":    flipped,
		"not base64": []byte("!!!!" + string(token[4:])),
		"padding":    append(append([]byte{}, token...), '=', '='),
	} {
		if plain, err := ring.Decrypt(bad); err == nil {
			t.Errorf("Decrypt(%s token) = %q, want an error", name, plain)
		}
	}
}
