package fieldsclients_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/gob"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"gopkg.in/yaml.v3"

	"github.com/kvgen/kvgen/internal/goonly/fieldsclients"
	"github.com/kvgen/kvgen/kv"
)

func storedValue(t *testing.T, pool *pgxpool.Pool, key string) string {
	t.Helper()
	var v string
	if err := pool.QueryRow(context.Background(), `SELECT value::text FROM oauth_clients WHERE key = $1`, key).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// sealedSecret is the client_secret member plain as a store of ring seals
// it under key in the default collection, bound to that place: sealed by
// the untyped view of fields mode, which seals as the typed one does.
func sealedSecret(t *testing.T, ring *kv.KeyRing, key, plain string) json.RawMessage {
	t.Helper()
	codec, err := kv.NewMapCodec(ring, kv.EncryptionFields, []string{"client_secret"})
	if err != nil {
		t.Fatal(err)
	}
	data, err := codec.Encode(fieldsclients.DefaultCollection, key, map[string]any{"client_secret": plain})
	if err != nil {
		t.Fatal(err)
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(data, &members); err != nil {
		t.Fatal(err)
	}
	return members["client_secret"]
}

func setStored(t *testing.T, pool *pgxpool.Pool, key, value string) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), `UPDATE oauth_clients SET value = $2::jsonb WHERE key = $1`, key, value); err != nil {
		t.Fatal(err)
	}
}

// TestNoPlaintextSecretInTable: after Put, the table holds the sensitive
// field only as an envelope (fields mode); the untyped view seals whole values.
func TestNoPlaintextSecretInTable(t *testing.T) {
	ctx := context.Background()
	pool := newTable(t)
	s := newStore(t, pool, newRing(t))
	c := client(1)
	c.ClientID = "c1"
	c.ClientSecret = "very-secret-value-1"
	if err := s.Put(ctx, c); err != nil {
		t.Fatal(err)
	}
	stored := storedValue(t, pool, "c1")
	if strings.Contains(stored, "very-secret-value-1") {
		t.Fatalf("plaintext secret in the table: %s", stored)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stored), &m); err != nil {
		t.Fatal(err)
	}
	if !kv.IsEnvelope(m["client_secret"]) {
		t.Fatalf("client_secret stored as %s, want an envelope", m["client_secret"])
	}
	if !strings.Contains(stored, `"software_id": "sw-1"`) {
		t.Errorf("non-sensitive fields should stay readable and indexable: %s", stored)
	}
	// the rat is stored as its digest only
	if !strings.Contains(stored, kv.Hash("rat-1").Digest()) || strings.Contains(stored, `"rat-1"`) {
		t.Errorf("registration_access_token not stored as its digest: %s", stored)
	}

	if err := s.Untyped().Put(ctx, "mcp-upstream-tokens", "u1", map[string]any{"access_token": "upstream-token-xyz"}, 0); err != nil {
		t.Fatal(err)
	}
	if stored := storedValue(t, pool, "u1"); strings.Contains(stored, "upstream-token-xyz") || !kv.IsEnvelope([]byte(stored)) {
		t.Fatalf("untyped value not sealed as a whole: %s", stored)
	}
}

// TestDecryptFailures: a wrong key, a flipped byte, a truncated token and
// version 2 are each ErrDecrypt naming collection, key and field, never the
// plaintext, and the other rows of a GetMany still read.
func TestDecryptFailures(t *testing.T) {
	ctx := context.Background()
	pool := newTable(t)
	ring := newRing(t)
	s := newStore(t, pool, ring)
	var all []fieldsclients.Client
	for i := range 5 {
		c := client(i)
		c.ClientID = fmt.Sprintf("c%d", i)
		c.ClientSecret = kv.Secret(fmt.Sprintf("plain-secret-%d", i))
		all = append(all, c)
	}
	if err := s.PutMany(ctx, all); err != nil {
		t.Fatal(err)
	}
	otherRing := newRing(t)
	other := sealedSecret(t, otherRing, "c0", "plain-secret-0")
	damage := map[string]func(env map[string]any){
		"c0": func(env map[string]any) { // sealed under a key the ring lacks
			var o map[string]any
			_ = json.Unmarshal(other, &o)
			env["__encrypted_data__"] = o["__encrypted_data__"]
		},
		"c1": func(env map[string]any) { // one byte of the token flipped
			tok, _ := base64.StdEncoding.DecodeString(env["__encrypted_data__"].(string))
			tok[len(tok)/2] ^= 0x01
			env["__encrypted_data__"] = base64.StdEncoding.EncodeToString(tok)
		},
		"c2": func(env map[string]any) { // truncated token
			data := env["__encrypted_data__"].(string)
			env["__encrypted_data__"] = data[:len(data)/2]
		},
		"c3": func(env map[string]any) { env["__encryption_version__"] = 2 },
	}
	for key, f := range damage {
		var row map[string]any
		if err := json.Unmarshal([]byte(storedValue(t, pool, key)), &row); err != nil {
			t.Fatal(err)
		}
		env := row["client_secret"].(map[string]any)
		f(env)
		data, _ := json.Marshal(row)
		setStored(t, pool, key, string(data))

		_, _, err := s.Get(ctx, key)
		var ve *kv.ValueError
		if !errors.Is(err, kv.ErrDecrypt) || !errors.As(err, &ve) {
			t.Fatalf("Get(%s) error = %v, want ErrDecrypt", key, err)
		}
		if ve.Collection != fieldsclients.DefaultCollection || ve.Key != key || ve.Field != "client_secret" {
			t.Errorf("Get(%s) error names %q %q %q", key, ve.Collection, ve.Key, ve.Field)
		}
		if strings.Contains(err.Error(), "plain-secret") {
			t.Errorf("error holds the plaintext: %v", err)
		}
	}
	entries, err := s.GetMany(ctx, []string{"c0", "c1", "c2", "c3", "c4"})
	if !errors.Is(err, kv.ErrDecrypt) {
		t.Fatalf("GetMany error = %v, want ErrDecrypt for the damaged rows", err)
	}
	for i, e := range entries[:4] {
		if e.Found {
			t.Errorf("GetMany[%d] found despite a damaged secret", i)
		}
	}
	if !entries[4].Found || entries[4].Value.ClientSecret != "plain-secret-4" {
		t.Errorf("GetMany[4] = %+v: the undamaged row must still read", entries[4])
	}
}

