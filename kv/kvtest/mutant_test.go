package kvtest_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/kvtest"
)

// mutantEnv names the broken rule TestMutantTarget runs the suite against.
const mutantEnv = "KVTEST_MUTANT"

// mutants maps each broken rule to the subtest that must catch it.
var mutants = map[string]string{
	"delete-missing-true":          "DeleteMissing",
	"expired-visible":              "Expiry",
	"getmany-drops-missing":        "GetManyMissing",
	"negative-ttl-accepted":        "NegativeTTL",
	"putmany-not-atomic":           "PutManyAtomic",
	"empty-collection-not-default": "DefaultCollection",
	"putmany-first-value-wins":     "PutManyDuplicateKeys",
	"length-mismatch-writes":       "PutManyLengthMismatch",
	"deletemany-counts-keys":       "DeleteMany",
	"json-numbers-as-float64":      "JSONRoundTrip",
	"cas-ignores-version":          "CompareAndSwap",
	"cas-resurrects":               "CompareAndSwap",
	"replace-creates":              "Replace",
	"compare-delete-ignores":       "CompareAndDelete",
	"getanddelete-not-atomic":      "ConditionalConcurrency",
}

// TestMutantTarget runs the suite on the memory store, broken by the rule
// that $KVTEST_MUTANT names (none when unset). TestMutants runs it in child
// processes and expects every mutant to fail.
func TestMutantTarget(t *testing.T) {
	rule := os.Getenv(mutantEnv)
	if _, ok := mutants[rule]; rule != "" && !ok {
		t.Fatalf("unknown mutant %q", rule)
	}
	kvtest.RunJSON(t, kvtest.Suite[map[string]any]{
		New: func(t *testing.T) kv.Store[map[string]any] {
			codec, err := kv.NewMapCodec(nil, kv.EncryptionNone, nil)
			if err != nil {
				t.Fatal(err)
			}
			return &mutant{Store: kv.NewMemoryStore(codec, ""), rule: rule, shadow: map[[2]string]map[string]any{}}
		},
		ShortTTL: 300 * time.Millisecond,
	})
}

func TestMutants(t *testing.T) {
	if os.Getenv(mutantEnv) != "" {
		t.Skip("inside a mutant child process")
	}
	run := func(rule string) (string, error) {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestMutantTarget$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), mutantEnv+"="+rule)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	t.Run("none", func(t *testing.T) {
		if out, err := run(""); err != nil {
			t.Fatalf("the suite fails on the unbroken store: %v\n%s", err, out)
		}
	})
	for rule, subtest := range mutants {
		t.Run(rule, func(t *testing.T) {
			t.Parallel()
			out, err := run(rule)
			if err == nil {
				t.Fatalf("the suite passes on a store where %s:\n%s", rule, out)
			}
			if want := "--- FAIL: TestMutantTarget/" + subtest; !strings.Contains(out, want) {
				t.Errorf("the suite failed, but not in %s:\n%s", subtest, out)
			}
		})
	}
}

// mutant is a store that breaks exactly one rule of kv.Store.
type mutant struct {
	kv.Store[map[string]any]
	rule string

	mu     sync.Mutex
	shadow map[[2]string]map[string]any // every value ever put, for expired-visible

	// reads gates the GetAndDelete calls of getanddelete-not-atomic per
	// entry: the second reader of an entry opens the gate for both, so the
	// bug shows in every race.
	reads map[[2]string]*readGate
}

// readGate counts the readers of one entry; open is closed by the second.
type readGate struct {
	n    int
	open chan struct{}
}

// read counts a reader of the entry and returns the gate to wait for.
func (m *mutant) read(collection, key string) <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.reads == nil {
		m.reads = map[[2]string]*readGate{}
	}
	g := m.reads[[2]string{collection, key}]
	if g == nil {
		g = &readGate{open: make(chan struct{})}
		m.reads[[2]string{collection, key}] = g
	}
	if g.n++; g.n == 2 {
		close(g.open)
	}
	return g.open
}

func (m *mutant) resolve(collection string) string {
	if collection == "" && m.rule == "empty-collection-not-default" {
		return "not_the_default"
	}
	return collection
}

func (m *mutant) ttl(ttl time.Duration) time.Duration {
	if ttl < 0 && m.rule == "negative-ttl-accepted" {
		return 0
	}
	return ttl
}

func (m *mutant) remember(collection, key string, v map[string]any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.shadow[shadowKey(collection, key)] = v
}

// shadowKey names an entry of the shadow, "" resolved as the store does.
func shadowKey(collection, key string) [2]string {
	if collection == "" {
		collection = kv.DefaultCollection
	}
	return [2]string{collection, key}
}

func (m *mutant) Get(ctx context.Context, collection, key string) (map[string]any, bool, error) {
	collection = m.resolve(collection)
	v, ok, err := m.Store.Get(ctx, collection, key)
	if err == nil && !ok && m.rule == "expired-visible" {
		m.mu.Lock()
		v, ok = m.shadow[shadowKey(collection, key)]
		m.mu.Unlock()
	}
	if ok && m.rule == "json-numbers-as-float64" {
		v = floatNumbers(v).(map[string]any)
	}
	return v, ok, err
}

// floatNumbers turns json.Numbers into float64, as a decoder without
// UseNumber would.
func floatNumbers(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = floatNumbers(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = floatNumbers(e)
		}
		return out
	case interface{ Float64() (float64, error) }:
		f, _ := v.Float64()
		return f
	}
	return v
}

