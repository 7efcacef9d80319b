package fosite_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/ory/fosite"

	"github.com/kvgen/kvgen/adapters/fosite/example"
)

// TestReadmeWiring: fosite wired as the README does (package example)
// issues a client_credentials token to a client read from PostgreSQL, and
// refuses a wrong secret.
func TestReadmeWiring(t *testing.T) {
	w := newWorld(t)
	w.Register(t, confidential("service", "s3cret-of-the-service"))
	p := serve(t, func(config *fosite.Config) fosite.OAuth2Provider {
		provider, err := example.NewProvider(w.Pool, w.Ring, config, w.signing)
		if err != nil {
			t.Fatal(err)
		}
		return provider
	})
	cc := url.Values{"grant_type": {"client_credentials"}, "scope": {"read"}}
	p.postToken(t, "service", "s3cret-of-the-service", cc).MustSucceed(t)
	p.postToken(t, "service", "s3cret-of-the-servicE", cc).MustFail(t, http.StatusUnauthorized, "invalid_client")
}
