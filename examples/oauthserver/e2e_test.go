package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kvgen/kvgen/internal/pgtest"
	"github.com/kvgen/kvgen/kv"
)

// The end-to-end flow: this many clients register concurrently, through
// this many workers.
const (
	e2eClients = 200
	e2eWorkers = 16
)

// TestServerBinary runs the built command as a user would, against a real
// PostgreSQL, a SQLite file and in memory. The binary is built once for its
// subtests; the SQLite file of a subtest that names none goes under a
// temporary $XDG_DATA_HOME.
func TestServerBinary(t *testing.T) {
	bin := buildServer(t)
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	t.Run("PostgreSQLKeepsClientsAcrossACrash", func(t *testing.T) { testPostgresKeepsClients(t, bin) })
	t.Run("SQLiteKeepsClientsAcrossACrash", func(t *testing.T) { testSQLiteKeepsClients(t, bin) })
	t.Run("SQLiteRefusesWithoutItsKey", func(t *testing.T) { testSQLiteRefusesWithoutItsKey(t, bin) })
	t.Run("MemoryLosesClientsOnRestart", func(t *testing.T) { testMemoryLosesClients(t, bin) })
	t.Run("RefusesPlaintextSecretsOnPostgreSQL", func(t *testing.T) { testRefusesPlaintext(t, bin) })
	t.Run("UnreachableDatabaseErrorHidesPassword", func(t *testing.T) { testUnreachableDatabase(t, bin) })
	t.Run("ShutsDownGracefullyOnSIGTERM", func(t *testing.T) { testGracefulShutdown(t, bin) })
}

// e2eClient is one client of the flow and what it was issued.
type e2eClient struct {
	registration
	name     string
	redirect string
}

func testPostgresKeepsClients(t *testing.T, bin string) {
	dsn := pgtest.URL(t)
	key, err := kv.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	env := childEnv("DATABASE_URL="+dsn, keysEnv+"="+key)

	// Unlimited registrations: the flow registers from one address.
	first := startServer(t, bin, env, "-addr", "127.0.0.1:0", "-register-rate", "0")
	clients := registerClients(t, httpClient(), first.baseURL)
	first.kill(t)

	second := startServer(t, bin, env, "-addr", first.addr, "-register-rate", "0")
	hc := httpClient()
	if r, err := sendBearer(hc, http.MethodGet, second.baseURL+"/healthz", ""); err != nil || r.status != http.StatusOK {
		t.Errorf("healthz on PostgreSQL: %v %d %s", err, r.status, r.raw)
	}
	tokens, authenticated := authenticateClients(t, hc, second.baseURL, clients)
	readBack := readBackClients(t, hc, second.baseURL, clients)
	if authenticated != e2eClients {
		t.Errorf("%d of %d clients authenticated after the crash", authenticated, e2eClients)
	}
	if readBack != e2eClients {
		t.Errorf("%d of %d clients read their metadata back after the crash", readBack, e2eClients)
	}

	plaintextInTable := checkTable(t, dsn, clients)

	logs := first.logs.String() + second.logs.String()
	secretsInLogs := countSecretsIn(logs, clients, tokens, key)
	if secretsInLogs != 0 {
		t.Errorf("the logs hold %d secrets, tokens or keys", secretsInLogs)
	}
	// The logs were written: one line per token request, naming the client.
	if n := countLogLines(second.logs.String(), `"path":"/token"`, `"status":200`, `"client_id":`); n != e2eClients {
		t.Errorf("the second run logged %d successful token requests with a client_id, want %d", n, e2eClients)
	}

	t.Logf("PostgreSQL: clients registered: %d (%d workers); authenticated at /token after SIGKILL and restart: %d; "+
		"metadata read back: %d; plaintext secrets found in the table: %d; secrets found in %d bytes of logs: %d",
		len(clients), e2eWorkers, authenticated, readBack, plaintextInTable, len(logs), secretsInLogs)
}