// TestRotation: write under key A; put B first; Reencrypt; drop A; every row reads.
func TestRotation(t *testing.T) {
	ctx := context.Background()
	pool := newTable(t)
	a, b := newKey(t), newKey(t)
	s := newStore(t, pool, newRing(t, a))
	var all []fieldsclients.Client
	for i := range 25 {
		c := client(i)
		c.ClientID = fmt.Sprintf("c%02d", i)
		all = append(all, c)
	}
	if err := s.PutMany(ctx, all); err != nil {
		t.Fatal(err)
	}
	if err := s.Untyped().Put(ctx, "mcp-refresh-tokens", "r1", map[string]any{"token": "refresh-1"}, 0); err != nil {
		t.Fatal(err)
	}

	rotated := newStore(t, pool, newRing(t, b, a))
	var batches int
	res, err := rotated.Reencrypt(ctx, kv.ReencryptOptions{BatchSize: 10, Progress: func(kv.ReencryptResult) { batches++ }})
	if err != nil || res.Rewritten != 25 || batches < 3 {
		t.Fatalf("Reencrypt = %+v after %d batches, %v; want 25 rows in 3 batches", res, batches, err)
	}
	if res, err := rotated.Untyped().(interface {
		Reencrypt(context.Context, kv.ReencryptOptions) (kv.ReencryptResult, error)
	}).Reencrypt(ctx, kv.ReencryptOptions{Collection: "mcp-refresh-tokens", Encrypter: newRing(t, b, a)}); err != nil || res.Rewritten != 1 {
		t.Fatalf("untyped Reencrypt = %+v, %v", res, err)
	}

	onlyB := newStore(t, pool, newRing(t, b))
	for _, c := range all {
		got, ok, err := onlyB.Get(ctx, c.ClientID)
		if err != nil || !ok || got.ClientSecret != c.ClientSecret {
			t.Fatalf("after rotation Get(%s) = %v, %v", c.ClientID, ok, err)
		}
	}
	if v, ok, err := onlyB.Untyped().Get(ctx, "mcp-refresh-tokens", "r1"); err != nil || !ok || v["token"] != "refresh-1" {
		t.Fatalf("after rotation untyped Get = %v, %v, %v", v, ok, err)
	}
	// a second run has nothing left to do
	if res, err := onlyB.Reencrypt(ctx, kv.ReencryptOptions{}); err != nil || res.Rewritten != 0 {
		t.Fatalf("second Reencrypt = %+v, %v; want nothing rewritten", res, err)
	}
}

func newKey(t testing.TB) string {
	t.Helper()
	k, err := kv.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestSecretsNeverPrint: a record with a secret, printed every usual way.
func TestSecretsNeverPrint(t *testing.T) {
	c := client(1)
	c.ClientSecret = "print-me-not"
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("client", "c", c, "p", &c)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("client", "c", c, "secret", c.ClientSecret)
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	yamlData, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	xmlData, err := xml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var gobData bytes.Buffer
	if err := gob.NewEncoder(&gobData).Encode(c); err == nil || strings.Contains(gobData.String(), "print-me-not") {
		t.Errorf("gob of a record: %v; want a refusal, the secret nowhere", err)
	}
	out := fmt.Sprintf("%v %+v %#v %s %q", c, c, c, c.ClientSecret, c.ClientSecret) +
		fmt.Errorf("wrapped: %v", c).Error() + string(data) + logs.String() + string(yamlData) + string(xmlData)
	if strings.Contains(out, "print-me-not") {
		t.Fatalf("secret printed: %s", out)
	}
	if !strings.Contains(out, kv.Redacted) {
		t.Fatalf("no %s in %s", kv.Redacted, out)
	}
}
