package main

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/internal/pgtest"
	"github.com/kvgen/kvgen/kv"
)

// TestServerKeyChecks: the server refuses to start when its key ring
// opens none of the stored clients (a new key in a new shell), naming where
// the keys came from; /healthz reports the storage and the keys.
func TestServerKeyChecks(t *testing.T) {
	bin := buildServer(t)
	dsn := pgtest.URL(t)
	keyA, keyB := newKey(t), newKey(t)

	first := startServer(t, bin, childEnv("DATABASE_URL="+dsn, keysEnv+"="+keyA), "-addr", "127.0.0.1:0")
	hc := httpClient()
	health := healthOf(t, hc, first.baseURL)
	if health.code != http.StatusOK || health.Status != "ok" || health.Storage != "ok" || health.Keys != "ok" {
		t.Errorf("/healthz on an empty table: %+v", health)
	}
	reg := registrationOf(t, postJSON(t, hc, http.MethodPost, first.baseURL+"/register", "",
		metadata("https://a.example/cb", map[string]any{"grant_types": []string{"client_credentials"}})))
	if health := healthOf(t, hc, first.baseURL); health.code != http.StatusOK || health.Keys != "ok" {
		t.Errorf("/healthz with a client sealed with the server's key: %+v", health)
	}
	first.kill(t)

	keyFile := filepath.Join(t.TempDir(), "keys")
	if err := writeFileMode(keyFile, keyB+"\n", 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"another key in the variable", []string{keysEnv + "=" + keyB}, nil,
			"refusing to start: the encryption keys from $" + keysEnv + " open none of the 1 most recent clients in oauth_clients"},
		{"another key in a file", nil, []string{"-key-file", keyFile},
			"refusing to start: the encryption keys from key file " + keyFile + " open none of the 1 most recent clients"},
		{"no key", nil, []string{"-allow-plaintext"},
			"refusing to start: no encryption key is configured, but 1 of the 1 most recent clients in oauth_clients are sealed with one; set $" + keysEnv},
	} {
		p := launch(t, bin, childEnv(append(tc.env, "DATABASE_URL="+dsn)...), append([]string{"-addr", "127.0.0.1:0"}, tc.args...)...)
		if code := p.exitCode(t, 60*time.Second); code != 1 || !strings.Contains(p.logs.String(), tc.want) {
			t.Errorf("%s: exit %d, want 1 with %q; logs:\n%s", tc.name, code, tc.want, p.logs)
		}
		for _, k := range []string{keyA, keyB} {
			if strings.Contains(p.logs.String(), k) {
				t.Errorf("%s: a key appears in the logs", tc.name)
			}
		}
	}

	// A rotation, the new key first and the old after it, opens the client.
	second := startServer(t, bin, childEnv("DATABASE_URL="+dsn, keysEnv+"="+keyB+","+keyA), "-addr", "127.0.0.1:0")
	hc = httpClient()
	if r := requestToken(t, hc, second.baseURL, authSecretBasic, reg.clientID, reg.clientSecret, nil); r.status != http.StatusOK {
		t.Errorf("token after a rotation: %d %s", r.status, r.raw)
	}
	// A client sealed with a key the server lacks, written after it started
	// (a Python writer, say): the server's keys open none of the two most
	// recent clients only if both are; here one opens, so /healthz says partial.
	writeClientSealedWith(t, dsn, newKey(t), "written-by-another")
	if health := healthOf(t, hc, second.baseURL); health.code != http.StatusOK || !strings.HasPrefix(health.Keys, "partial: 1 of the 2") {
		t.Errorf("/healthz with one client the keys do not open: %+v", health)
	}
	second.kill(t)

	// Only clients the keys do not open: /healthz is 503.
	dsn2 := pgtest.URL(t)
	third := startServer(t, bin, childEnv("DATABASE_URL="+dsn2, keysEnv+"="+keyA), "-addr", "127.0.0.1:0")
	writeClientSealedWith(t, dsn2, keyB, "sealed-with-b")
	health = healthOf(t, httpClient(), third.baseURL)
	if health.code != http.StatusServiceUnavailable || !strings.HasPrefix(health.Keys, "wrong: the keys open none of the 1 most recent clients") {
		t.Errorf("/healthz when the keys open no stored client: %+v", health)
	}
	third.kill(t)
}

func newKey(t *testing.T) string {
	t.Helper()
	key, err := kv.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return key
}

type healthReport struct {
	code                  int
	Status, Storage, Keys string
}

func healthOf(t *testing.T, hc *http.Client, baseURL string) healthReport {
	t.Helper()
	r, err := sendBearer(hc, http.MethodGet, baseURL+"/healthz", "")
	if err != nil {
		t.Fatal(err)
	}
	h := healthReport{code: r.status}
	if err := json.Unmarshal([]byte(r.raw), &h); err != nil {
		t.Fatalf("/healthz answered %d %s", r.status, r.raw)
	}
	return h
}

// writeClientSealedWith stores a client through the generated store with
// its own key ring, as another writer of the table would.
func writeClientSealedWith(t *testing.T, dsn, key, id string) {
	t.Helper()
	ring, err := kv.ParseKeys(key)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	store, err := oauthclients.New(pool, oauthclients.Options{Encrypter: ring})
	if err != nil {
		t.Fatal(err)
	}
	c := oauthclients.Client{ClientID: id, ClientSecret: kv.Secret("s3cret-" + id), RedirectURIs: []string{"https://x.example/cb"}}
	if err := store.Put(context.Background(), c); err != nil {
		t.Fatal(err)
	}
}