// checkTable reads the table as an attacker with a database dump would,
// and returns how many issued secrets and tokens it holds in plaintext.
func checkTable(t *testing.T, dsn string, clients []e2eClient) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connecting to the database: %v", err)
	}
	defer conn.Close(ctx)

	rows, err := conn.Query(ctx, `SELECT collection, key, value::text FROM oauth_clients`)
	if err != nil {
		t.Fatal(err)
	}
	var dump strings.Builder
	keys, used := map[string]bool{}, map[string]bool{}
	for rows.Next() {
		var collection, key, value string
		if err := rows.Scan(&collection, &key, &value); err != nil {
			t.Fatal(err)
		}
		switch collection {
		case "mcp-oauth-proxy-clients":
			keys[key] = true
		case usageCollection:
			used[key] = true
			if !strings.HasPrefix(value, `{"last_used_at": `) || strings.Count(value, ":") != 1 {
				t.Errorf("usage row %s holds more than a time: %s", key, value)
			}
		default:
			t.Errorf("row %q in collection %q, want mcp-oauth-proxy-clients or %s", key, collection, usageCollection)
		}
		dump.WriteString(value)
		dump.WriteByte('\n')
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// Every client was used once, at /token: one usage row each.
	if len(used) != len(clients) {
		t.Errorf("the table holds %d usage rows, want %d", len(used), len(clients))
	}
	if len(keys) != len(clients) {
		t.Errorf("the table holds %d clients, want %d", len(keys), len(clients))
	}
	plaintext := 0
	for _, c := range clients {
		if !keys[c.clientID] {
			t.Errorf("client %s is not in the table", c.clientID)
		}
		for _, s := range []string{c.clientSecret, c.registrationToken} {
			if strings.Contains(dump.String(), s) {
				plaintext++
			}
		}
	}
	if plaintext != 0 {
		t.Errorf("the table holds %d issued secrets or tokens in plaintext", plaintext)
	}

	// What is there instead: each record sealed whole, as FastMCP's
	// FernetEncryptionWrapper seals it (the envelope's two members only).
	var envelopes int
	err = conn.QueryRow(ctx, `SELECT count(*) FROM oauth_clients
		WHERE value ? '__encrypted_data__' AND value->'__encryption_version__' = '1'
		AND (SELECT count(*) FROM jsonb_object_keys(value)) = 2`).Scan(&envelopes)
	if err != nil {
		t.Fatal(err)
	}
	if envelopes != len(clients) {
		t.Errorf("%d records sealed as a whole in the table, want %d", envelopes, len(clients))
	}
	return plaintext
}

func testMemoryLosesClients(t *testing.T, bin string) {
	env := childEnv()
	first := startServer(t, bin, env, "-addr", "127.0.0.1:0", "-memory", "-register-rate", "0")
	if !strings.Contains(first.logs.String(), `"level":"WARN"`) || !strings.Contains(first.logs.String(), "LOST ON RESTART") {
		t.Errorf("no warning that registrations are lost on restart:\n%s", first.logs)
	}
	hc := httpClient()
	clients := registerClients(t, hc, first.baseURL)
	// Before the restart they work: what follows is the restart's doing.
	_, before := authenticateClients(t, hc, first.baseURL, clients)
	if before != e2eClients {
		t.Fatalf("before the restart %d of %d clients authenticated", before, e2eClients)
	}
	first.kill(t)

	second := startServer(t, bin, env, "-addr", first.addr, "-memory", "-register-rate", "0")
	hc = httpClient()
	var mu sync.Mutex
	tokenRejected, readRejected := 0, 0
	forEach(t, len(clients), func(i int) error {
		c := clients[i]
		req, err := tokenRequest(second.baseURL, c.method, c.clientID, c.clientSecret, nil)
		if err != nil {
			return err
		}
		tok, err := send(hc, req)
		if err != nil {
			return err
		}
		get, err := sendBearer(hc, http.MethodGet, second.baseURL+"/register/"+c.clientID, c.registrationToken)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		if tok.status == http.StatusUnauthorized && tok.str("error") == "invalid_client" {
			tokenRejected++
		}
		if get.status == http.StatusUnauthorized {
			readRejected++
		}
		return nil
	})
	if tokenRejected != e2eClients || readRejected != e2eClients {
		t.Errorf("after the restart %d of %d clients were refused at /token and %d at /register/{id}, want all",
			tokenRejected, e2eClients, readRejected)
	}
	t.Logf("memory: clients registered: %d; authenticated before restart: %d; refused with 401 invalid_client after SIGKILL and restart: %d; "+
		"registration reads refused: %d", len(clients), before, tokenRejected, readRejected)
}