func (m *mutant) GetMany(ctx context.Context, collection string, keys []string) ([]kv.Entry[map[string]any], error) {
	entries, err := m.Store.GetMany(ctx, m.resolve(collection), keys)
	if m.rule == "getmany-drops-missing" {
		found := entries[:0]
		for _, e := range entries {
			if e.Found {
				found = append(found, e)
			}
		}
		entries = found
	}
	return entries, err
}

func (m *mutant) TTL(ctx context.Context, collection, key string) (kv.Entry[map[string]any], error) {
	return m.Store.TTL(ctx, m.resolve(collection), key)
}

func (m *mutant) TTLMany(ctx context.Context, collection string, keys []string) ([]kv.Entry[map[string]any], error) {
	return m.Store.TTLMany(ctx, m.resolve(collection), keys)
}

func (m *mutant) Put(ctx context.Context, collection, key string, v map[string]any, ttl time.Duration) error {
	collection = m.resolve(collection)
	err := m.Store.Put(ctx, collection, key, v, m.ttl(ttl))
	if err == nil {
		m.remember(collection, key, v)
	}
	return err
}

func (m *mutant) PutMany(ctx context.Context, collection string, keys []string, values []map[string]any, ttl time.Duration) error {
	collection, ttl = m.resolve(collection), m.ttl(ttl)
	switch {
	case len(keys) != len(values) && m.rule != "length-mismatch-writes":
		return m.Store.PutMany(ctx, collection, keys, values, ttl)
	case m.rule == "putmany-not-atomic":
		var first error
		for i, k := range keys {
			if err := m.Put(ctx, collection, k, values[i], ttl); err != nil && first == nil {
				first = err
			}
		}
		return first
	case m.rule == "putmany-first-value-wins":
		seen := map[string]bool{}
		var ks []string
		var vs []map[string]any
		for i, k := range keys {
			if !seen[k] {
				seen[k] = true
				ks, vs = append(ks, k), append(vs, values[i])
			}
		}
		keys, values = ks, vs
	case m.rule == "length-mismatch-writes":
		n := min(len(keys), len(values))
		keys, values = keys[:n], values[:n]
	}
	err := m.Store.PutMany(ctx, collection, keys, values, ttl)
	if err == nil {
		for i, k := range keys {
			m.remember(collection, k, values[i])
		}
	}
	return err
}

func (m *mutant) Delete(ctx context.Context, collection, key string) (bool, error) {
	collection = m.resolve(collection)
	m.mu.Lock()
	delete(m.shadow, shadowKey(collection, key))
	m.mu.Unlock()
	ok, err := m.Store.Delete(ctx, collection, key)
	if err == nil && m.rule == "delete-missing-true" {
		ok = true
	}
	return ok, err
}

func (m *mutant) DeleteMany(ctx context.Context, collection string, keys []string) (int, error) {
	collection = m.resolve(collection)
	m.mu.Lock()
	for _, k := range keys {
		delete(m.shadow, shadowKey(collection, k))
	}
	m.mu.Unlock()
	n, err := m.Store.DeleteMany(ctx, collection, keys)
	if err == nil && m.rule == "deletemany-counts-keys" {
		n = len(keys)
	}
	return n, err
}

func (m *mutant) Keys(ctx context.Context, collection, after string, limit int) ([]string, error) {
	return m.Store.Keys(ctx, m.resolve(collection), after, limit)
}

func (m *mutant) DeleteCollection(ctx context.Context, collection string) (int, error) {
	collection = m.resolve(collection)
	m.mu.Lock()
	for k := range m.shadow {
		if k[0] == shadowKey(collection, "")[0] {
			delete(m.shadow, k)
		}
	}
	m.mu.Unlock()
	return m.Store.DeleteCollection(ctx, collection)
}

func (m *mutant) CompareAndSwap(ctx context.Context, collection, key string, old kv.Version, v map[string]any, ttl time.Duration) (bool, error) {
	switch {
	case m.rule == "cas-ignores-version":
		return true, m.Put(ctx, collection, key, v, ttl)
	case m.rule == "cas-resurrects" && old != (kv.Version{}):
		// an update that finds the entry gone writes it anew
		if _, ok, err := m.Store.Get(ctx, collection, key); err != nil || !ok {
			return err == nil, m.Put(ctx, collection, key, v, ttl)
		}
	}
	return m.Store.CompareAndSwap(ctx, collection, key, old, v, ttl)
}

func (m *mutant) Replace(ctx context.Context, collection, key string, v map[string]any, ttl time.Duration) (bool, error) {
	if m.rule == "replace-creates" {
		return true, m.Put(ctx, collection, key, v, ttl)
	}
	return m.Store.Replace(ctx, collection, key, v, ttl)
}

func (m *mutant) CompareAndDelete(ctx context.Context, collection, key string, old kv.Version) (bool, error) {
	if m.rule == "compare-delete-ignores" {
		return m.Delete(ctx, collection, key)
	}
	return m.Store.CompareAndDelete(ctx, collection, key, old)
}

func (m *mutant) GetAndDelete(ctx context.Context, collection, key string) (map[string]any, bool, error) {
	if m.rule == "getanddelete-not-atomic" {
		v, ok, err := m.Get(ctx, collection, key)
		if err != nil || !ok {
			return v, ok, err
		}
		// The window of the bug, made certain: wait (a bounded while) until
		// another caller has read the entry too, as a real interleaving may.
		select {
		case <-m.read(collection, key):
		case <-time.After(2 * time.Second): // a caller alone
		}
		_, err = m.Delete(ctx, collection, key)
		return v, true, err
	}
	return m.Store.GetAndDelete(ctx, collection, key)
}
