package kv_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/kvtest"
)

// pythonRow is one row that py-key-value-aio 0.4.4 wrote (docs/python-interop.md).
type pythonRow struct {
	Collection string          `json:"collection"`
	Key        string          `json:"key"`
	Value      string          `json:"value"` // the JSONB text
	TTL        *float64        `json:"ttl"`
	Plaintext  json.RawMessage `json:"plaintext"`
}

type pythonKeys struct {
	Current  string
	Previous string
}

func loadPythonRows(t *testing.T) (pythonKeys, []pythonRow) {
	t.Helper()
	f, err := os.Open("testdata/pykv-0.4.4-rows.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var keys pythonKeys
	var rows []pythonRow
	for line := 0; sc.Scan(); line++ {
		if line == 0 {
			var head struct {
				Keys struct {
					Current  string `json:"current"`
					Previous string `json:"previous"`
				} `json:"keys"`
			}
			if err := json.Unmarshal(sc.Bytes(), &head); err != nil {
				t.Fatal(err)
			}
			keys = pythonKeys{head.Keys.Current, head.Keys.Previous}
			continue
		}
		var r pythonRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %d: %v", line+1, err)
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if keys.Current == "" || len(rows) != 6 {
		t.Fatalf("testdata: %d rows, keys %v; want the 6 rows of interop/", len(rows), keys.Current != "")
	}
	return keys, rows
}

func decodeNumbers(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var v map[string]any
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestReadPythonRows(t *testing.T) {
	keys, rows := loadPythonRows(t)
	codec, err := kv.NewMapCodec(mustRing(t, keys.Current+","+keys.Previous), kv.EncryptionValue, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		before := codec.PlaintextReads()
		got, err := codec.Decode(r.Collection, r.Key, []byte(r.Value))
		if err != nil {
			t.Errorf("%s: %v", r.Key, err)
			continue
		}
		if want := decodeNumbers(t, r.Plaintext); !kvtest.JSONEqual(got, want) {
			t.Errorf("%s: read %v\nwant %v", r.Key, got, want)
		}
		counted := codec.PlaintextReads() - before
		if want := map[bool]int64{true: 1, false: 0}[r.Key == "vec-plain-1"]; counted != want {
			t.Errorf("%s: counted %d plaintext reads, want %d", r.Key, counted, want)
		}
	}
}

func TestPythonRowsWithoutTheirKey(t *testing.T) {
	keys, rows := loadPythonRows(t)
	codec, err := kv.NewMapCodec(mustRing(t, keys.Current), kv.EncryptionValue, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		_, err := codec.Decode(r.Collection, r.Key, []byte(r.Value))
		if r.Key != "vec-client-2" {
			if err != nil {
				t.Errorf("%s with the current key: %v", r.Key, err)
			}
			continue
		}
		var ve *kv.ValueError
		if !errors.Is(err, kv.ErrDecrypt) || !errors.As(err, &ve) || ve.Key != r.Key || ve.Collection != r.Collection {
			t.Fatalf("vec-client-2 (previous key only) without the previous key: %v; want ErrDecrypt naming it", err)
		}
		for _, leak := range []string{"s3cr3t", keys.Current, keys.Previous} {
			if strings.Contains(err.Error(), leak) {
				t.Errorf("error %q leaks %q", err, leak)
			}
		}
	}
}

// TestPythonRowsInAStore loads the rows as they are into a backend, reads
// them through a ValueStore, rotates the previous key out with Reencrypt and
// reads them again with the current key alone.
func TestPythonRowsInAStore(t *testing.T) {
	ctx := t.Context()
	keys, rows := loadPythonRows(t)
	mem := kv.NewMemory()
	want := map[string]map[string]any{}
	for _, r := range rows {
		if err := mem.Put(ctx, r.Collection, r.Key, []byte(r.Value), r.TTL); err != nil {
			t.Fatal(err)
		}
		want[r.Key] = decodeNumbers(t, r.Plaintext)
	}
	readAll := func(ring *kv.KeyRing) {
		t.Helper()
		codec, err := kv.NewMapCodec(ring, kv.EncryptionValue, nil)
		if err != nil {
			t.Fatal(err)
		}
		store := kv.NewValueStore(mem, codec, "mcp-oauth-proxy-clients")
		for _, coll := range []string{"", "mcp-oauth-transactions"} {
			items, err := store.List(ctx, coll, "", 0)
			if err != nil {
				t.Fatalf("List(%q): %v", coll, err)
			}
			for _, it := range items {
				if !kvtest.JSONEqual(it.Value, want[it.Key]) {
					t.Errorf("%s reads %v", it.Key, it.Value)
				}
				if strings.HasPrefix(it.Key, "vec-txn") || it.Key == "vec-client-3" {
					if !it.Expires || it.TTL < 49*365*24*time.Hour {
						t.Errorf("%s: Expires %v, TTL %v; want the 50-year ttl", it.Key, it.Expires, it.TTL)
					}
				}
			}
		}
	}
	readAll(mustRing(t, keys.Current+","+keys.Previous))

	rotated := mustRing(t, keys.Current+","+keys.Previous)
	store := kv.NewValueStore(mem, kv.MapCodec{}, "mcp-oauth-proxy-clients")
	res, err := store.Reencrypt(ctx, kv.ReencryptOptions{Encrypter: rotated})
	if err != nil {
		t.Fatal(err)
	}
	if res.Scanned != 4 || res.Rewritten != 1 || res.Conflicts != 0 || res.Cursor != "vec-plain-1" {
		t.Errorf("Reencrypt = %+v; want 4 scanned, 1 rewritten (vec-client-2), cursor vec-plain-1", res)
	}
	readAll(mustRing(t, keys.Current))
}
