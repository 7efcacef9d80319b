//go:build !amd64 || purego

package fastbase64

import "encoding/base64"

// Elsewhere encoding/base64 does the work: segmentio/asm's coders for
// other CPUs are not held to it by the tests run here.
var (
	fastStd coder = base64.StdEncoding
	fastURL coder = base64.URLEncoding

	fastURLMisreads byte = 0
)
