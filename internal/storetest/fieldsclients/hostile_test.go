package fieldsclients_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvgen/kvgen/internal/goonly/fieldsclients"
	"github.com/kvgen/kvgen/internal/goonly/fieldsclients/db"
	"github.com/kvgen/kvgen/kv"
)

// Hostile input: rows written by other tools, keys no store can hold, and
// secrets that must never reach an error string.

// hostileMarker is in every hostile stored value: an error that quotes the
// stored value (which may be a secret) shows it.
const hostileMarker = "HOSTILE-PAYLOAD"

// maxErrorLen bounds an error about a stored value: it names the value, it
// does not echo it (a 10 MB row must not make a 10 MB error).
const maxErrorLen = 2000

// rowCase is a row written by another tool and what reading it must give.
type rowCase struct {
	key   string
	value string // the JSON stored, as text
	// kind and field are what the typed store reports (kind nil: it reads);
	// untypedKind and untypedField are the untyped view's.
	kind, untypedKind   error
	field, untypedField string
}

// TestHostileRows stores rows the typed store did not write and reads them
// every way: Get, GetMany, List, FindBySoftwareID, the untyped view's Get and
// GetMany. Each bad row is an error naming collection, key and field, never a
// panic, and the good rows of the same call still read.
func TestHostileRows(t *testing.T) {
	t.Parallel() // the 10 MB rows take a while, under -race most
	ctx := context.Background()
	pool := newTable(t)
	ring := newRing(t)
	s := newStore(t, pool, ring)
	good := []fieldsclients.Client{faultRecord("good-1", 1), faultRecord("good-2", 2)}
	for i := range good {
		good[i].SoftwareID = "sw-hostile"
	}
	if err := s.PutMany(ctx, good); err != nil {
		t.Fatal(err)
	}
	cases := hostileRows(t, s, pool, ring)
	for _, c := range cases {
		insertRaw(t, pool, fieldsclients.DefaultCollection, c.key, c.value)
	}
	var tried, panics int
	read := func(what string, fn func()) {
		tried++
		defer func() {
			if r := recover(); r != nil {
				panics++
				t.Errorf("%s panicked: %v", what, r)
			}
		}()
		fn()
	}

	for _, c := range cases {
		read("Get "+c.key, func() {
			got, ok, err := s.Get(ctx, c.key)
			checkRead(t, "Get", c.key, c.kind, c.field, err)
			if c.kind == nil && (!ok || got.ClientID != c.key) {
				t.Errorf("Get(%s) = found %v, client_id %q; want the row", c.key, ok, got.ClientID)
			}
		})
		read("untyped Get "+c.key, func() {
			got, ok, err := s.Untyped().Get(ctx, "", c.key)
			checkRead(t, "untyped Get", c.key, c.untypedKind, c.untypedField, err)
			if c.untypedKind == nil && (!ok || got == nil) {
				t.Errorf("untyped Get(%s) = %v, found %v; want the row", c.key, got, ok)
			}
		})
	}

	keys := []string{"good-1"}
	for _, c := range cases {
		keys = append(keys, c.key)
	}
	keys = append(keys, "good-2", "missing")
	read("GetMany", func() {
		entries, err := s.GetMany(ctx, keys)
		checkMany(t, "GetMany", cases, false, err)
		if len(entries) != len(keys) {
			t.Fatalf("GetMany gave %d entries for %d keys", len(entries), len(keys))
		}
		for i, c := range cases {
			if e := entries[i+1]; e.Found != (c.kind == nil) {
				t.Errorf("GetMany: %s found %v", c.key, e.Found)
			}
		}
		if e := entries[0]; !e.Found || !sameClient(e.Value, good[0]) {
			t.Error("GetMany: good-1 does not read beside the hostile rows")
		}
		if e := entries[len(keys)-2]; !e.Found || !sameClient(e.Value, good[1]) {
			t.Error("GetMany: good-2 does not read beside the hostile rows")
		}
		if entries[len(keys)-1].Found {
			t.Error("GetMany: a missing key found")
		}
	})
	read("untyped GetMany", func() {
		entries, err := s.Untyped().GetMany(ctx, "", keys)
		checkMany(t, "untyped GetMany", cases, true, err)
		if len(entries) != len(keys) || !entries[0].Found || !entries[len(keys)-2].Found ||
			entries[0].Value["software_version"] != "1" {
			t.Errorf("untyped GetMany: the good rows do not read beside the hostile ones")
		}
		for i, c := range cases {
			if e := entries[i+1]; e.Found != (c.untypedKind == nil) {
				t.Errorf("untyped GetMany: %s found %v", c.key, e.Found)
			}
		}
	})
	read("List", func() {
		items, err := s.List(ctx, "", 1000)
		checkMany(t, "List", cases, false, err)
		if got := ids(items); !slices.Contains(got, "good-1") || !slices.Contains(got, "good-2") {
			t.Errorf("List: the good rows do not read beside the hostile ones: %v", got)
		}
	})
	read("FindBySoftwareID", func() {
		found, err := s.FindBySoftwareID(ctx, "sw-hostile")
		var bad []rowCase
		for _, c := range cases {
			if strings.Contains(c.value, `"software_id":"sw-hostile"`) {
				bad = append(bad, c)
			}
		}
		checkMany(t, "FindBySoftwareID", bad, false, err)
		if got := ids(found); !slices.Contains(got, "good-1") || !slices.Contains(got, "good-2") {
			t.Errorf("FindBySoftwareID: the good rows do not read beside the hostile ones: %v", got)
		}
	})
	t.Logf("hostile rows: %d stored values tried (%d bad for the typed store, %d for the untyped view), "+
		"%d reads, panics %d", len(cases), countBad(cases, false), countBad(cases, true), tried, panics)
}

