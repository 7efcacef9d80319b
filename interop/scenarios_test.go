package interop_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kvgen/kvgen/generated/oauthclients"
)

// near fails unless got seconds are within 2 s of want, as py-key-value's
// own ttl tests allow.
func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 2 {
		t.Errorf("%s: %.2f s left, want %.0f ± 2", what, got, want)
	}
}

func TestPythonPutGoReads(t *testing.T) {
	s := newShared(t)
	s.py.put(clients, "py-1", pyClient("py-1"), 0)
	s.py.putMany(clients, []string{"py-2", "py-3"}, []any{pyClient("py-2"), pyClient("py-3")}, 0)
	s.py.put(clients, "py-ttl", pyClient("py-ttl"), 100)

	c, err := s.goGet(t, "py-1")
	if err != nil {
		t.Fatal(err)
	}
	if c.ClientSecret.Reveal() != "s3cr3t-py-1" || c.ClientName != pyClient("")["client_name"] ||
		!slices.Equal(c.RedirectURIs, []string{"http://127.0.0.1:33418/callback", "cursor://anysphere.cursor-retrieval/oauth/callback"}) ||
		c.ClientIDIssuedAt.Unix() != 1764547200 || c.TokenEndpointAuthMethod != "client_secret_post" {
		t.Errorf("typed Get of a Python record: %+v", c)
	}

	entries, err := s.gost.GetMany(s.ctx, []string{"py-2", "missing", "py-3", "py-2"})
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, e := range entries {
		found = append(found, map[bool]string{true: e.Value.ClientID, false: "-"}[e.Found])
	}
	if !slices.Equal(found, []string{"py-2", "-", "py-3", "py-2"}) {
		t.Errorf("GetMany found %v", found)
	}

	e, err := s.gost.KV().TTL(s.ctx, "", "py-ttl")
	if err != nil || !e.Found || !e.Expires {
		t.Fatalf("TTL of a Python record with ttl 100: %+v, %v", e, err)
	}
	near(t, "Go's TTL of Python's ttl=100", e.TTL.Seconds(), 100)

	m, ok, err := s.gost.Untyped().Get(s.ctx, "", "py-1")
	if err != nil || !ok {
		t.Fatalf("untyped Get: %v, %v", ok, err)
	}
	sameJSON(t, "untyped Get of a Python record", m, pyClient("py-1"))
}

func TestGoPutPythonReads(t *testing.T) {
	s := newShared(t)
	if err := s.gost.Put(s.ctx, goClient("go-1")); err != nil {
		t.Fatal(err)
	}
	if err := s.gost.PutMany(s.ctx, []oauthclients.Client{goClient("go-2"), goClient("go-3")}); err != nil {
		t.Fatal(err)
	}
	if err := s.gost.KV().Put(s.ctx, "", "go-ttl", goClient("go-ttl"), 100*time.Second); err != nil {
		t.Fatal(err)
	}
	token := map[string]any{"access_token": "at-1", "expires_in": float64(3600), "scope": nil}
	if err := s.gost.Untyped().Put(s.ctx, "mcp-upstream-tokens", "tok-1", token, 900*time.Second); err != nil {
		t.Fatal(err)
	}

	raw, err := s.py.get(clients, "go-1")
	if err != nil {
		t.Fatalf("Python get of a Go record: %v", err)
	}
	m := decode(t, raw)
	checkFastMCPTypes(t, m)
	if m["client_secret"] != "go-secret-go-1" || m["client_id"] != "go-1" || m["client_id_issued_at"] != float64(1764547200) {
		t.Errorf("Python sees %s", raw)
	}
	var jwks any
	_ = json.Unmarshal(goClient("").JWKS, &jwks)
	sameJSON(t, "jwks as Python reads it", m["jwks"], jwks)

	many, err := s.py.getMany(clients, []string{"go-2", "nope", "go-3"})
	if err != nil {
		t.Fatalf("Python get_many of Go records: %v", err)
	}
	if len(many) != 3 || decode(t, many[0])["client_id"] != "go-2" || string(many[1]) != "null" || decode(t, many[2])["client_id"] != "go-3" {
		t.Errorf("Python get_many: %s", many)
	}

	raw, left, err := s.py.ttl(clients, "go-ttl")
	if err != nil || left == nil {
		t.Fatalf("Python ttl of a Go record with ttl 100 s: %s, %v, %v", raw, left, err)
	}
	near(t, "Python's ttl of Go's 100 s", *left, 100)
	checkFastMCPTypes(t, decode(t, raw))

	raw, left, err = s.py.ttl("mcp-upstream-tokens", "tok-1")
	if err != nil || left == nil {
		t.Fatalf("Python ttl of an untyped Go value: %s, %v, %v", raw, left, err)
	}
	near(t, "Python's ttl of Go's 900 s", *left, 900)
	sameJSON(t, "untyped Go value as Python reads it", decode(t, raw), token)
}

