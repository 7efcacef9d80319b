package kv_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/kvgen/kvgen/kv"
)

func TestHashed(t *testing.T) {
	h := kv.Hash("refresh-token-123")
	sum := sha256.Sum256([]byte("refresh-token-123"))
	full := "sha256:" + hex.EncodeToString(sum[:])
	if !h.Verify("refresh-token-123") || h.Verify("refresh-token-124") || h.Verify("") {
		t.Error("Verify does not tell the right value from others")
	}
	if h.IsZero() || h.Digest() != full {
		t.Errorf("Digest() = %q, want %q", h.Digest(), full)
	}
	var zero kv.Hashed
	if !zero.IsZero() || zero.Verify("") || zero.Verify("x") || zero.Digest() != "" {
		t.Error("the zero Hashed verifies something")
	}
	if kv.Hash("").Verify("") != true {
		t.Error("the hash of the empty string does not verify it")
	}

	data, err := json.Marshal(struct{ H, Z kv.Hashed }{h, zero})
	if err != nil || string(data) != `{"H":"`+full+`","Z":null}` {
		t.Errorf("json.Marshal = %s, %v", data, err)
	}
	var back struct{ H, Z kv.Hashed }
	if err := json.Unmarshal(data, &back); err != nil || back.H != h || !back.Z.IsZero() {
		t.Errorf("json round trip = %+v, %v", back, err)
	}
	for _, bad := range []string{`"` + strings.ToUpper(full[7:]) + `"`, `"sha256:abc"`, `"md5:` + full[7:] + `"`,
		`"sha256:` + strings.ToUpper(full[7:]) + `"`, `"sha256:` + full[8:] + `z"`, `42`, `"refresh-token-123"`} {
		var x kv.Hashed
		if err := json.Unmarshal([]byte(bad), &x); err == nil {
			t.Errorf("json.Unmarshal(%s) accepted", bad)
		} else if strings.Contains(err.Error(), "refresh-token") {
			t.Errorf("error repeats the input: %v", err)
		}
	}
	if p, err := kv.ParseHashed(full); err != nil || p != h {
		t.Errorf("ParseHashed(Digest()) = %v, %v", p, err)
	}

	short := "sha256:" + hex.EncodeToString(sum[:4]) + "…"
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "h", h)
	for _, out := range []string{fmt.Sprint(h), fmt.Sprintf("%+v", struct{ H kv.Hashed }{h}), fmt.Sprintf("%#v", h), fmt.Sprintf("%x", h), buf.String()} {
		if strings.Contains(out, full[7:20]) || !strings.Contains(out, short) {
			t.Errorf("printed %q; want only the short form %q", out, short)
		}
	}
}
