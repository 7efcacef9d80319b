package kv_test

import (
	"bytes"
	"encoding"
	"encoding/gob"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"text/template"

	"gopkg.in/yaml.v3"

	"github.com/kvgen/kvgen/kv"
)

const secretText = "hunter2-s3cr3t"

type client struct {
	ID     string
	Secret kv.Secret
	Hash   kv.Hashed
}

// %p is left out: fmt rejects it for a string, and its error form
// (%!p(kv.Secret=…)) prints through reflection, without calling Format;
// see Secret for that limit.
func TestSecretNeverPrints(t *testing.T) {
	s := kv.Secret(secretText)
	c := client{ID: "id-1", Secret: s}
	pc := &c
	list := []kv.Secret{s, s}
	m := map[string]kv.Secret{"k": s}
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "% x", "%d", "%o", "%b", "%c", "%U", "%e", "%t", "%10s", "%-20v", "%.3s", "%T %v"} {
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

// holders are the places a Secret sits in when a program encodes it: alone,
// behind a pointer, as a struct field, in a slice, in a map.
func holders(s kv.Secret) map[string]any {
	c := client{ID: "id-1", Secret: s}
	return map[string]any{
		"secret":            s,
		"pointer":           &s,
		"struct":            c,
		"pointer to struct": &c,
		"slice":             []kv.Secret{s},
		"map value":         map[string]kv.Secret{"k": s},
		"nested":            map[string]any{"list": []any{c}},
	}
}

// TestSecretNeverEncodes: every encoder of the standard library and yaml.v3
// that could write a Secret writes the redaction, or (gob, which stores and
// sends values rather than showing them) refuses.
func TestSecretNeverEncodes(t *testing.T) {
	s := kv.Secret(secretText)
	check := func(what string, out []byte, err error) {
		t.Helper()
		if err != nil {
			t.Errorf("%s: %v", what, err)
		}
		if bytes.Contains(out, []byte(secretText)) || !bytes.Contains(out, []byte(kv.Redacted)) {
			t.Errorf("%s wrote %s; want %s", what, out, kv.Redacted)
		}
	}
	for name, v := range holders(s) {
		out, err := json.Marshal(v)
		check("encoding/json of "+name, out, err)
		out, err = yaml.Marshal(v)
		check("yaml.v3 of "+name, out, err)
		out, err = yaml.Marshal(map[kv.Secret]any{s: name})
		check("yaml.v3 of a map key", out, err)

		var b bytes.Buffer
		err = gob.NewEncoder(&b).Encode(v)
		if err == nil || strings.Contains(err.Error(), secretText) || bytes.Contains(b.Bytes(), []byte(secretText)) {
			t.Errorf("gob of %s: %v, wrote %q; want a refusal, the secret nowhere", name, err, b.Bytes())
		}
	}

	type element struct {
		XMLName xml.Name    `xml:"client"`
		Attr    kv.Secret   `xml:"attr,attr"`
		Element kv.Secret   `xml:"element"`
		Pointer *kv.Secret  `xml:"pointer"`
		List    []kv.Secret `xml:"list"`
		Nested  client      `xml:"nested"`
	}
	type charData struct {
		Text kv.Secret `xml:",chardata"`
	}
	type cdata struct {
		Text kv.Secret `xml:",cdata"`
	}
	type innerXML struct {
		Inner kv.Secret `xml:",innerxml"`
	}
	for name, v := range map[string]any{
		"element":        s,
		"pointer":        &s,
		"struct":         element{Attr: s, Element: s, Pointer: &s, List: []kv.Secret{s}, Nested: client{Secret: s}},
		"character data": charData{s},
		"CDATA":          cdata{s},
		"inner XML":      innerXML{s},
	} {
		out, err := xml.Marshal(v)
		check("encoding/xml of "+name, out, err)
	}

	tm, ok := any(s).(encoding.TextMarshaler)
	if !ok {
		t.Fatal("Secret is not an encoding.TextMarshaler: encoders that fall back to text write the secret")
	}
	out, err := tm.MarshalText()
	check("MarshalText", out, err)

	var b bytes.Buffer
	tmpl := template.Must(template.New("").Parse(`{{.Secret}} {{printf "%s %q %x" .Secret .Secret .Secret}} {{.}}`))
	err = tmpl.Execute(&b, client{ID: "id-1", Secret: s})
	check("text/template", b.Bytes(), err)
}
