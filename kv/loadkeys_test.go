package kv_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kvgen/kvgen/kv"
)

// TestLoadKeysErrorsNameTheSource: every error of LoadKeys says which
// variable or file it is about, once, and never shows a key.
func TestLoadKeysErrorsNameTheSource(t *testing.T) {
	dir := t.TempDir()
	good, err := kv.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bad := write("bad", good+"\nnot-a-key\n", 0o600)
	open := write("open", good+"\n", 0o644)
	missing := filepath.Join(dir, "missing")
	for _, tc := range []struct {
		env, file, want string
	}{
		{"not-a-key," + good, "", "kv: $TEST_KVGEN_KEYS: Fernet key 1 of 2: not 32 bytes of URL-safe base64"},
		{" , ", "", "kv: $TEST_KVGEN_KEYS: no Fernet keys given"},
		{"", "", "kv: no Fernet keys: $TEST_KVGEN_KEYS is empty and no key file was named"},
		{"", missing, "kv: key file " + missing + ": no such file or directory"},
		{"", bad, "kv: key file " + bad + ": Fernet key 2 of 2: not 32 bytes of URL-safe base64"},
		{"", open, "kv: key file " + open + ": readable by others (mode 0644); chmod 600 it"},
	} {
		t.Setenv("TEST_KVGEN_KEYS", tc.env)
		_, err := kv.LoadKeys("TEST_KVGEN_KEYS", tc.file)
		if err == nil || err.Error() != tc.want {
			t.Errorf("LoadKeys with $TEST_KVGEN_KEYS=%q, file %q: %v\nwant %s", tc.env, tc.file, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), good) {
			t.Errorf("the error shows a key: %v", err)
		}
	}
}