func TestDeletesBothWays(t *testing.T) {
	s := newShared(t)
	s.py.putMany(clients, []string{"py-1", "py-2"}, []any{pyClient("py-1"), pyClient("py-2")}, 0)
	for _, id := range []string{"go-1", "go-2"} {
		if err := s.gost.Put(s.ctx, goClient(id)); err != nil {
			t.Fatal(err)
		}
	}

	if ok, err := s.gost.Delete(s.ctx, "py-1"); !ok || err != nil {
		t.Errorf("Go Delete of a Python record: %v, %v", ok, err)
	}
	if raw, err := s.py.get(clients, "py-1"); err != nil || string(raw) != "null" {
		t.Errorf("Python get after Go's delete: %s, %v", raw, err)
	}
	if !s.py.delete(clients, "go-1") {
		t.Error("Python delete of a Go record returned False")
	}
	if _, err := s.goGet(t, "go-1"); !errors.Is(err, errNotFound) {
		t.Errorf("Go Get after Python's delete: %v", err)
	}
	if n := s.py.deleteMany(clients, []string{"go-2", "py-2", "gone"}); n != 2 {
		t.Errorf("Python delete_many counted %d, want 2", n)
	}
	if n, err := s.gost.DeleteMany(s.ctx, []string{"go-2", "py-2"}); n != 0 || err != nil {
		t.Errorf("Go DeleteMany after Python's: %d, %v", n, err)
	}
}

// TestExpiryBothWays waits for a three-second ttl to pass on both sides
// (long enough for the reads before expiry on a busy machine).
// Python decides expiry on its own clock, Go on the database's; here they
// are one machine's clock.
func TestExpiryBothWays(t *testing.T) {
	s := newShared(t)
	s.py.put(clients, "py-short", pyClient("py-short"), 3)
	if err := s.gost.KV().Put(s.ctx, "", "go-short", goClient("go-short"), 3*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := s.goGet(t, "py-short"); err != nil {
		t.Fatalf("before expiry: %v", err)
	}
	if raw, err := s.py.get(clients, "go-short"); err != nil || string(raw) == "null" {
		t.Fatalf("before expiry: %s, %v", raw, err)
	}
	time.Sleep(3500 * time.Millisecond)
	if _, err := s.goGet(t, "py-short"); !errors.Is(err, errNotFound) {
		t.Errorf("Go read of an expired Python record: %v", err)
	}
	if raw, err := s.py.get(clients, "go-short"); err != nil || string(raw) != "null" {
		t.Errorf("Python read of an expired Go record: %s, %v", raw, err)
	}
}

// TestGoUpdatePythonRecord is a read-modify-write by Go, typed and untyped,
// of records that Python wrote: Python must still read them, with the change,
// its secret, and the member the Go schema does not know.
func TestGoUpdatePythonRecord(t *testing.T) {
	s := newShared(t)
	s.py.put(clients, "typed", pyClient("typed"), 0)
	s.py.put(clients, "untyped", pyClient("untyped"), 0)

	c, err := s.goGet(t, "typed")
	if err != nil {
		t.Fatal(err)
	}
	c.ClientName = "renamed by Go"
	if err := s.gost.Put(s.ctx, c); err != nil {
		t.Fatal(err)
	}
	m, ok, err := s.gost.Untyped().Get(s.ctx, "", "untyped")
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	m["client_name"] = "renamed by Go"
	if err := s.gost.Untyped().Put(s.ctx, "", "untyped", m, 0); err != nil {
		t.Fatal(err)
	}

	for _, id := range []string{"typed", "untyped"} {
		raw, err := s.py.get(clients, id)
		if err != nil {
			t.Errorf("%s: Python cannot read the record Go updated: %v", id, err)
			continue
		}
		want := pyClient(id)
		want["client_name"] = "renamed by Go"
		got := decode(t, raw)
		checkFastMCPTypes(t, got)
		for name, v := range want {
			if id == "typed" && v == nil {
				continue // absent members are written as null or left out
			}
			sameJSON(t, id+": "+name, map[string]any{name: got[name]}, map[string]any{name: v})
		}
	}
}

// TestPythonPlaintextGoReads: rows FastMCP wrote before encryption was
// configured still read, and are counted.
func TestPythonPlaintextGoReads(t *testing.T) {
	s := newShared(t)
	s.py.useKeys()
	s.py.put(clients, "plain", pyClient("plain"), 0)
	c, err := s.goGet(t, "plain")
	if err != nil {
		t.Fatal(err)
	}
	if c.ClientSecret.Reveal() != "s3cr3t-plain" {
		t.Errorf("secret of a plaintext Python record: %q", c.ClientSecret.Reveal())
	}
	if n := s.gost.PlaintextReads(); n != 1 {
		t.Errorf("PlaintextReads = %d, want 1", n)
	}
}

// exactValues are the values py-key-value's shared store tests require to
// round-trip exactly, as one object.
func exactValues() map[string]any {
	long := strings.Repeat("x", 10_000)
	nums := make([]any, 1000)
	for i := range nums {
		nums[i] = json.Number(strconv.Itoa(i))
	}
	return map[string]any{
		"null": nil, "nested_null": map[string]any{"a": nil, "b": []any{nil}},
		"true": true, "false": false, "negative": json.Number("-42"), "big": json.Number("1000000000000000000"),
		"float": json.Number("12345678901.2345"), "long": long, "range": nums,
		"unicode": "Hello 世界 🌍 émojis", "controls": "a\nb\tc", "uuid": "550e8400-e29b-41d4-a716-446655440000",
		"base64": "SGVsbG8gV29ybGQ=", "1": "one", "1.0": "one point oh", "looks_null": "null", "looks_true": "true",
	}
}

// sameExactly compares JSON texts with every number kept as its text's value.
func sameExactly(t *testing.T, what string, got []byte, want map[string]any) {
	t.Helper()
	var g, w any
	dec := json.NewDecoder(bytes.NewReader(got))
	dec.UseNumber()
	if err := dec.Decode(&g); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	wb, _ := json.Marshal(want)
	dec = json.NewDecoder(bytes.NewReader(wb))
	dec.UseNumber()
	_ = dec.Decode(&w)
	if !reflect.DeepEqual(normNumbers(g), normNumbers(w)) {
		t.Errorf("%s differs:\n got %.300s\nwant %.300s", what, got, wb)
	}
}

// normNumbers turns json.Numbers into exact decimal text, so 1.0e1 and 10
// compare equal but 10**18 and 10**18+1 do not.
func normNumbers(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = normNumbers(e)
		}
	case []any:
		for i, e := range v {
			v[i] = normNumbers(e)
		}
	case json.Number:
		f, _, err := big.ParseFloat(string(v), 10, 200, big.ToNearestEven)
		if err != nil {
			return "bad number " + string(v)
		}
		return f.Text('g', 40)
	}
	return v
}

