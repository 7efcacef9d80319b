package kvimpl

import "github.com/kvgen/kvgen/kv/internal/wire"

// Sealer is secretSealer, for the tests of its bindings in package kvimpl_test.
type Sealer = secretSealer

// Open is openTo with the secret's string read by wire.DecodeString, as
// those tests read it.
func (s secretSealer) Open(path string, raw []byte) (string, error) {
	return s.openTo(path, raw, wire.DecodeString)
}
