package render

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kvgen/kvgen/kv/pgkv"
)

// writes are the SQL of a statement that writes or locks.
var writes = regexp.MustCompile(`(?i)\b(insert|update|delete|for\s+update|for\s+share)\b`)

// TestReplicaReadsAreTheReadQueries holds pgkv.ReadWrite's list of the
// queries it sends to a replica to the queries kvgen emits: each name is
// a query, and a SELECT that neither writes nor locks; every other such
// query but Scan (whose rows re-encryption rewrites next) is on the list,
// so that renaming a query cannot silently move its reads.
func TestReplicaReadsAreTheReadQueries(t *testing.T) {
	text, err := Queries(model(pgRecord()))
	if err != nil {
		t.Fatal(err)
	}
	queries := splitQueries(t, string(text))
	var onReplica []string
	for name, q := range queries {
		sql := strings.TrimSpace(sqlNoise.ReplaceAllString(q.sql, ""))
		reads := strings.HasPrefix(strings.ToUpper(sql), "SELECT") && !writes.MatchString(sql)
		switch {
		case pgkv.ReplicaRead(name) && !reads:
			t.Errorf("query %s goes to the replica but writes or locks:\n%s", name, q.sql)
		case !pgkv.ReplicaRead(name) && reads && name != "Scan":
			t.Errorf("query %s only reads but goes to the primary: add it to pgkv's replica reads", name)
		}
		if pgkv.ReplicaRead(name) {
			onReplica = append(onReplica, name)
		}
	}
	slices.Sort(onReplica)
	want := []string{"Collections", "FindByOwner", "FindBySoftwareID", "Get", "GetMany", "Keys", "List"}
	if !slices.Equal(onReplica, want) {
		t.Errorf("queries read from the replica: %q; want %q", onReplica, want)
	}
}