func testRefusesPlaintext(t *testing.T, bin string) {
	dsn := pgtest.URL(t)
	p := launch(t, bin, childEnv("DATABASE_URL="+dsn), "-addr", "127.0.0.1:0")
	if code := p.exitCode(t, 60*time.Second); code != 1 {
		t.Fatalf("exit code %d, want 1; logs:\n%s", code, p.logs)
	}
	logs := p.logs.String()
	for _, want := range []string{"no encryption keys", keysEnv, "-key-file", "-allow-plaintext"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the refusal does not mention %q:\n%s", want, logs)
		}
	}
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var table *string
	if err := conn.QueryRow(context.Background(), `SELECT to_regclass('oauth_clients')::text`).Scan(&table); err != nil {
		t.Fatal(err)
	}
	if table != nil {
		t.Error("the server created its table before refusing to start")
	}

	// -allow-plaintext is the way out, so the refusal above was about keys.
	ok := startServer(t, bin, childEnv("DATABASE_URL="+dsn), "-addr", "127.0.0.1:0", "-allow-plaintext")
	if !strings.Contains(ok.logs.String(), "plaintext") {
		t.Errorf("no warning about plaintext secrets:\n%s", ok.logs)
	}
	ok.kill(t)

	// A key file others can read is refused as well.
	keyFile := t.TempDir() + "/keys"
	key, err := kv.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := writeFileMode(keyFile, key+"\n", 0o644); err != nil {
		t.Fatal(err)
	}
	p = launch(t, bin, childEnv("DATABASE_URL="+dsn), "-addr", "127.0.0.1:0", "-key-file", keyFile)
	if code := p.exitCode(t, 60*time.Second); code != 1 || !strings.Contains(p.logs.String(), "readable by others") {
		t.Errorf("world-readable key file: exit %d, logs:\n%s", code, p.logs)
	}
	if strings.Contains(p.logs.String(), key) {
		t.Error("the key appears in the logs")
	}
}

func testUnreachableDatabase(t *testing.T, bin string) {
	const password = "Sup3r-S3cret-Passw0rd"
	key, err := kv.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	for _, dsn := range []string{
		"postgres://kvgen:" + password + "@127.0.0.1:1/oauth?sslmode=disable&connect_timeout=5",
		"host=127.0.0.1 port=1 user=kvgen password=" + password + " dbname=oauth sslmode=disable connect_timeout=5",
		"postgres://kvgen:" + password + "@127.0.0.1:notaport/oauth",
	} {
		p := launch(t, bin, childEnv("DATABASE_URL="+dsn, keysEnv+"="+key), "-addr", "127.0.0.1:0")
		code := p.exitCode(t, 60*time.Second)
		logs := p.logs.String()
		if code != 1 {
			t.Errorf("exit code %d, want 1; logs:\n%s", code, logs)
		}
		if strings.Contains(logs, password) {
			t.Errorf("the start-up error holds the database password:\n%s", logs)
		}
		saysWhat := strings.Contains(logs, "cannot reach PostgreSQL host=127.0.0.1 port=1 database=oauth user=kvgen") ||
			strings.Contains(logs, "invalid database URL")
		if !strings.Contains(logs, "cannot start") || !saysWhat {
			t.Errorf("the start-up error does not say what failed:\n%s", logs)
		}
		t.Logf("start-up error: %s", strings.TrimSpace(logs))
	}
}

func testGracefulShutdown(t *testing.T, bin string) {
	p := startServer(t, bin, childEnv(), "-addr", "127.0.0.1:0")
	if r, err := sendBearer(httpClient(), http.MethodGet, p.baseURL+"/healthz", ""); err != nil || r.status != http.StatusOK {
		t.Fatalf("healthz: %v %d", err, r.status)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.exitCode(t, 30*time.Second); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0; logs:\n%s", code, p.logs)
	}
	if !strings.Contains(p.logs.String(), `"msg":"stopped"`) {
		t.Errorf("no orderly stop in the logs:\n%s", p.logs)
	}
}

