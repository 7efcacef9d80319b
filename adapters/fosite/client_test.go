package fosite_test

import (
	"context"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/ory/fosite"

	kvfosite "github.com/kvgen/kvgen/adapters/fosite"
)

// TestClientCarriesNoSecret: the client fosite gets holds the secret only
// as its digest, since fosite's storage may keep or serialize it.
func TestClientCarriesNoSecret(t *testing.T) {
	w := newWorld(t)
	w.Register(t, confidential("service", "s3cret-of-the-service"))
	store, err := kvfosite.New(w.Clients, w.Plain.Untyped(), kvfosite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := store.GetClient(context.Background(), "service")
	if err != nil {
		t.Fatal(err)
	}
	if secret := c.(*kvfosite.Client).Record().ClientSecret; secret != "" {
		t.Error("the client's record holds its secret")
	}
	if got, want := hex.EncodeToString(c.GetHashedSecret()), hexSHA256("s3cret-of-the-service"); got != want {
		t.Errorf("GetHashedSecret is %s, want the secret's SHA-256 digest %s", got, want)
	}
	if _, err := store.GetClient(context.Background(), "nobody\x00"); !errors.Is(err, fosite.ErrNotFound) {
		t.Errorf("GetClient of a key no store holds: %v, want fosite.ErrNotFound", err)
	}
}