// hostileRows builds the rows: a record written by the store, then broken
// in one place each.
func hostileRows(t *testing.T, s *fieldsclients.Store, pool *pgxpool.Pool, ring *kv.KeyRing) []rowCase {
	t.Helper()
	ctx := context.Background()
	base := faultRecord("base", 9)
	base.SoftwareID = "sw-hostile"
	base.ClientName = hostileMarker
	if err := s.Put(ctx, base); err != nil {
		t.Fatal(err)
	}
	baseJSON := storedValue(t, pool, "base")
	if _, err := pool.Exec(ctx, `DELETE FROM oauth_clients WHERE key = 'base'`); err != nil {
		t.Fatal(err)
	}
	// with returns the base record under key with its members changed; its
	// secret is sealed for key, as a sealed field is bound to its record.
	with := func(key string, change map[string]any) string {
		var m map[string]any
		if err := json.Unmarshal([]byte(baseJSON), &m); err != nil {
			t.Fatal(err)
		}
		m["client_id"] = key
		m["client_secret"] = sealedSecret(t, ring, key, base.ClientSecret.Reveal())
		for k, v := range change {
			m[k] = v
		}
		data, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	var sealed map[string]any
	if err := json.Unmarshal([]byte(baseJSON), &sealed); err != nil {
		t.Fatal(err)
	}
	secret := sealed["client_secret"].(map[string]any)
	token := secret["__encrypted_data__"].(string)
	envelope := func(data any, version any) map[string]any {
		return map[string]any{"__encrypted_data__": data, "__encryption_version__": version}
	}
	sealedValue := func(plaintext string) string {
		data, err := kv.Seal(ring, []byte(plaintext))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	sealedRecord := sealedValue(with("x", nil))
	var wholeEnvelope map[string]any
	if err := json.Unmarshal([]byte(sealedRecord), &wholeEnvelope); err != nil {
		t.Fatal(err)
	}
	wholeToken := wholeEnvelope["__encrypted_data__"].(string)
	envelopeJSON := func(data any, version any) string {
		out, _ := json.Marshal(envelope(data, version))
		return string(out)
	}
	deep := strings.Repeat("[", 2000) + strings.Repeat("]", 2000)
	bigNumbers := "[" + strings.Repeat("1,", 5_000_000) + "1]" // 10 MB
	corrupt, decrypt := kv.ErrCorrupt, kv.ErrDecrypt

	return []rowCase{
		// the value is not a JSON object
		{key: "value-array", value: `["` + hostileMarker + `", 1]`, kind: corrupt, untypedKind: corrupt},
		{key: "value-string", value: `"` + hostileMarker + `"`, kind: corrupt, untypedKind: corrupt},
		{key: "value-number", value: `42`, kind: corrupt, untypedKind: corrupt},
		{key: "value-null", value: `null`, kind: corrupt, untypedKind: corrupt},
		{key: "value-bool", value: `true`, kind: corrupt, untypedKind: corrupt},
		// a field of the wrong type
		{key: "redirect-uris-number", value: with("redirect-uris-number", map[string]any{"redirect_uris": 5}),
			kind: corrupt, field: "redirect_uris"},
		{key: "redirect-uri-object", value: with("redirect-uri-object", map[string]any{"redirect_uris": []any{"https://a.example", map[string]any{"x": hostileMarker}}}),
			kind: corrupt, field: "redirect_uris[1]"},
		{key: "issued-at-string", value: with("issued-at-string", map[string]any{"client_id_issued_at": hostileMarker}),
			kind: corrupt, field: "client_id_issued_at"},
		{key: "issued-at-huge", value: with("issued-at-huge", map[string]any{"client_id_issued_at": json.Number("1e300")}),
			kind: corrupt, field: "client_id_issued_at"},
		{key: "fetched-at-overflow", value: with("fetched-at-overflow", map[string]any{"cimd_fetched_at": json.Number("1e400")}),
			kind: corrupt, field: "cimd_fetched_at"},
		{key: "client-id-number", value: with("client-id-number", map[string]any{"client_id": 7}),
			kind: corrupt, field: "client_id"},
		{key: "cimd-array", value: with("cimd-array", map[string]any{"cimd_document": []any{hostileMarker}}),
			kind: corrupt, field: "cimd_document"},
		{key: "cimd-nested-wrong", value: with("cimd-nested-wrong", map[string]any{"cimd_document": map[string]any{
			"client_id": "https://cimd.example.com/c.json", "redirect_uris": hostileMarker}}),
			kind: corrupt, field: "cimd_document.redirect_uris"},
		{key: "rat-number", value: with("rat-number", map[string]any{"registration_access_token": 12345}),
			kind: corrupt, field: "registration_access_token"},
		{key: "secret-number", value: with("secret-number", map[string]any{"client_secret": 12345}),
			kind: corrupt, field: "client_secret"},
		{key: "jwks-deep", value: with("jwks-deep", map[string]any{"jwks": json.RawMessage(deep)}),
			kind: corrupt, field: "jwks"},
		// envelopes: truncated, of another version, or otherwise broken
		{key: "secret-truncated", value: with("secret-truncated", map[string]any{"client_secret": envelope(token[:len(token)/2], 1)}),
			kind: decrypt, field: "client_secret", untypedKind: decrypt, untypedField: "client_secret"},
		{key: "secret-version-2", value: with("secret-version-2", map[string]any{"client_secret": envelope(token, 2)}),
			kind: decrypt, field: "client_secret", untypedKind: decrypt, untypedField: "client_secret"},
		{key: "secret-no-version", value: with("secret-no-version", map[string]any{"client_secret": map[string]any{"__encrypted_data__": token}}),
			kind: decrypt, field: "client_secret", untypedKind: decrypt, untypedField: "client_secret"},
		{key: "secret-data-number", value: with("secret-data-number", map[string]any{"client_secret": envelope(5, 1)}),
			kind: decrypt, field: "client_secret", untypedKind: decrypt, untypedField: "client_secret"},
		{key: "secret-not-base64", value: with("secret-not-base64", map[string]any{"client_secret": envelope("!!"+hostileMarker, 1)}),
			kind: decrypt, field: "client_secret", untypedKind: decrypt, untypedField: "client_secret"},
		{key: "value-truncated", value: envelopeJSON(wholeToken[:len(wholeToken)-7], 1), kind: decrypt, untypedKind: decrypt},
		{key: "value-version-2", value: envelopeJSON(wholeToken, 2), kind: decrypt, untypedKind: decrypt},
		{key: "value-version-string", value: envelopeJSON(wholeToken, "1"), kind: decrypt, untypedKind: decrypt},
		{key: "value-sealed-array", value: sealedValue(`["` + hostileMarker + `"]`), kind: corrupt, untypedKind: corrupt},
		{key: "value-sealed-truncated-json", value: sealedValue(`{"client_id":"` + hostileMarker + `"`), kind: corrupt, untypedKind: corrupt},
		// 10 MB: a valid record reads; a wrong type is named, not echoed
		{key: "big-valid", value: with("big-valid", map[string]any{"client_name": strings.Repeat("n", 10<<20)})},
		{key: "big-wrong-type", value: with("big-wrong-type", map[string]any{"contacts": json.RawMessage(bigNumbers)}),
			kind: corrupt, field: "contacts[0]"},
	}
}

func countBad(cases []rowCase, untyped bool) int {
	n := 0
	for _, c := range cases {
		if (!untyped && c.kind != nil) || (untyped && c.untypedKind != nil) {
			n++
		}
	}
	return n
}

// insertRaw writes a row as another tool would: plain SQL, JSON as text.
func insertRaw(t *testing.T, pool *pgxpool.Pool, collection, key, value string) {
	t.Helper()
	if _, err := pool.Exec(context.Background(),
		`INSERT INTO oauth_clients (collection, key, value, created_at) VALUES ($1, $2, $3::jsonb, now())`,
		collection, key, value); err != nil {
		t.Fatalf("inserting %s: %v", key, err)
	}
}

// checkRead checks the error of reading key: nil when kind is nil, else a
// *kv.ValueError of that kind naming the collection, key and field.
func checkRead(t *testing.T, what, key string, kind error, field string, err error) {
	t.Helper()
	if kind == nil {
		if err != nil {
			t.Errorf("%s(%s): %v; want it to read", what, key, err)
		}
		return
	}
	var ve *kv.ValueError
	switch {
	case !errors.Is(err, kind) || !errors.As(err, &ve):
		t.Errorf("%s(%s): %v; want a *kv.ValueError, %v", what, key, err, kind)
		return
	case ve.Collection != fieldsclients.DefaultCollection || ve.Key != key || ve.Field != field:
		t.Errorf("%s(%s) error names collection %q key %q field %q; want %q %q %q",
			what, key, ve.Collection, ve.Key, ve.Field, fieldsclients.DefaultCollection, key, field)
	}
	msg := err.Error()
	if !strings.Contains(msg, fmt.Sprintf("%q", key)) || !strings.Contains(msg, fieldsclients.DefaultCollection) {
		t.Errorf("%s(%s) error message does not name collection and key: %s", what, key, msg)
	}
	if strings.Contains(msg, hostileMarker) || len(msg) > maxErrorLen {
		t.Errorf("%s(%s) error echoes the stored value (%d bytes): %.300s", what, key, len(msg), msg)
	}
}

// checkMany checks the joined error of a call over many rows: one
// *kv.ValueError per bad row, as checkRead wants it.
func checkMany(t *testing.T, what string, cases []rowCase, untyped bool, err error) {
	t.Helper()
	byKey := map[string]error{}
	for _, e := range joined(err) {
		var ve *kv.ValueError
		if !errors.As(e, &ve) {
			t.Errorf("%s: an error that names no row: %v", what, e)
			continue
		}
		byKey[ve.Key] = e
	}
	for _, c := range cases {
		kind, field := c.kind, c.field
		if untyped {
			kind, field = c.untypedKind, c.untypedField
		}
		e, ok := byKey[c.key]
		delete(byKey, c.key)
		if kind == nil {
			if ok {
				t.Errorf("%s: %s: %v; want it to read", what, c.key, e)
			}
			continue
		}
		if !ok {
			t.Errorf("%s: no error for %s", what, c.key)
			continue
		}
		checkRead(t, what, c.key, kind, field, e)
	}
	for key, e := range byKey {
		t.Errorf("%s: an error for %s, which reads: %v", what, key, e)
	}
}

// joined unwraps errors.Join.
func joined(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// countingDB counts the statements that reach the database.
type countingDB struct {
	db.DBTX
	n atomic.Int64
}

func (c *countingDB) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	c.n.Add(1)
	return c.DBTX.Exec(ctx, sql, args...)
}

func (c *countingDB) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	c.n.Add(1)
	return c.DBTX.Query(ctx, sql, args...)
}

func (c *countingDB) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	c.n.Add(1)
	return c.DBTX.QueryRow(ctx, sql, args...)
}

