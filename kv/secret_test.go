package kv_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/kvgen/kvgen/kv"
)

const secretText = "hunter2-s3cr3t"

type client struct {
	ID     string
	Secret kv.Secret
	Hash   kv.Hashed
}

func TestSecretNeverPrints(t *testing.T) {
	s := kv.Secret(secretText)
	c := client{ID: "id-1", Secret: s}
	pc := &c
	list := []kv.Secret{s, s}
	m := map[string]kv.Secret{"k": s}
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s", "%-20v", "%T %v"} {
		for _, arg := range []any{s, &s, c, pc, list, m, []any{s}} {
			out = append(out, fmt.Sprintf(verb, arg))
		}
	}
	out = append(out, fmt.Sprint(s, c, pc), fmt.Sprintln(s, list), s.String(), s.GoString())
	out = append(out, fmt.Errorf("failed with %v", s).Error(), fmt.Errorf("wrapped: %w", errors.New(fmt.Sprint(c))).Error())
	for _, o := range out {
		if strings.Contains(o, secretText) || strings.Contains(o, fmt.Sprintf("%x", secretText)) {
			t.Errorf("printed the secret: %s", o)
		}
	}
	if !strings.Contains(fmt.Sprintf("%+v", c), "Secret:"+kv.Redacted) {
		t.Errorf("%%+v = %+v, want the field shown as %s", c, kv.Redacted)
	}
	if s.Reveal() != secretText {
		t.Errorf("Reveal() = %q", s.Reveal())
	}
}

func TestSecretNeverLogs(t *testing.T) {
	s := kv.Secret(secretText)
	c := client{ID: "id-1", Secret: s}
	for name, h := range map[string]func(*bytes.Buffer) slog.Handler{
		"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		"json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var buf bytes.Buffer
		log := slog.New(h(&buf))
		log.Info("attr", "secret", s)
		log.Info("pointer", "secret", &s)
		log.Info("struct", slog.Any("client", c))
		log.Info("pointer to struct", slog.Any("client", &c))
		log.Info("group", slog.Group("g", slog.Any("s", s)))
		log.With("secret", s).Info("with")
		log.Info("slice", "secrets", []kv.Secret{s})
		if strings.Contains(buf.String(), secretText) {
			t.Errorf("%s handler logged the secret:\n%s", name, buf.String())
		}
		if strings.Count(buf.String(), kv.Redacted) < 7 {
			t.Errorf("%s handler output lacks %s:\n%s", name, kv.Redacted, buf.String())
		}
	}
}

func TestSecretJSON(t *testing.T) {
	c := client{ID: "id-1", Secret: kv.Secret(secretText)}
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), secretText) || !strings.Contains(string(data), `"Secret":"[REDACTED]"`) {
		t.Errorf("json.Marshal = %s", data)
	}
	var back client
	if err := json.Unmarshal([]byte(`{"ID":"x","Secret":"from-json"}`), &back); err != nil || back.Secret.Reveal() != "from-json" {
		t.Errorf("json.Unmarshal = %q, %v", back.Secret.Reveal(), err)
	}
	if err := json.Unmarshal([]byte(`{"Secret":42}`), &back); err == nil || strings.Contains(err.Error(), "42") {
		t.Errorf("json.Unmarshal of a number into a Secret: %v", err)
	}
}