func TestValuesRoundTripBothWays(t *testing.T) {
	s := newShared(t)
	const coll = "mcp-upstream-tokens"
	s.py.put(coll, "from-python", exactValues(), 0)
	if err := s.gost.Untyped().Put(s.ctx, coll, "from-go", exactValues(), 0); err != nil {
		t.Fatal(err)
	}

	m, ok, err := s.gost.Untyped().Get(s.ctx, coll, "from-python")
	if err != nil || !ok {
		t.Fatalf("Go get of Python's values: %v, %v", ok, err)
	}
	sameExactly(t, "Python's values read by Go", mustEncode(t, m), exactValues())

	raw, err := s.py.get(coll, "from-go")
	if err != nil {
		t.Fatalf("Python get of Go's values: %v", err)
	}
	sameExactly(t, "Go's values read by Python", raw, exactValues())
}

// TestClocksDisagree documents what a user sees when the Python host's clock
// runs ahead of the database's: Python writes expires_at on its own clock
// and decides expiry on it, kvgen on the database's. With Python 60 s ahead,
// a Python put of ttl 100 lives 160 s for Go, and a Go put of ttl 100 has
// 40 s left for Python.
func TestClocksDisagree(t *testing.T) {
	s := newShared(t)
	s.py.must(s.py.call("skew", map[string]any{"seconds": 60}, nil))
	s.py.put(clients, "py", pyClient("py"), 100)
	if err := s.gost.KV().Put(s.ctx, "", "go", goClient("go"), 100*time.Second); err != nil {
		t.Fatal(err)
	}
	e, err := s.gost.KV().TTL(s.ctx, "", "py")
	if err != nil || !e.Found {
		t.Fatalf("Go TTL of Python's record: %+v, %v", e, err)
	}
	near(t, "Go's TTL of a ttl=100 put by Python 60 s ahead", e.TTL.Seconds(), 160)
	_, left, err := s.py.ttl(clients, "go")
	if err != nil || left == nil {
		t.Fatalf("Python ttl of Go's record: %v, %v", left, err)
	}
	near(t, "Python's ttl, 60 s ahead, of a Go put of 100 s", *left, 40)
}