// registerClients registers e2eClients clients through e2eWorkers workers,
// half authenticating with client_secret_basic, half with client_secret_post.
func registerClients(t *testing.T, hc *http.Client, baseURL string) []e2eClient {
	t.Helper()
	clients := make([]e2eClient, e2eClients)
	forEach(t, e2eClients, func(i int) error {
		method := authSecretBasic
		if i%2 == 1 {
			method = authSecretPost
		}
		c := e2eClient{name: fmt.Sprintf("e2e client %03d", i), redirect: fmt.Sprintf("http://127.0.0.1:7777/callback/%d", i)}
		body, err := json.Marshal(map[string]any{
			"redirect_uris":              []string{c.redirect},
			"client_name":                c.name,
			"token_endpoint_auth_method": method,
			"grant_types":                []string{"client_credentials"},
			"scope":                      "read write",
			"software_id":                "kvgen-e2e",
			"contacts":                   []string{"ops@example.com"},
		})
		if err != nil {
			return err
		}
		req, err := http.NewRequest(http.MethodPost, baseURL+"/register", bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		r, err := send(hc, req)
		if err != nil {
			return err
		}
		if r.status != http.StatusCreated {
			return fmt.Errorf("client %d: registration answered %d %s", i, r.status, r.raw)
		}
		c.registration = registration{
			clientID: r.str("client_id"), clientSecret: r.str("client_secret"),
			registrationToken: r.str("registration_access_token"), configURI: r.str("registration_client_uri"),
			method: r.str("token_endpoint_auth_method"),
		}
		if c.clientSecret == "" || c.registrationToken == "" || c.method != method {
			return fmt.Errorf("client %d: incomplete registration %s", i, r.raw)
		}
		clients[i] = c
		return nil
	})
	if t.Failed() {
		t.FailNow()
	}
	return clients
}

// authenticateClients has every client ask /token for a token with its own
// method, and returns the access tokens issued and how many clients got one.
func authenticateClients(t *testing.T, hc *http.Client, baseURL string, clients []e2eClient) ([]string, int) {
	t.Helper()
	tokens := make([]string, len(clients))
	forEach(t, len(clients), func(i int) error {
		c := clients[i]
		req, err := tokenRequest(baseURL, c.method, c.clientID, c.clientSecret, nil)
		if err != nil {
			return err
		}
		r, err := send(hc, req)
		if err != nil {
			return err
		}
		if r.status != http.StatusOK || r.str("access_token") == "" {
			return fmt.Errorf("client %s (%s): /token answered %d %s", c.clientID, c.method, r.status, r.raw)
		}
		tokens[i] = r.str("access_token")
		return nil
	})
	n := 0
	for _, tok := range tokens {
		if tok != "" {
			n++
		}
	}
	return tokens, n
}

// readBackClients reads every client's registration with its token and
// compares it with what was registered; it returns how many matched.
func readBackClients(t *testing.T, hc *http.Client, baseURL string, clients []e2eClient) int {
	t.Helper()
	matched := make([]bool, len(clients))
	forEach(t, len(clients), func(i int) error {
		c := clients[i]
		r, err := sendBearer(hc, http.MethodGet, baseURL+"/register/"+c.clientID, c.registrationToken)
		if err != nil {
			return err
		}
		switch {
		case r.status != http.StatusOK:
			return fmt.Errorf("client %s: GET answered %d %s", c.clientID, r.status, r.raw)
		case r.str("client_name") != c.name, r.str("client_secret") != c.clientSecret,
			r.str("token_endpoint_auth_method") != c.method, r.str("software_id") != "kvgen-e2e",
			r.str("scope") != "read write", r.str("registration_client_uri") != c.configURI,
			!slices.Equal(stringList(r.body["redirect_uris"]), []string{c.redirect}),
			!slices.Equal(stringList(r.body["grant_types"]), []string{"client_credentials"}),
			!slices.Equal(stringList(r.body["contacts"]), []string{"ops@example.com"}):
			return fmt.Errorf("client %s: read back %s, registered %+v", c.clientID, r.raw, c.name)
		}
		matched[i] = true
		return nil
	})
	n := 0
	for _, ok := range matched {
		if ok {
			n++
		}
	}
	return n
}

// sendBearer sends a request with no body and, when token is set, the
// registration access token.
func sendBearer(hc *http.Client, method, url, token string) (response, error) {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		return response{}, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return send(hc, req)
}

// writeFileMode writes a file with exactly mode, whatever the umask.
func writeFileMode(path, content string, mode os.FileMode) error {
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		return err
	}
	return os.Chmod(path, mode)
}

// forEach runs f(0..n-1) on e2eWorkers goroutines and reports each error.
func forEach(t *testing.T, n int, f func(i int) error) {
	t.Helper()
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range e2eWorkers {
		wg.Go(func() {
			for i := range jobs {
				if err := f(i); err != nil {
					t.Error(err)
				}
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
}

// countSecretsIn counts the issued secrets (also as HTTP Basic
// credentials), registration tokens, access tokens and the encryption key
// that appear in logs.
func countSecretsIn(logs string, clients []e2eClient, accessTokens []string, key string) int {
	n := 0
	secrets := append([]string{key}, accessTokens...)
	for _, c := range clients {
		secrets = append(secrets, c.clientSecret, c.registrationToken, basicCredentials(c.clientID, c.clientSecret))
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(logs, s) {
			n++
		}
	}
	return n
}

// countLogLines counts the log lines holding every one of parts.
func countLogLines(logs string, parts ...string) int {
	n := 0
	for _, line := range strings.Split(logs, "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all && line != "" {
			n++
		}
	}
	return n
}