// TestHostileKeys: keys and collections no store can hold are ErrInvalidKey
// before any SQL is sent, through every method; the awkward ones a store can
// hold round-trip exactly, without a driver error.
func TestHostileKeys(t *testing.T) {
	ctx := context.Background()
	counter := &countingDB{DBTX: newTable(t)}
	s, err := fieldsclients.New(counter, fieldsclients.Options{Encrypter: newRing(t)})
	if err != nil {
		t.Fatal(err)
	}
	room := kv.MaxKeyBytes - len(fieldsclients.DefaultCollection)
	rng := rand.New(rand.NewPCG(1, 2))
	incompressible := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('!' + rng.IntN('~'-'!'+1))
		}
		return string(b)
	}
	invalid := map[string]string{
		"empty":                     "",
		"NUL byte":                  "client\x00id",
		"invalid UTF-8":             "client\xff\xfeid",
		"lone surrogate half":       "\xed\xa0\x80",
		"1,500 two-byte characters": strings.Repeat("é", 1500),
		"one byte past the bound":   incompressible(room + 1),
		"past the btree limit":      incompressible(3000),
	}
	valid := map[string]string{
		"1,500 characters":        incompressible(1500),
		"exactly at the bound":    incompressible(room),
		"SQL and quotes":          `a'b"c\d;--%_ DROP TABLE oauth_clients;`,
		"four-byte UTF-8":         "🌍🔑\u0301ü",
		"a space":                 " ",
		"control characters":      "\t\n\r\x01\x7f",
		"looks like an envelope":  `{"__encrypted_data__":"x"}`,
		"Unicode noncharacter":    "\uffff\ufffe",
		"escaped NUL as text":     `\u0000`,
		"right-to-left and zwj":   "\u202e\u200d",
		"a key over 1 KB of 'é'":  strings.Repeat("é", 600),
		"two-byte near the bound": strings.Repeat("é", (room-3)/2) + "abc",
	}

	invalidCollections := map[string]string{
		"NUL byte":        "coll\x00",
		"invalid UTF-8":   "coll\xc3",
		"past the bound":  strings.Repeat("c", kv.MaxKeyBytes),
		"past the btree":  strings.Repeat("c", 3000),
		"NUL and invalid": "\x00\xff",
	}
	var rejected, calls int
	for name, key := range invalid {
		before := counter.n.Load()
		for what, err := range keyCalls(ctx, s, fieldsclients.DefaultCollection, key) {
			calls++
			var ke *kv.KeyError
			var pgErr *pgconn.PgError
			switch {
			case !errors.Is(err, kv.ErrInvalidKey) || !errors.As(err, &ke):
				t.Errorf("%s with a key that is %s: %v; want ErrInvalidKey", what, name, err)
			case errors.As(err, &pgErr):
				t.Errorf("%s with a key that is %s: a driver error: %v", what, name, err)
			case len(err.Error()) > 400:
				t.Errorf("%s with a key that is %s: the error quotes the whole key (%d bytes)", what, name, len(err.Error()))
			default:
				rejected++
			}
		}
		if n := counter.n.Load() - before; n != 0 {
			t.Errorf("a key that is %s reached the database: %d statements", name, n)
		}
	}
	for name, coll := range invalidCollections {
		before := counter.n.Load()
		for what, err := range collectionCalls(ctx, s, coll) {
			calls++
			if !errors.Is(err, kv.ErrInvalidKey) {
				t.Errorf("%s in a collection that is %s: %v; want ErrInvalidKey", what, name, err)
			} else {
				rejected++
			}
		}
		if n := counter.n.Load() - before; n != 0 {
			t.Errorf("a collection that is %s reached the database: %d statements", name, n)
		}
	}
	for name, key := range valid {
		r := faultRecord(key, 1)
		if err := s.Put(ctx, r); err != nil {
			t.Errorf("Put with a key that is %s: %v", name, err)
			continue
		}
		got, ok, err := s.Get(ctx, key)
		if err != nil || !ok || got.ClientID != key {
			t.Errorf("Get with a key that is %s = %q, %v, %v; want the record back", name, got.ClientID, ok, err)
		}
		if entries, err := s.GetMany(ctx, []string{key, key}); err != nil || !entries[0].Found || !entries[1].Found {
			t.Errorf("GetMany with a key that is %s: %v", name, err)
		}
		if ok, err := s.Delete(ctx, key); err != nil || !ok {
			t.Errorf("Delete with a key that is %s = %v, %v", name, ok, err)
		}
	}
	t.Logf("hostile keys: %d keys and %d collections no store can hold, rejected with ErrInvalidKey before any SQL "+
		"in %d of %d calls; %d awkward valid keys round-tripped", len(invalid), len(invalidCollections), rejected, calls, len(valid))
}

