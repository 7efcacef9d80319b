package kv

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/kvgen/kvgen/kv/internal/wire"
)

// TestPlaintextBytesMatchPython decrypts the values Python wrote and checks
// that Go writes each of their members with the very same bytes (compact,
// non-ASCII as \uXXXX), so a plaintext Go seals is what Python would have.
func TestPlaintextBytesMatchPython(t *testing.T) {
	data, err := os.ReadFile("testdata/pykv-0.4.4-rows.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	sc.Scan()
	var head struct {
		Keys struct{ Current, Previous string } `json:"keys"`
	}
	if err := json.Unmarshal(sc.Bytes(), &head); err != nil {
		t.Fatal(err)
	}
	ring, err := ParseKeys(head.Keys.Current + "," + head.Keys.Previous)
	if err != nil {
		t.Fatal(err)
	}
	compared := 0
	for sc.Scan() {
		var row struct{ Key, Value string }
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatal(err)
		}
		if !IsEnvelope([]byte(row.Value)) {
			continue
		}
		plain, err := Open(ring, []byte(row.Value))
		if err != nil {
			t.Fatalf("%s: %v", row.Key, err)
		}
		err = wire.Object(plain, func(name, value []byte) error {
			if bytes.HasPrefix(value, []byte("{")) {
				return nil // nested member order is Python's insertion order, Go's is sorted
			}
			v, err := decodeJSON(value)
			if err != nil {
				return err
			}
			mine, err := wire.MarshalCompact(v)
			if err != nil {
				return err
			}
			if got := asciiJSON(mine); !bytes.Equal(got, value) {
				t.Errorf("%s.%s: Go writes %s, Python wrote %s", row.Key, name, got, value)
			}
			compared++
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", row.Key, err)
		}
	}
	if compared < 50 {
		t.Errorf("compared only %d members", compared)
	}
}

func TestASCIIJSON(t *testing.T) {
	for in, want := range map[string]string{
		`{"a":"plain"}`:  `{"a":"plain"}`,
		`"é"`:            `"\u00e9"`,
		`"世界"`:           `"\u4e16\u754c"`,
		`"🌍"`:            `"\ud83c\udf0d"`,
		"\"\x7f\"":       `"\u007f"`,
		`{"ключ":"x€"}`:  `{"\u043a\u043b\u044e\u0447":"x\u20ac"}`,
		`"\u2028 stays"`: `"\u2028 stays"`,
	} {
		if got := string(asciiJSON([]byte(in))); got != want {
			t.Errorf("asciiJSON(%s) = %s, want %s", in, got, want)
		}
	}
}
