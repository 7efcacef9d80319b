// Package fastbase64 is encoding/base64's StdEncoding and URLEncoding, with
// the bulk of the work done by SIMD instructions where the CPU has them:
// every read of a sealed value decodes its envelope's base64 and then its
// Fernet token's, and encoding/base64 spent as long on them as the HMAC and
// the AES together. It gives exactly what encoding/base64 gives, the same
// bytes and, for input that is not valid base64, the same error, which
// TestDecodeEveryByte and FuzzMatchesEncodingBase64 hold it to.
package fastbase64

import (
	"bytes"
	"encoding/base64"
	"slices"
)

// Encoding is one of encoding/base64's encodings, with a faster coder.
type Encoding struct {
	std  *base64.Encoding
	fast coder
	// misread is a byte outside the alphabet that fast decodes as a byte
	// of it (0: none): input holding it is left to std, which refuses it.
	misread byte
}

// coder is what the SIMD encodings and encoding/base64's have in common.
type coder interface {
	Decode(dst, src []byte) (int, error)
	Encode(dst, src []byte)
}

var (
	// Std is base64.StdEncoding: standard alphabet, padded.
	Std = &Encoding{std: base64.StdEncoding, fast: fastStd}
	// URL is base64.URLEncoding: URL-safe alphabet, padded.
	URL = &Encoding{std: base64.URLEncoding, fast: fastURL, misread: fastURLMisreads}
)

// AppendDecode is base64.Encoding.AppendDecode: it appends the decoding of
// src to dst, skipping line breaks, and on invalid input returns what
// encoding/base64 returns.
func (e *Encoding) AppendDecode(dst, src []byte) ([]byte, error) {
	if e.misread == 0 || bytes.IndexByte(src, e.misread) < 0 {
		n := e.std.DecodedLen(len(src))
		dst = slices.Grow(dst, n)
		if m, err := e.fast.Decode(dst[len(dst):len(dst)+n], src); err == nil {
			return dst[:len(dst)+m], nil
		}
	}
	// invalid: decoded again for encoding/base64's error, and what it
	// appends before it
	return e.std.AppendDecode(dst, src)
}

// AppendEncode is base64.Encoding.AppendEncode: it appends the encoding of
// src to dst.
func (e *Encoding) AppendEncode(dst, src []byte) []byte {
	n := e.std.EncodedLen(len(src))
	dst = slices.Grow(dst, n)
	e.fast.Encode(dst[len(dst):len(dst)+n], src)
	return dst[:len(dst)+n]
}

// EncodedLen is base64.Encoding.EncodedLen.
func (e *Encoding) EncodedLen(n int) int { return e.std.EncodedLen(n) }

// DecodedLen is base64.Encoding.DecodedLen.
func (e *Encoding) DecodedLen(n int) int { return e.std.DecodedLen(n) }
