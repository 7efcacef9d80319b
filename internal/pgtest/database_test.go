package pgtest

import (
	"regexp"
	"strings"
	"testing"
)

func TestDatabaseNameIsValidAndUnique(t *testing.T) {
	valid := regexp.MustCompile(`^kvgen_[a-z0-9_]+$`)
	for _, testName := range []string{
		"TestX",
		"TestStore/Get/missing key",
		"TestÜnïcode/日本",
		strings.Repeat("TestVeryLongName", 10),
		"",
	} {
		a, b := databaseName(testName), databaseName(testName)
		for _, name := range []string{a, b} {
			if len(name) > maxIdentifier {
				t.Errorf("databaseName(%q) = %q: %d bytes, PostgreSQL keeps %d", testName, name, len(name), maxIdentifier)
			}
			if !valid.MatchString(name) || strings.Contains(name, "__") {
				t.Errorf("databaseName(%q) = %q: not a plain identifier", testName, name)
			}
		}
		if a == b {
			t.Errorf("databaseName(%q) gave %q twice", testName, a)
		}
	}
	if name := databaseName("TestStore/Get"); !strings.HasPrefix(name, "kvgen_teststore_get_") {
		t.Errorf("databaseName does not say which test it is for: %q", name)
	}
}

func TestDSNWithDatabase(t *testing.T) {
	for _, tc := range []struct{ dsn, want string }{
		{"postgres://u:p@h:5432/postgres?sslmode=disable", "postgres://u:p@h:5432/kvgen_x?sslmode=disable"},
		{"postgresql://u@h", "postgresql://u@h/kvgen_x"},
		{"postgres://u@h/postgres?dbname=postgres&sslmode=disable", "postgres://u@h/kvgen_x?sslmode=disable"},
		{"postgres://u@h/postgres?database=postgres", "postgres://u@h/kvgen_x"},
		{"host=h user=u dbname=postgres", "host=h user=u dbname=postgres dbname=kvgen_x"},
		{"", "dbname=kvgen_x"},
	} {
		got, err := dsnWithDatabase(tc.dsn, "kvgen_x")
		if err != nil {
			t.Errorf("dsnWithDatabase(%q): %v", tc.dsn, err)
			continue
		}
		if got != tc.want {
			t.Errorf("dsnWithDatabase(%q) = %q, want %q", tc.dsn, got, tc.want)
		}
	}
	_, err := dsnWithDatabase("postgres://u:hunter2@h:bad/db", "kvgen_x")
	if err == nil {
		t.Fatal("accepted a URL with a bad port")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error shows the password: %v", err)
	}
}