// keyCalls makes every call that takes a key, with key, and returns their errors.
func keyCalls(ctx context.Context, s *fieldsclients.Store, collection, key string) map[string]error {
	out := map[string]error{}
	_, _, out["Get"] = s.Get(ctx, key)
	_, out["GetMany"] = s.GetMany(ctx, []string{"fine", key})
	out["Put"] = s.Put(ctx, faultRecord(key, 1))
	out["PutMany"] = s.PutMany(ctx, []fieldsclients.Client{faultRecord("fine", 1), faultRecord(key, 2)})
	_, out["Delete"] = s.Delete(ctx, key)
	_, out["DeleteMany"] = s.DeleteMany(ctx, []string{"fine", key})
	_, out["KV TTL"] = s.KV().TTL(ctx, collection, key)
	_, out["KV TTLMany"] = s.KV().TTLMany(ctx, collection, []string{key})
	_, _, out["Untyped Get"] = s.Untyped().Get(ctx, collection, key)
	out["Untyped Put"] = s.Untyped().Put(ctx, collection, key, map[string]any{"a": 1}, 0)
	out["Untyped PutMany"] = s.Untyped().PutMany(ctx, collection, []string{key}, []map[string]any{{"a": 1}}, 0)
	return out
}

// collectionCalls makes every call that takes a collection, with collection.
func collectionCalls(ctx context.Context, s *fieldsclients.Store, collection string) map[string]error {
	out := map[string]error{}
	_, _, out["KV Get"] = s.KV().Get(ctx, collection, "k")
	_, out["KV GetMany"] = s.KV().GetMany(ctx, collection, []string{"k"})
	out["KV Put"] = s.KV().Put(ctx, collection, "k", faultRecord("k", 1), 0)
	_, out["KV Delete"] = s.KV().Delete(ctx, collection, "k")
	_, out["KV DeleteMany"] = s.KV().DeleteMany(ctx, collection, []string{"k"})
	_, out["KV Keys"] = s.KV().Keys(ctx, collection, "", 10)
	_, out["KV DeleteCollection"] = s.KV().DeleteCollection(ctx, collection)
	_, _, out["Untyped Get"] = s.Untyped().Get(ctx, collection, "k")
	out["Untyped Put"] = s.Untyped().Put(ctx, collection, "k", map[string]any{"a": 1}, 0)
	_, out["Reencrypt"] = s.Reencrypt(ctx, kv.ReencryptOptions{Collection: collection})
	return out
}

