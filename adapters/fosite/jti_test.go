package fosite_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ory/fosite"

	kvfosite "github.com/kvgen/kvgen/adapters/fosite"
)

// TestSetClientAssertionJWTOnce: of replicas that accept the same assertion
// at the same time (each found its JTI unknown), exactly one records it and
// the others get fosite.ErrJTIKnown, so only one of them issues a token.
func TestSetClientAssertionJWTOnce(t *testing.T) {
	w := newWorld(t)
	const replicas = 8
	stores := make([]*kvfosite.Store, replicas)
	for i := range stores {
		s, err := kvfosite.New(w.Clients, w.Plain.Untyped(), kvfosite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		stores[i] = s
	}
	ctx := context.Background()
	exp := time.Now().Add(time.Minute)
	for round := range 20 {
		jti := "jti-" + string(rune('a'+round))
		errs := make([]error, replicas)
		var wg sync.WaitGroup
		for i, s := range stores {
			wg.Go(func() { errs[i] = s.SetClientAssertionJWT(ctx, jti, exp) })
		}
		wg.Wait()
		recorded := 0
		for _, err := range errs {
			switch {
			case err == nil:
				recorded++
			case !errors.Is(err, fosite.ErrJTIKnown):
				t.Fatalf("SetClientAssertionJWT: %v", err)
			}
		}
		if recorded != 1 {
			t.Fatalf("round %d: %d replicas recorded the same JTI, want 1", round, recorded)
		}
		if err := stores[0].ClientAssertionJWTValid(ctx, jti); !errors.Is(err, fosite.ErrJTIKnown) {
			t.Fatalf("ClientAssertionJWTValid of a recorded JTI: %v, want fosite.ErrJTIKnown", err)
		}
	}
}
