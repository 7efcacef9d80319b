package main

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/internal/pgtest"
	"github.com/kvgen/kvgen/kv"
)

const day = 24 * time.Hour

// reapScene is a table of clients of known ages and uses, the clock now
// at "today".
type reapScene struct {
	st    testStores
	ts    *testServer
	clock *testClock
	// registered 40 days ago: used 35 days ago, used yesterday, never used,
	// and two that a test changes or uses while Reap runs.
	usedLongAgo, usedRecently, neverUsed, changedMeanwhile, usedMeanwhile registration
	// registered yesterday, never used.
	registeredRecently registration
	// stored without an issue time, and sealed with a key the server lacks.
	undatedID, unreadableID string
}

func newReapScene(t *testing.T, st testStores, clock *testClock) *reapScene {
	t.Helper()
	sc := &reapScene{st: st, clock: clock, undatedID: "undated-client", unreadableID: "sealed-with-another-key"}
	sc.ts = serveWith(t, st, serverOptions{now: clock.now, usageInterval: time.Hour})
	machine := metadata("https://a.example/cb", map[string]any{"grant_types": []string{"client_credentials"}})
	for _, r := range []*registration{&sc.usedLongAgo, &sc.usedRecently, &sc.neverUsed, &sc.changedMeanwhile, &sc.usedMeanwhile} {
		*r = sc.ts.mustRegister(t, machine)
	}
	clock.advance(5 * day)
	sc.use(t, sc.usedLongAgo)
	clock.advance(34 * day)
	sc.use(t, sc.usedRecently)
	sc.registeredRecently = sc.ts.mustRegister(t, machine)
	clock.advance(day)

	ctx := context.Background()
	undated := oauthclients.Client{ClientID: sc.undatedID, RedirectURIs: []string{"https://a.example/cb"}}
	if err := st.clients.Put(ctx, undated); err != nil {
		t.Fatal(err)
	}
	elsewhere, err := st.reopen(oauthclients.Options{Encrypter: testRing(t)})
	if err != nil {
		t.Fatal(err)
	}
	sealed := oauthclients.Client{ClientID: sc.unreadableID, RedirectURIs: []string{"https://a.example/cb"},
		ClientIDIssuedAt: clock.now().Add(-100 * day)}
	if err := elsewhere.Put(ctx, sealed); err != nil {
		t.Fatal(err)
	}
	return sc
}

func (sc *reapScene) use(t *testing.T, r registration) {
	t.Helper()
	if tok := requestToken(t, nil, sc.ts.URL, authSecretBasic, r.clientID, r.clientSecret, nil); tok.status != http.StatusOK {
		t.Fatalf("token: %d %s", tok.status, tok.raw)
	}
}

// exists reports whether the table holds a client of id, readable or not.
func (sc *reapScene) exists(t *testing.T, id string) bool {
	t.Helper()
	keys, err := sc.st.clients.KV().Keys(context.Background(), "", "", 100)
	if err != nil {
		t.Fatal(err)
	}
	return slices.Contains(keys, id)
}

// TestReap: a dry run counts the clients unused for 30 days and deletes
// nothing; a run deletes them, except those changed or used between its
// read and its delete, and keeps the clients it cannot date or read; on
// PostgreSQL and in memory.
func TestReap(t *testing.T) {
	for name, open := range bothStores {
		t.Run(name, func(t *testing.T) {
			clock := newTestClock(time.Now().Add(-40 * day).Truncate(time.Second))
			sc := newReapScene(t, open(t, clock.now), clock)
			ctx := context.Background()
			var pages []reapReport
			opts := reapOptions{olderThan: 30 * day, dryRun: true, now: clock.now(), pageSize: 3,
				progress: func(r reapReport) { pages = append(pages, r) }}

			dry, err := Reap(ctx, sc.st.clients, sc.st.side, opts)
			if err != nil {
				t.Fatal(err)
			}
			want := reapReport{Scanned: 8, Unused: 4, NeverUsed: 3, Undated: 1, Unreadable: 1}
			if dry != want {
				t.Errorf("dry run: %+v, want %+v", dry, want)
			}
			if len(pages) != 3 || pages[len(pages)-1] != dry {
				t.Errorf("progress: %+v, want 3 pages of 3, the last the result", pages)
			}
			for _, r := range []registration{sc.usedLongAgo, sc.neverUsed, sc.changedMeanwhile, sc.usedMeanwhile} {
				if !sc.exists(t, r.clientID) {
					t.Errorf("the dry run deleted %s", r.clientID)
				}
			}

			opts.dryRun, opts.progress = false, nil
			opts.beforeDelete = func(id string) {
				switch id {
				case sc.changedMeanwhile.clientID:
					update := metadata("https://a.example/cb", map[string]any{"client_id": id, "client_name": "renamed",
						"grant_types": []string{"client_credentials"}})
					if r := postJSON(t, nil, http.MethodPut, sc.changedMeanwhile.configURI, sc.changedMeanwhile.registrationToken, update); r.status != http.StatusOK {
						t.Errorf("update: %d %s", r.status, r.raw)
					}
				case sc.usedMeanwhile.clientID:
					sc.use(t, sc.usedMeanwhile)
				}
			}
			got, err := Reap(ctx, sc.st.clients, sc.st.side, opts)
			if err != nil {
				t.Fatal(err)
			}
			want = reapReport{Scanned: 8, Unused: 4, NeverUsed: 3, Deleted: 2, Changed: 2, Undated: 1, Unreadable: 1}
			if got != want {
				t.Errorf("run: %+v, want %+v", got, want)
			}
			for r, wantKept := range map[registration]bool{
				sc.usedLongAgo: false, sc.neverUsed: false, sc.usedRecently: true, sc.registeredRecently: true,
				sc.changedMeanwhile: true, sc.usedMeanwhile: true,
			} {
				if kept := sc.exists(t, r.clientID); kept != wantKept {
					t.Errorf("client %s kept %v, want %v", r.clientID, kept, wantKept)
				}
			}
			for _, id := range []string{sc.undatedID, sc.unreadableID} {
				if !sc.exists(t, id) {
					t.Errorf("%s was deleted", id)
				}
			}
			if _, found := lastUsed(t, sc.st, sc.usedLongAgo.clientID); found {
				t.Error("the usage row of a reaped client is still there")
			}

			// An update is no use: the client changed meanwhile goes on the
			// next run, which sees its new version.
			opts.beforeDelete = nil
			again, err := Reap(ctx, sc.st.clients, sc.st.side, opts)
			if err != nil || again.Deleted != 1 || sc.exists(t, sc.changedMeanwhile.clientID) {
				t.Errorf("second run: %+v, %v; want the changed client deleted", again, err)
			}
		})
	}
}

