package main

import (
	"bytes"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	env := func(vars map[string]string) func(string) string {
		return func(name string) string { return vars[name] }
	}
	const dsn = "postgres://app:hunter2-password@db.internal:5432/app"

	cfg, err := parseConfig(nil, env(map[string]string{"DATABASE_URL": dsn}), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.addr != "127.0.0.1:8080" || cfg.baseURL != "" || cfg.storage.databaseURL != dsn || cfg.storage.allowPlaintext {
		t.Errorf("defaults: %+v", cfg)
	}
	if cfg.storage.dbPath != "" {
		t.Errorf("with a database URL, the SQLite file %q is set", cfg.storage.dbPath)
	}

	// Without a database URL: the SQLite file in the XDG data directory.
	cfg, err = parseConfig(nil, env(map[string]string{"XDG_DATA_HOME": "/data"}), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.storage.dbPath != "/data/kvgen-oauthserver/clients.db" || cfg.storage.memory {
		t.Errorf("default store: %+v", cfg.storage)
	}
	cfg, err = parseConfig(nil, env(map[string]string{"XDG_DATA_HOME": "relative/ignored", "HOME": "/home/u"}), &bytes.Buffer{})
	if err != nil || !strings.HasSuffix(cfg.storage.dbPath, "/.local/share/kvgen-oauthserver/clients.db") {
		t.Errorf("default store with a relative $XDG_DATA_HOME: %q, %v", cfg.storage.dbPath, err)
	}
	cfg, err = parseConfig([]string{"-db", "/srv/x.db"}, env(nil), &bytes.Buffer{})
	if err != nil || cfg.storage.dbPath != "/srv/x.db" {
		t.Errorf("-db: %q, %v", cfg.storage.dbPath, err)
	}
	cfg, err = parseConfig([]string{"-memory"}, env(nil), &bytes.Buffer{})
	if err != nil || !cfg.storage.memory || cfg.storage.dbPath != "" {
		t.Errorf("-memory: %+v, %v", cfg.storage, err)
	}

	cfg, err = parseConfig([]string{"-database-url", "postgres://other/db", "-base-url", "https://auth.example.com/", "-allow-plaintext"},
		env(map[string]string{"DATABASE_URL": dsn}), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.storage.databaseURL != "postgres://other/db" {
		t.Errorf("-database-url did not override $DATABASE_URL: %q", cfg.storage.databaseURL)
	}
	if cfg.baseURL != "https://auth.example.com" || !cfg.storage.allowPlaintext {
		t.Errorf("flags: %+v", cfg)
	}

	cfg, err = parseConfig([]string{"-trusted-proxy", "10.0.0.0/8, 192.0.2.7", "-trusted-proxy", "fd00::/8",
		"-register-rate", "0", "-usage-interval", "10m", "-idempotent-registration", "-cimd=false"}, env(nil), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(cfg.server.trustedProxies); got != "[10.0.0.0/8 192.0.2.7/32 fd00::/8]" {
		t.Errorf("-trusted-proxy: %s", got)
	}
	if cfg.server.registerLimit.perMinute != 0 || cfg.server.usageInterval != 10*time.Minute ||
		!cfg.server.idempotentRegistration || cfg.server.cimd {
		t.Errorf("server flags: %+v", cfg.server)
	}
	if cfg, _ := parseConfig(nil, env(nil), &bytes.Buffer{}); !cfg.server.cimd || cfg.server.idempotentRegistration ||
		cfg.server.registerLimit != (rateLimit{defaultRegisterPerMinute, defaultRegisterBurst}) || cfg.server.usageInterval != time.Hour {
		t.Errorf("server defaults: %+v", cfg.server)
	}

	for _, bad := range [][]string{
		{"-trusted-proxy", "not-an-address"},
		{"-usage-interval", "10s"},
		{"-usage-interval", "25h"},
		{"-register-rate", "-1"},
		{"-register-burst", "0"},
		{"-base-url", "auth.example.com"},
		{"-base-url", "ftp://auth.example.com"},
		{"-base-url", "https://auth.example.com/?x=1"},
		{"extra-argument"},
		{"-no-such-flag"},
	} {
		if _, err := parseConfig(bad, env(nil), &bytes.Buffer{}); err == nil {
			t.Errorf("parseConfig(%q) accepted", bad)
		}
	}
}

func TestUsageDoesNotShowTheDatabasePassword(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"reap", "-h"}} {
		var out bytes.Buffer
		code := run(args, func(name string) string {
			if name == "DATABASE_URL" {
				return "postgres://app:hunter2-password@db.internal/app"
			}
			return ""
		}, &out, &out)
		if code != 0 {
			t.Errorf("%q: exit %d", args, code)
		}
		if !strings.Contains(out.String(), "-database-url") {
			t.Fatalf("%q: no usage text:\n%s", args, out.String())
		}
		if strings.Contains(out.String(), "hunter2") {
			t.Errorf("%q: the usage text shows the password:\n%s", args, out.String())
		}
	}
}

func TestRedactPasswords(t *testing.T) {
	tests := []struct {
		dsn, password string
	}{
		{"postgres://app:s3cr%40t-pw@db/app", "s3cr@t-pw"},
		{"postgres://app:plain-pw@db:notaport/app", "plain-pw"},
		{"postgresql://app:pw-in-url@db/app?sslmode=disable", "pw-in-url"},
		{"postgres://app@db/app?password=query-pw", "query-pw"},
		{"host=db user=app password=keyword-pw dbname=app", "keyword-pw"},
		{"host=db user=app password='quoted pw' dbname=app", "quoted pw"},
	}
	for _, tt := range tests {
		// The worst case: a driver error quoting the password in every form.
		msg := "cannot connect with " + tt.dsn + " or " + tt.password
		got := redactPasswords(msg, tt.dsn, passwordsIn(tt.dsn)...)
		if strings.Contains(got, tt.password) || strings.Contains(got, tt.dsn) {
			t.Errorf("redactPasswords(%q) = %q: the password is still there", tt.dsn, got)
		}
	}
}

func TestReachableAddr(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:8080": "127.0.0.1:8080",
		"[::]:8080":      "localhost:8080",
		"0.0.0.0:80":     "localhost:80",
		"[::1]:9000":     "[::1]:9000",
	} {
		tcp, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := reachableAddr(tcp); got != want {
			t.Errorf("reachableAddr(%s) = %s, want %s", addr, got, want)
		}
	}
}
