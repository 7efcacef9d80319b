package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
)

// publicApp is the metadata of a public client of software app with the
// given redirect URIs.
func publicApp(app string, redirects ...string) map[string]any {
	return map[string]any{"redirect_uris": redirects, "token_endpoint_auth_method": "none", "software_id": app}
}

// TestIdempotentRegistration: with the option, a public client that
// registers again with the same software_id and redirect URIs gets its
// earlier client, without the registration access token; anything else
// gets a new client; on PostgreSQL and in memory.
func TestIdempotentRegistration(t *testing.T) {
	const a, b = "http://127.0.0.1:9000/cb", "http://127.0.0.1:9001/cb"
	for name, open := range bothStores {
		t.Run(name, func(t *testing.T) {
			ts := serveWith(t, open(t, nil), serverOptions{idempotentRegistration: true})
			first := ts.mustRegister(t, publicApp("app", a, b))
			if first.registrationToken == "" {
				t.Fatal("the first registration has no registration access token")
			}

			again := ts.register(t, publicApp("app", b, a, b)) // the same set of URIs
			if again.status != http.StatusOK || again.str("client_id") != first.clientID {
				t.Fatalf("the same registration again: %d %s, want 200 with client %s", again.status, again.raw, first.clientID)
			}
			for _, member := range []string{"registration_access_token", "registration_client_uri", "client_secret"} {
				if _, ok := again.body[member]; ok {
					t.Errorf("the repeated registration's answer holds %s", member)
				}
			}

			for what, md := range map[string]map[string]any{
				"other redirect URIs": publicApp("app", a),
				"another software_id": publicApp("other-app", a, b),
				"no software_id":      publicApp("", a, b),
			} {
				if r := ts.mustRegister(t, md); r.clientID == first.clientID {
					t.Errorf("%s: got the earlier client", what)
				}
			}

			// The first registrant still manages the client; once it changes
			// the redirect URIs, or deletes the client, a registration of the
			// old set gets a new client.
			update := publicApp("app", a)
			update["client_id"] = first.clientID
			if r := postJSON(t, nil, http.MethodPut, first.configURI, first.registrationToken, update); r.status != http.StatusOK {
				t.Fatalf("update: %d %s", r.status, r.raw)
			}
			second := ts.mustRegister(t, publicApp("app", a, b))
			if second.clientID == first.clientID {
				t.Error("a client whose redirect URIs changed was handed out for the old ones")
			}
			if r := withBearer(t, nil, http.MethodDelete, second.configURI, second.registrationToken); r.status != http.StatusNoContent {
				t.Fatalf("delete: %d %s", r.status, r.raw)
			}
			if third := ts.mustRegister(t, publicApp("app", a, b)); third.clientID == second.clientID {
				t.Error("a deleted client was handed out again")
			}
		})
	}
}

// TestIdempotentRegistrationNeverForConfidentialClients: a confidential
// client is never handed out again: its secret would go to whoever knows
// its public metadata.
func TestIdempotentRegistrationNeverForConfidentialClients(t *testing.T) {
	ts := serveWith(t, memoryStores(t, nil), serverOptions{idempotentRegistration: true})
	md := map[string]any{"redirect_uris": []string{"https://a.example/cb"}, "software_id": "app"}
	first, second := ts.mustRegister(t, md), ts.mustRegister(t, md)
	if first.clientID == second.clientID || first.clientSecret == second.clientSecret || second.clientSecret == "" {
		t.Errorf("two confidential registrations: %s and %s, secrets equal %v", first.clientID, second.clientID, first.clientSecret == second.clientSecret)
	}
}

// TestIdempotentRegistrationOff: without the option, every registration
// creates a client.
func TestIdempotentRegistrationOff(t *testing.T) {
	ts := newTestServer(t)
	if first, second := ts.mustRegister(t, publicApp("app", "http://127.0.0.1:9000/cb")),
		ts.mustRegister(t, publicApp("app", "http://127.0.0.1:9000/cb")); first.clientID == second.clientID {
		t.Error("two registrations got one client")
	}
}

// TestIdempotentRegistrationRace: concurrent identical registrations end
// with one client, which all of them get, and one 201.
func TestIdempotentRegistrationRace(t *testing.T) {
	for name, open := range bothStores {
		t.Run(name, func(t *testing.T) {
			st := open(t, nil)
			ts := serveWith(t, st, serverOptions{idempotentRegistration: true})
			const n = 16
			results := make([]response, n)
			errs := make([]error, n)
			body, err := json.Marshal(publicApp("app", "http://127.0.0.1:9000/cb"))
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Go(func() {
					<-start
					req, err := http.NewRequest(http.MethodPost, ts.URL+"/register", bytes.NewReader(body))
					if err != nil {
						errs[i] = err
						return
					}
					req.Header.Set("Content-Type", "application/json")
					results[i], errs[i] = send(nil, req)
				})
			}
			close(start)
			wg.Wait()
			created, ids := 0, map[string]bool{}
			for i, r := range results {
				if errs[i] != nil {
					t.Fatal(errs[i])
				}
				if r.status == http.StatusCreated {
					created++
				} else if r.status != http.StatusOK {
					t.Fatalf("a registration answered %d %s", r.status, r.raw)
				}
				ids[r.str("client_id")] = true
			}
			stored, err := st.clients.List(context.Background(), "", 100)
			if err != nil {
				t.Fatal(err)
			}
			if created != 1 || len(ids) != 1 || len(stored) != 1 {
				t.Errorf("%d registrations: %d created, %d client IDs answered, %d clients stored; want 1, 1, 1", n, created, len(ids), len(stored))
			}
		})
	}
}