func TestReapRefusesAges(t *testing.T) {
	st := memoryStores(t, nil)
	for _, age := range []time.Duration{0, time.Hour, 23 * time.Hour, 366 * day} {
		if _, err := Reap(context.Background(), st.clients, st.side, reapOptions{olderThan: age, now: time.Now()}); err == nil {
			t.Errorf("age %v accepted", age)
		}
	}
}

// TestReapCommand: `oauthserver reap` on PostgreSQL, a dry run and then a
// run, with its usage errors.
func TestReapCommand(t *testing.T) {
	dsn := pgtest.URL(t)
	key := newKey(t)
	t.Setenv(keysEnv, key)
	ring, err := kv.ParseKeys(key)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := oauthclients.CreateTable(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	clients, err := oauthclients.New(pool, oauthclients.Options{Encrypter: ring})
	if err != nil {
		t.Fatal(err)
	}
	side, err := sideView(oauthclients.New(pool, plainOptions))
	if err != nil {
		t.Fatal(err)
	}
	clock := newTestClock(time.Now().Add(-40 * day))
	ts := serveWith(t, testStores{clients: clients, side: side}, serverOptions{now: clock.now})
	old := ts.mustRegister(t, metadata("https://a.example/cb", nil))
	clock.advance(39 * day)
	recent := ts.mustRegister(t, metadata("https://a.example/cb", nil))

	getenv := func(name string) string {
		if name == "DATABASE_URL" {
			return dsn
		}
		return ""
	}
	reap := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := run(append([]string{"reap"}, args...), getenv, &out, &errOut)
		return code, out.String(), errOut.String()
	}
	exists := func(id string) bool {
		_, found, err := clients.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return found
	}

	code, out, logs := reap("-older-than", "720h", "-dry-run")
	if code != 0 || !strings.Contains(out, "dry run: would delete 1 of 2 clients") || !strings.Contains(logs, `"msg":"reaping"`) || !exists(old.clientID) {
		t.Errorf("dry run: exit %d, stdout %q, logs %s", code, out, logs)
	}
	code, out, _ = reap("-older-than", "720h")
	if code != 0 || !strings.Contains(out, "deleted 1 of 2 clients") || exists(old.clientID) || !exists(recent.clientID) {
		t.Errorf("run: exit %d, stdout %q; old kept %v, recent kept %v", code, out, exists(old.clientID), exists(recent.clientID))
	}

	for _, args := range [][]string{{}, {"-older-than", "1h"}, {"-older-than", "720h", "stray"}} {
		if code, _, logs := reap(args...); code != 2 {
			t.Errorf("reap %q: exit %d, want 2; logs %s", args, code, logs)
		}
	}
	var out2, errOut bytes.Buffer
	if code := run([]string{"reap", "-older-than", "720h"}, func(string) string { return "" }, &out2, &errOut); code != 2 ||
		!strings.Contains(errOut.String(), "reap needs a database") {
		t.Errorf("reap without a database: exit %d, logs %s", code, errOut.String())
	}
	t.Setenv(keysEnv, newKey(t))
	if code, _, logs := reap("-older-than", "720h"); code != 1 || !strings.Contains(logs, "open none of the 1 most recent clients") || !exists(recent.clientID) {
		t.Errorf("reap with keys that open no client: exit %d, logs %s", code, logs)
	}
}
