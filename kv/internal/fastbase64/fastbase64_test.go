package fastbase64

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

var encodings = []struct {
	name string
	fast *Encoding
	std  *base64.Encoding
}{
	{"std", Std, base64.StdEncoding},
	{"url", URL, base64.URLEncoding},
}

// matches fails t when e does not decode and encode src exactly as
// encoding/base64 does: the bytes appended to a non-empty dst, and the error.
func matches(t *testing.T, name string, fast *Encoding, std *base64.Encoding, src []byte) {
	t.Helper()
	prefix := []byte("kept")
	want, wantErr := std.AppendDecode(bytes.Clone(prefix), src)
	got, gotErr := fast.AppendDecode(bytes.Clone(prefix), src)
	if gotErr != wantErr || !bytes.Equal(got, want) {
		t.Fatalf("%s: decoding %q: got %q, %v; encoding/base64 gives %q, %v", name, src, got, gotErr, want, wantErr)
	}
	if enc, stdEnc := fast.AppendEncode(bytes.Clone(prefix), src), std.AppendEncode(bytes.Clone(prefix), src); !bytes.Equal(enc, stdEnc) {
		t.Fatalf("%s: encoding %q: got %q; encoding/base64 gives %q", name, src, enc, stdEnc)
	}
}

// TestDecodeEveryByte puts every byte value at every place of inputs long
// enough for the SIMD decoder, before each ending a padded text can have.
func TestDecodeEveryByte(t *testing.T) {
	body := strings.Repeat("QUJD", 24) // 96 bytes: three 32-byte blocks
	for _, e := range encodings {
		for _, tail := range []string{"", "=", "==", "QQ==", "QUI=", "QUJD", "Q", "\n", "QQ=\n="} {
			for at := range len(body) {
				for c := range 256 {
					src := []byte(body + tail)
					src[at] = byte(c)
					matches(t, e.name, e.fast, e.std, src)
				}
			}
		}
	}
}

// FuzzMatchesEncodingBase64 holds both encodings to encoding/base64 on any
// input, short or long, valid or not.
func FuzzMatchesEncodingBase64(f *testing.F) {
	long := bytes.Repeat([]byte{0xfb, 0xff, 0xbf, 0x00, 0x10, 0x83}, 200)
	for _, seed := range [][]byte{
		nil,
		[]byte("QUJD"),
		[]byte(base64.StdEncoding.EncodeToString(long)),
		[]byte(base64.URLEncoding.EncodeToString(long)),
		[]byte(base64.StdEncoding.EncodeToString(long[:100]) + "\r\n"),
		[]byte(strings.Repeat("QUJD", 20) + "\n" + strings.Repeat("QUJD", 20) + "QQ=="),
		[]byte(strings.Repeat("_-_-", 20) + "/" + strings.Repeat("QUJD", 20)),
		[]byte(strings.Repeat("+/+/", 20) + "QUJ=" + strings.Repeat("QUJD", 20)),
		[]byte(strings.Repeat("QUJD", 30) + "Q"),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		for _, e := range encodings {
			matches(t, e.name, e.fast, e.std, src)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	token := []byte(base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb, 0xff, 0xbf, 0x00, 0x10, 0x83}, 150)))
	outer := []byte(base64.StdEncoding.EncodeToString(token))
	var buf, raw []byte
	for b.Loop() {
		buf, _ = Std.AppendDecode(buf[:0], outer)
		raw, _ = URL.AppendDecode(raw[:0], buf)
	}
}
