package fosite

import (
	"context"
	"crypto/sha256"

	"github.com/ory/fosite"

	"github.com/kvgen/kvgen/adapters/internal/clientview"
)

// Hasher is the fosite.Hasher of the secrets of a Store's clients: set it as
// fosite.Config.ClientSecretsHasher. It compares SHA-256 digests in constant
// time (see the package doc for why a digest).
type Hasher struct{}

var _ fosite.Hasher = Hasher{}

// Compare returns fosite.ErrInvalidClient unless data is the secret whose
// digest is hash. An empty hash (a public client, an expired secret) matches
// nothing.
func (Hasher) Compare(_ context.Context, hash, data []byte) error {
	if !clientview.DigestMatches(hash, string(data)) {
		return fosite.ErrInvalidClient
	}
	return nil
}

// Hash returns the SHA-256 digest of data, the form GetHashedSecret returns.
func (Hasher) Hash(_ context.Context, data []byte) ([]byte, error) {
	sum := sha256.Sum256(data)
	return sum[:], nil
}
