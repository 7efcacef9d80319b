package wire

import (
	"testing"
	"time"
)

// A unixtime read from any row must be the one AppendUnix writes back, or a
// read-modify-write changes a record nobody changed (found by FuzzStoredClient).
func TestDecodeUnixReadsWhatAppendUnixWrites(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want int64
	}{
		{"1767225600", 1767225600},
		{"1767225600.0", 1767225600},
		{"1767225600.9", 1767225600},
		{"1e-1", 0},
		{"0.1", 0},
		{"-0.5", -1},
		{"-1", -1},
		{"1.5e9", 1500000000},
	} {
		got, err := DecodeUnix([]byte(tc.raw))
		if err != nil {
			t.Errorf("DecodeUnix(%s): %v", tc.raw, err)
			continue
		}
		if !got.Equal(time.Unix(tc.want, 0)) || got.Location() != time.UTC {
			t.Errorf("DecodeUnix(%s) = %v; want %d s, UTC", tc.raw, got, tc.want)
		}
		written := string(AppendUnix(nil, got))
		again, err := DecodeUnix([]byte(written))
		if err != nil || again != got {
			t.Errorf("DecodeUnix(%s) = %v writes %s, which reads %v (%v)", tc.raw, got, written, again, err)
		}
	}
	for _, raw := range []string{`"1"`, "true", "null", "1e19", "-1e19", "{}"} {
		if _, err := DecodeUnix([]byte(raw)); err == nil {
			t.Errorf("DecodeUnix(%s): no error", raw)
		}
	}
}
