package kv_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/kvgen/kvgen/kv"
)

// TestVersionPrintsNoValue: a Version holds the stored bytes, which in none
// mode are the plaintext; printed every usual way, alone or inside a struct,
// it shows a digest only.
func TestVersionPrintsNoValue(t *testing.T) {
	s := newMapStore(t, kv.EncryptionNone, nil)
	if err := s.Put(t.Context(), "", "k", map[string]any{"token": "print-me-not"}, 0); err != nil {
		t.Fatal(err)
	}
	_, v, err := s.GetVersion(t.Context(), "", "k")
	if err != nil {
		t.Fatal(err)
	}
	holder := struct {
		Exported   kv.Version
		unexported kv.Version
	}{v, v}
	var out bytes.Buffer
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		fmt.Fprintf(&out, verb+"\n", v)
		fmt.Fprintf(&out, verb+"\n", &v)
		fmt.Fprintf(&out, verb+"\n", holder)
	}
	slog.New(slog.NewTextHandler(&out, nil)).Info("v", "v", v, "holder", holder)
	slog.New(slog.NewJSONHandler(&out, nil)).Info("v", "v", v, "holder", holder)
	if strings.Contains(out.String(), "print-me-not") || strings.Contains(out.String(), "token") {
		t.Errorf("a printed Version shows the stored value:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "kv.Version(") {
		t.Errorf("a printed Version does not say what it is:\n%s", out.String())
	}
}
