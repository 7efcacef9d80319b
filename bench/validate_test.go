package bench

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/kvgen/kvgen/bench/internal/nonestore"
	"github.com/kvgen/kvgen/bench/internal/valuestore"
	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/kv"
)

// TestEveryModeValidates: the stores of the three encryption modes, from
// one schema, refuse the same values before writing (what a reader could not
// read back, a URL the schema does not allow) and refuse to serve a row
// copied under another key. The tests of generated/oauthclients cover fields
// mode in depth; these hold value and none mode to it.
func TestEveryModeValidates(t *testing.T) {
	ring := newRing(t)
	t.Run("mode=fields", func(t *testing.T) {
		mem := kv.NewMemory()
		s, err := oauthclients.NewWithBackend(mem, oauthclients.Options{Encrypter: ring})
		if err != nil {
			t.Fatal(err)
		}
		checkModeValidates[oauthclients.Client](t, s, mem)
	})
	t.Run("mode=value", func(t *testing.T) {
		mem := kv.NewMemory()
		s, err := valuestore.NewWithBackend(mem, valuestore.Options{Encrypter: ring})
		if err != nil {
			t.Fatal(err)
		}
		checkModeValidates[valuestore.Client](t, s, mem)
	})
	t.Run("mode=none", func(t *testing.T) {
		mem := kv.NewMemory()
		s, err := nonestore.NewWithBackend(mem, nonestore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		checkModeValidates[nonestore.Client](t, s, mem)
	})
}

func checkModeValidates[R any](t *testing.T, s typedStore[R], mem *kv.Memory) {
	ctx := context.Background()
	good := string(fullRecordJSON("c1", 1))
	with := func(members string) R {
		return fixture[R](t, []byte(good[:len(good)-1]+","+members+"}"))
	}
	for members, path := range map[string]string{
		`"jwks":{"keys":[{"kty":"RSA","n":"\ud800"}]}`:           "jwks.keys[0].n",
		`"jwks":{"keys":[{"kty":"RSA","n":"a\u0000b"}]}`:         "jwks.keys[0].n",
		"\"jwks\":{\"keys\":[{\"kty\":\"RSA\",\"n\":\"\xff\"}]}": "jwks.keys[0].n",
		`"x_future":{"e":1e999999}`:                              "x_future.e",
		`"client_uri":"javascript:alert(1)"`:                     "client_uri",
		`"redirect_uris":["http://127.0.0.1:99999/cb"]`:          "redirect_uris[0]",
	} {
		err := s.Put(ctx, with(members))
		var ve *kv.ValidationError
		if !errors.As(err, &ve) || !slices.Equal(ve.Paths(), []string{path}) {
			t.Errorf("Put with %q: %v; want ErrInvalid at %s alone", members, err, path)
		}
	}
	if keys, _ := mem.Keys(ctx, "", "", 10); len(keys) != 0 {
		t.Fatalf("rows written despite the errors: %q", keys)
	}

	if err := s.Put(ctx, fixture[R](t, []byte(good))); err != nil {
		t.Fatal(err)
	}
	collections, err := mem.Collections(ctx)
	if err != nil || len(collections) != 1 {
		t.Fatalf("collections %q, %v", collections, err)
	}
	raw, _, _ := mem.Get(ctx, collections[0], "c1")
	if err := mem.Put(ctx, collections[0], "c2", raw.Value, nil); err != nil {
		t.Fatal(err)
	}
	_, found, err := s.Get(ctx, "c2")
	var ve *kv.ValueError
	if found || !errors.Is(err, kv.ErrCorrupt) || !errors.As(err, &ve) || ve.Key != "c2" || ve.Field != "client_id" || strings.Contains(err.Error(), `"c1"`) {
		t.Errorf("Get of a row copied under another key: found %v, %v; want ErrCorrupt naming c2 and client_id", found, err)
	}
}
