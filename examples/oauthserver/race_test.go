package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
)

// TestUpdateRaces runs 1,000 rounds, 8 at a time, on the memory store and on
// PostgreSQL. Each round registers a public client, then races two updates
// (RFC 7592 PUT) that both make it confidential, then a DELETE with a third
// update. Both racing updates must answer 200, the later applied on top of
// the earlier, and the one racing the DELETE 200 (before it) or 401 (after
// it). Counted, and required to be zero:
//   - lost updates: a racing update answered a client_secret other than the
//     one stored, so its client holds a secret the server forgot;
//   - resurrections: the client exists after its DELETE answered 204 and the
//     update racing it answered.
func TestUpdateRaces(t *testing.T) {
	for name, newServer := range map[string]func(*testing.T) *testServer{"memory": newTestServer, "postgres": newPostgresTestServer, "sqlite": newSQLiteTestServer} {
		t.Run(name, func(t *testing.T) { updateRaces(t, newServer(t)) })
	}
}

func updateRaces(t *testing.T, ts *testServer) {
	const rounds, parallel = 1000, 8
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 3 * parallel}}
	defer hc.CloseIdleConnections()
	var lost, resurrected atomic.Int64
	var wg sync.WaitGroup
	for w := range parallel {
		wg.Go(func() {
			for round := w; round < rounds; round += parallel {
				r := raceRound(ts, hc, round)
				if r.err != nil {
					t.Errorf("round %d: %v", round, r.err)
					return
				}
				if r.lost {
					lost.Add(1)
				}
				if r.resurrected {
					resurrected.Add(1)
				}
			}
		})
	}
	wg.Wait()
	t.Logf("%d rounds: %d lost updates, %d resurrections", rounds, lost.Load(), resurrected.Load())
	if lost.Load() != 0 || resurrected.Load() != 0 {
		t.Errorf("%d lost updates and %d resurrections in %d rounds; want none", lost.Load(), resurrected.Load(), rounds)
	}
}

// roundResult is what one round of TestUpdateRaces saw.
type roundResult struct {
	lost, resurrected bool
	err               error
}

func raceRound(ts *testServer, hc *http.Client, round int) roundResult {
	reg, err := registerPublic(ts, hc)
	if err != nil {
		return roundResult{err: err}
	}
	update := func(name string) func() (response, error) {
		return func() (response, error) {
			return sendUpdate(hc, reg, map[string]any{
				"client_id": reg.clientID, "redirect_uris": []string{"https://app.example.com/cb"},
				"token_endpoint_auth_method": authSecretBasic, "client_name": name,
			})
		}
	}
	deleteClient := func() (response, error) {
		return sendBearer(hc, http.MethodDelete, reg.configURI, reg.registrationToken)
	}

	var res roundResult
	both, err := concurrently(update(fmt.Sprint("A", round)), update(fmt.Sprint("B", round)))
	if err != nil {
		return roundResult{err: err}
	}
	for _, r := range both {
		if r.status != http.StatusOK {
			return roundResult{err: fmt.Errorf("racing updates: %d %s; want both 200", r.status, r.raw)}
		}
	}
	stored, found, err := ts.srv.clients.Get(context.Background(), reg.clientID)
	if err != nil || !found {
		return roundResult{err: fmt.Errorf("after two updates: found %v, %v", found, err)}
	}
	for _, r := range both {
		res.lost = res.lost || r.str("client_secret") != stored.ClientSecret.Reveal()
	}

	raced, err := concurrently(deleteClient, update(fmt.Sprint("C", round)))
	if err != nil {
		return roundResult{err: err}
	}
	if raced[0].status != http.StatusNoContent {
		return roundResult{err: fmt.Errorf("DELETE: %d %s", raced[0].status, raced[0].raw)}
	}
	if s := raced[1].status; s != http.StatusOK && s != http.StatusUnauthorized {
		return roundResult{err: fmt.Errorf("update racing a DELETE: %d %s; want 200 (before it) or 401 (after it)", s, raced[1].raw)}
	}
	_, res.resurrected, err = ts.srv.clients.Get(context.Background(), reg.clientID)
	if err != nil {
		return roundResult{err: err}
	}
	return res
}

// registerPublic registers a client without a secret.
func registerPublic(ts *testServer, hc *http.Client) (registration, error) {
	body, _ := json.Marshal(metadata("https://app.example.com/cb", map[string]any{"token_endpoint_auth_method": authNone}))
	req, err := http.NewRequest(http.MethodPost, ts.URL+"/register", bytes.NewReader(body))
	if err != nil {
		return registration{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	r, err := send(hc, req)
	if err != nil || r.status != http.StatusCreated {
		return registration{}, fmt.Errorf("registration: %d %s, %v", r.status, r.raw, err)
	}
	return registration{clientID: r.str("client_id"), registrationToken: r.str("registration_access_token"), configURI: r.str("registration_client_uri")}, nil
}

// sendUpdate sends an RFC 7592 update of reg's client.
func sendUpdate(hc *http.Client, reg registration, body map[string]any) (response, error) {
	data, _ := json.Marshal(body)
	req, err := http.NewRequest(http.MethodPut, reg.configURI, bytes.NewReader(data))
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+reg.registrationToken)
	return send(hc, req)
}

// concurrently runs the requests at once and returns their responses in order.
func concurrently(requests ...func() (response, error)) ([]response, error) {
	out := make([]response, len(requests))
	errs := make([]error, len(requests))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, req := range requests {
		wg.Go(func() {
			<-start
			out[i], errs[i] = req()
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
