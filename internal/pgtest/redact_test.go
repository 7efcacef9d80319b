package pgtest

import (
	"strings"
	"testing"
)

func TestRedactDSN(t *testing.T) {
	for _, tc := range []struct{ dsn, want string }{
		{"postgres://kvgen:hunter2@db:5432/app?sslmode=disable", "postgres://kvgen:xxxxx@db:5432/app?sslmode=disable"},
		{"postgresql://kvgen:hunter2@db/app", "postgresql://kvgen:xxxxx@db/app"},
		{"postgres://kvgen@db/app?password=hunter2", "postgres://kvgen@db/app?password=xxxxx"},
		{"postgres://kvgen@db/app?sslpassword=hunter2", "postgres://kvgen@db/app?sslpassword=xxxxx"},
		{"postgres://kvgen@db/app", "postgres://kvgen@db/app"},
		{"host=db user=kvgen password=hunter2 dbname=app", "host=db user=kvgen password=xxxxx dbname=app"},
		{"host=db password = 'hunter 2' dbname=app", "host=db password = xxxxx dbname=app"},
		{`host=db password='it\'s hunter2' dbname=app`, "host=db password=xxxxx dbname=app"},
		{`host=db password=hunter\ 2 dbname=app`, "host=db password=xxxxx dbname=app"},
		{"host=db sslpassword=hunter2", "host=db sslpassword=xxxxx"},
		{"host=db PASSWORD=hunter2", "host=db PASSWORD=xxxxx"},
		{"host=db user=kvgen", "host=db user=kvgen"},
		{"postgres://kvgen:hunter2@db:notaport/app", "(unparsable URL, not shown)"},
	} {
		got := redactDSN(tc.dsn)
		if got != tc.want {
			t.Errorf("redactDSN(%q) = %q, want %q", tc.dsn, got, tc.want)
		}
		if strings.Contains(got, "hunter") {
			t.Errorf("redactDSN(%q) shows the password: %q", tc.dsn, got)
		}
	}
}
