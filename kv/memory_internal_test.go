package kv

import (
	"testing"
	"time"
)

func TestMemoryKeepsCreatedAtOnOverwrite(t *testing.T) {
	ctx := t.Context()
	m := NewMemory()
	clock := time.Unix(1_700_000_000, 0)
	m.Now = func() time.Time { return clock }
	if err := m.Put(ctx, "c", "k", []byte(`{"v":1}`), nil); err != nil {
		t.Fatal(err)
	}
	first := clock
	clock = clock.Add(time.Hour)
	ttl := 5.0
	if err := m.PutMany(ctx, "c", []string{"k", "new"}, [][]byte{[]byte(`{"v":2}`), []byte(`{}`)}, &ttl); err != nil {
		t.Fatal(err)
	}
	e := m.collections["c"]["k"]
	if !e.createdAt.Equal(first) {
		t.Errorf("created_at after an overwrite = %v, want the first write's %v", e.createdAt, first)
	}
	if e.ttl == nil || *e.ttl != 5 || !e.expiresAt.Equal(clock.Add(5*time.Second)) {
		t.Errorf("overwrite with ttl 5s: ttl %v, expires_at %v", e.ttl, e.expiresAt)
	}
	if n := m.collections["c"]["new"]; !n.createdAt.Equal(clock) {
		t.Errorf("created_at of a new entry = %v, want %v", n.createdAt, clock)
	}
}

func TestNumericText(t *testing.T) {
	for in, want := range map[string]string{
		"15": "15", "-42": "-42", "0": "0", "-0": "0", "-0.0": "0.0",
		"1.5e1": "15", "1.50e1": "15.0", "1.50": "1.50", "1e2": "100", "1E+2": "100",
		"1e-2": "0.01", "-1.5e-3": "-0.0015", "0.1": "0.1", "007": "7",
		"1.23456789012345e10": "12345678901.2345", "1000000000000000000": "1000000000000000000",
		"1e99999": "1e99999",
	} {
		if got := numericText(in); got != want {
			t.Errorf("numericText(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestMemberText(t *testing.T) {
	doc := []byte(`{"s":"a\"b","n":1.50,"t":true,"f":false,"z":null,"o":{"x":1},"l":[1],"dup":"first","dup":"last"}`)
	for field, want := range map[string]string{"s": `a"b`, "n": "1.50", "t": "true", "f": "false", "dup": "last"} {
		if got, ok := memberText(doc, field); !ok || got != want {
			t.Errorf("memberText(%s) = %q, %v; want %q", field, got, ok, want)
		}
	}
	for _, field := range []string{"z", "o", "l", "missing"} {
		if got, ok := memberText(doc, field); ok {
			t.Errorf("memberText(%s) = %q, want no text", field, got)
		}
	}
	if _, ok := memberText([]byte(`[1]`), "0"); ok {
		t.Error("memberText of an array gave text")
	}
}
