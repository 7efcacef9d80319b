//go:build !purego

package fastbase64

import simd "github.com/segmentio/asm/base64"

// The AVX2 coders of segmentio/asm (encoding/base64's where the CPU lacks
// AVX2). Its URL-safe decoder reads '/' as '_': it maps '_' to '/' and
// then decodes the standard alphabet.
var (
	fastStd coder = simd.StdEncoding
	fastURL coder = simd.URLEncoding

	fastURLMisreads byte = '/'
)
