package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/sqlitekv"
)

// newSQLiteTestServer is newTestServer on a fresh SQLite file.
func newSQLiteTestServer(t *testing.T) *testServer {
	t.Helper()
	return serveWith(t, sqliteStores(t), serverOptions{})
}

// sqliteStores are on a fresh SQLite file.
func sqliteStores(t *testing.T) testStores {
	t.Helper()
	db, err := sqlitekv.Open(t.Context(), "sqlite", filepath.Join(t.TempDir(), "clients.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := oauthclients.CreateSQLiteTable(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	clients, err := oauthclients.NewSQLite(db, oauthclients.Options{Encrypter: testRing(t)})
	if err != nil {
		t.Fatal(err)
	}
	side, err := sideView(oauthclients.NewSQLite(db, plainOptions))
	if err != nil {
		t.Fatal(err)
	}
	reopen := func(opts oauthclients.Options) (*oauthclients.Store, error) { return oauthclients.NewSQLite(db, opts) }
	return testStores{clients: clients, side: side, reopen: reopen}
}

// testSQLiteKeepsClients is the restart test on the default store: no
// database URL, no key configured. The first run creates the database and a
// key file beside it, both 0600, and says where; the run after a SIGKILL
// finds every client there, sealed with that key.
func testSQLiteKeepsClients(t *testing.T, bin string) {
	data := t.TempDir()
	env := childEnv("XDG_DATA_HOME=" + data)
	dir := filepath.Join(data, dataDirName)
	dbPath := filepath.Join(dir, "clients.db")
	keyFile := dbPath + ".key"

	first := startServer(t, bin, env, "-addr", "127.0.0.1:0", "-register-rate", "0")
	if got := loggedKeyFile(first.logs.String()); got != keyFile {
		t.Errorf("the first run logged key file %q, want %q; logs:\n%s", got, keyFile, first.logs)
	}
	clients := registerClients(t, httpClient(), first.baseURL)
	first.kill(t)
	wantMode(t, dir, 0o700)
	for _, f := range []string{dbPath, dbPath + "-wal", keyFile} {
		wantMode(t, f, 0o600)
	}

	second := startServer(t, bin, env, "-addr", first.addr, "-register-rate", "0")
	if strings.Contains(second.logs.String(), "created a new encryption key") {
		t.Errorf("the second run created another key:\n%s", second.logs)
	}
	hc := httpClient()
	if r, err := sendBearer(hc, http.MethodGet, second.baseURL+"/healthz", ""); err != nil || r.status != http.StatusOK || r.str("keys") != "ok" {
		t.Errorf("healthz on SQLite: %v %d %s", err, r.status, r.raw)
	}
	tokens, authenticated := authenticateClients(t, hc, second.baseURL, clients)
	readBack := readBackClients(t, hc, second.baseURL, clients)
	if authenticated != e2eClients || readBack != e2eClients {
		t.Errorf("after the crash %d of %d clients authenticated and %d read their metadata back", authenticated, e2eClients, readBack)
	}
	second.kill(t)

	key, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	plaintext := checkSQLiteTable(t, dbPath, clients)
	logs := first.logs.String() + second.logs.String()
	if n := countSecretsIn(logs, clients, tokens, strings.TrimSpace(string(key))); n != 0 {
		t.Errorf("the logs hold %d secrets, tokens or keys", n)
	}
	t.Logf("SQLite (%s): clients registered: %d; authenticated at /token after SIGKILL and restart: %d; "+
		"metadata read back: %d; plaintext secrets found in the file: %d", dbPath, len(clients), authenticated, readBack, plaintext)
}

// loggedKeyFile is the key_file of the log line that announces a new key.
func loggedKeyFile(logs string) string {
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		var line struct {
			Msg     string `json:"msg"`
			KeyFile string `json:"key_file"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && strings.Contains(line.Msg, "created a new encryption key") {
			return line.KeyFile
		}
	}
	return ""
}

func wantMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Error(err)
		return
	}
	if got := info.Mode().Perm(); got != want {
		t.Errorf("%s has mode %o, want %o", path, got, want)
	}
}

// checkSQLiteTable reads the database file as an attacker with a copy of
// it would, and returns how many issued secrets and tokens it holds in
// plaintext; every client must be there, sealed whole.
func checkSQLiteTable(t *testing.T, path string, clients []e2eClient) int {
	t.Helper()
	ctx := context.Background()
	db, err := sqlitekv.Open(ctx, "sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Reader().QueryContext(ctx, `SELECT key, value FROM oauth_clients WHERE collection = 'mcp-oauth-proxy-clients'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	values := map[string]string{}
	for rows.Next() {
		var key, value string
		if err := rows.Scan(&key, &value); err != nil {
			t.Fatal(err)
		}
		values[key] = value
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	plaintext := 0
	for _, c := range clients {
		value, ok := values[c.clientID]
		if !ok {
			t.Errorf("client %s is not in the file", c.clientID)
			continue
		}
		if !strings.HasPrefix(value, `{"__encrypted_data__":`) {
			t.Errorf("client %s is not sealed whole: %.40s…", c.clientID, value)
		}
		for _, s := range []string{c.clientSecret, c.registrationToken} {
			if strings.Contains(value, s) {
				plaintext++
			}
		}
	}
	if plaintext != 0 {
		t.Errorf("the file holds %d issued secrets or tokens in plaintext", plaintext)
	}
	return plaintext
}

// testSQLiteRefusesWithoutItsKey: a database whose clients are sealed is
// never opened with a new key or none, nor with a key that opens none of
// them; each refusal says what to do and shows no key.
func testSQLiteRefusesWithoutItsKey(t *testing.T, bin string) {
	dbPath := filepath.Join(t.TempDir(), "clients.db")
	env := childEnv()
	first := startServer(t, bin, env, "-addr", "127.0.0.1:0", "-db", dbPath)
	registerOne(t, first.baseURL)
	first.kill(t)
	key, err := os.ReadFile(dbPath + ".key")
	if err != nil {
		t.Fatal(err)
	}

	wrong, err := kv.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	p := launch(t, bin, childEnv(keysEnv+"="+wrong), "-addr", "127.0.0.1:0", "-db", dbPath)
	wantRefusal(t, p, "open none of the 1 most recent clients", wrong, string(key))

	if err := os.Rename(dbPath+".key", dbPath+".key.moved"); err != nil {
		t.Fatal(err)
	}
	p = launch(t, bin, env, "-addr", "127.0.0.1:0", "-db", dbPath)
	wantRefusal(t, p, "holds clients, but no encryption key is configured and "+dbPath+".key is missing", string(key))
	if _, err := os.Stat(dbPath + ".key"); err == nil {
		t.Error("the refused start created a key file")
	}

	// With the key it was sealed with, it starts.
	ok := startServer(t, bin, childEnv(keysEnv+"="+strings.TrimSpace(string(key))), "-addr", "127.0.0.1:0", "-db", dbPath)
	ok.kill(t)
}

// wantRefusal waits for p to exit 1 with a log naming want and none of secrets.
func wantRefusal(t *testing.T, p *serverProcess, want string, secrets ...string) {
	t.Helper()
	if code := p.exitCode(t, 60*time.Second); code != 1 {
		t.Errorf("exit code %d, want 1; logs:\n%s", code, p.logs)
	}
	logs := p.logs.String()
	if !strings.Contains(logs, "refusing to start") || !strings.Contains(logs, want) {
		t.Errorf("the refusal does not say %q:\n%s", want, logs)
	}
	for _, s := range secrets {
		if s = strings.TrimSpace(s); s != "" && strings.Contains(logs, s) {
			t.Error("a key appears in the logs")
		}
	}
}

// registerOne registers one confidential client.
func registerOne(t *testing.T, baseURL string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, baseURL+"/register",
		strings.NewReader(`{"redirect_uris":["https://app.example.com/cb"],"client_name":"one"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	r, err := send(httpClient(), req)
	if err != nil || r.status != http.StatusCreated {
		t.Fatalf("registration: %v %d %s", err, r.status, r.raw)
	}
}
