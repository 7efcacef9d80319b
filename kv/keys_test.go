package kv_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/kvgen/kvgen/kv"
)

// TestCheckKeyBytes puts each refused byte at each place of a key and of a
// collection, across the words CheckKey tests eight bytes at a time, and
// checks the reason given; bytes above 0x7f that are valid UTF-8 pass.
func TestCheckKeyBytes(t *testing.T) {
	bad := map[string]string{"\x00": "contains a NUL byte", "\xff": "not valid UTF-8", "\xc3": "not valid UTF-8"}
	for n := 1; n <= 20; n++ {
		for at := 0; at < n; at++ {
			for b, reason := range bad {
				text := strings.Repeat("k", at) + b + strings.Repeat("k", n-at-1)
				for _, c := range [][2]string{{"coll", text}, {text, "key"}} {
					var ke *kv.KeyError
					if err := kv.CheckKey(c[0], c[1]); !errors.As(err, &ke) || ke.Reason != reason {
						t.Errorf("CheckKey(%q, %q) = %v, want %q", c[0], c[1], err, reason)
					}
				}
			}
			text := strings.Repeat("k", at) + "é" + strings.Repeat("\x7f", n-at-1)
			if err := kv.CheckKey(text, text); err != nil {
				t.Errorf("CheckKey(%q, %q) = %v, want nil", text, text, err)
			}
		}
	}
}
