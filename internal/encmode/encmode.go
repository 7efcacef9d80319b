// Package encmode says what a store of each encryption mode (kv.EncryptionNone,
// kv.EncryptionFields, kv.EncryptionValue) seals, in the words that both the
// generator writes in a generated package's docs and the runtime (kv/kvimpl)
// writes in its errors: one definition that neither has to import from the
// other.
package encmode

import "github.com/kvgen/kvgen/kv"

// Sealed says what a store of encryption mode seals: "whole records" in
// value mode, "sensitive fields" in the others.
func Sealed(mode string) string {
	if mode == kv.EncryptionValue {
		return "whole records"
	}
	return "sensitive fields"
}