// TestSecretsNotInErrors: a decrypt failure, a wrong key ring, a validation
// failure of a record whose secrets are set, a malformed key, a value the
// database refuses: no error string holds a secret, a token, a key or the
// stored ciphertext, however it is printed.
func TestSecretsNotInErrors(t *testing.T) {
	ctx := context.Background()
	pool := newTable(t)
	keyA, keyB := newKey(t), newKey(t)
	ringA, ringB := newRing(t, keyA), newRing(t, keyB)
	s := newStore(t, pool, ringA)
	wrongRing := newStore(t, pool, ringB)

	const clientSecret, rat, upstream = "SECRET-client-3b9d1e", "TOKEN-rat-77c2f0", "TOKEN-upstream-a51d9e"
	r := faultRecord("c1", 1)
	r.ClientSecret = clientSecret
	r.RegistrationAccessToken = kv.Hash(rat)
	if err := s.Put(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := s.Untyped().Put(ctx, "tokens", "u1", map[string]any{"access_token": upstream}, 0); err != nil {
		t.Fatal(err)
	}
	secrets := []string{clientSecret, rat, upstream, keyA, keyB}
	// The ciphertext too: a stored token is key material's next of kin.
	for _, key := range []string{"c1", "u1"} {
		stored := storedValue(t, pool, key)
		for _, token := range envelopeTokens(t, stored) {
			secrets = append(secrets, token[:24], token[len(token)-24:])
		}
	}

	var errs []error
	add := func(what string, err error, want error) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Errorf("%s: %v; want %v", what, err, want)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	_, _, err := wrongRing.Get(ctx, "c1")
	add("Get with a ring that lacks the key", err, kv.ErrDecrypt)
	_, err = wrongRing.GetMany(ctx, []string{"c1"})
	add("GetMany with a ring that lacks the key", err, kv.ErrDecrypt)
	_, err = wrongRing.List(ctx, "", 10)
	add("List with a ring that lacks the key", err, kv.ErrDecrypt)
	_, _, err = wrongRing.Untyped().Get(ctx, "tokens", "u1")
	add("untyped Get with a ring that lacks the key", err, kv.ErrDecrypt)
	_, err = newStore(t, pool, newRing(t, keyB)).Reencrypt(ctx, kv.ReencryptOptions{})
	add("Reencrypt with a ring that lacks the key", err, kv.ErrDecrypt)

	bad := r
	bad.RedirectURIs = []string{"not a url " + clientSecret}
	bad.TokenEndpointAuthMethod = rat
	bad.ClientURI = "javascript:" + upstream
	add("Put of an invalid record with its secrets set", s.Put(ctx, bad), kv.ErrInvalid)
	add("PutMany of an invalid record with its secrets set", s.PutMany(ctx, []fieldsclients.Client{r, bad}), kv.ErrInvalid)
	add("Validate", bad.Validate(), kv.ErrInvalid)

	for _, malformed := range []string{keyA[:len(keyA)-2], keyA + "," + keyB[1:], keyA[:10] + "*" + keyA[11:], keyA + keyB} {
		_, err := kv.ParseKeys(malformed)
		if err == nil {
			t.Errorf("ParseKeys took a malformed key")
			continue
		}
		errs = append(errs, err)
	}

	// A key file whose second key is malformed: the error names the file and
	// the key's position, not the keys.
	keyFile := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(keyFile, []byte(keyA+"\n"+keyB[:30]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.LoadKeys("", keyFile); err == nil {
		t.Error("LoadKeys took a malformed key")
	} else {
		errs = append(errs, err)
		secrets = append(secrets, keyB[:30])
	}

	// A value PostgreSQL refuses (jsonb holds no NUL) is a driver error; its
	// message must not carry the record either.
	nul := r
	nul.ClientName = "nul\x00name"
	err = s.Put(ctx, nul)
	if err == nil {
		t.Error("Put of a record with a NUL in a string: no error")
	} else {
		errs = append(errs, err)
		t.Logf("Put of a record with a NUL in client_name: %v", err)
	}

	var found int
	for _, err := range errs {
		var logs bytes.Buffer
		slog.New(slog.NewJSONHandler(&logs, nil)).Error("failed", "err", err)
		slog.New(slog.NewTextHandler(&logs, nil)).Error("failed", "err", err)
		shown := fmt.Sprintf("%v|%+v|%#v|%s|%q", err, err, err, err, err) + logs.String()
		for _, secret := range secrets {
			if strings.Contains(shown, secret) {
				found++
				t.Errorf("an error shows a secret: %s", shown)
			}
		}
	}
	t.Logf("secrets: %d error strings searched for %d secrets (2 plaintexts, a token, 2 Fernet keys and a broken one, 4 ciphertext pieces): %d found",
		len(errs), len(secrets), found)
}

// envelopeTokens returns the __encrypted_data__ strings in a stored value.
func envelopeTokens(t *testing.T, stored string) []string {
	t.Helper()
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if data, ok := v["__encrypted_data__"].(string); ok {
				out = append(out, data)
			}
			for _, m := range v {
				walk(m)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	var v any
	if err := json.Unmarshal([]byte(stored), &v); err != nil {
		t.Fatal(err)
	}
	walk(v)
	if len(out) == 0 {
		t.Fatalf("no envelope in %s", stored)
	}
	return out
}
