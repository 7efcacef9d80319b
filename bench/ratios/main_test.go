package main

import (
	"strings"
	"testing"
)

// sample interleaves the implementations of Get in rounds, as
// BenchmarkStore runs them (go test names the later rounds #01, #02, …);
// its third run of the generated store is a stall.
const sample = `goos: linux
BenchmarkStore/op=Get/mode=fields/g=1/impl=generated-2  1000  50000 ns/op  20000 items/s  3.0 max-ms  20000 ops/s  4000 B/op  40 allocs/op
BenchmarkStore/op=Get/mode=fields/g=1/impl=baseline-2   1000  50000 ns/op  16000 items/s  3.0 max-ms  16000 ops/s  4000 B/op  60 allocs/op
BenchmarkStore/op=Get/mode=fields/g=1/impl=raw-2        1000  50000 ns/op  25000 items/s  3.0 max-ms  25000 ops/s  4000 B/op  10 allocs/op
BenchmarkStore/op=Get/mode=fields/g=1/impl=direct-2     1000  50000 ns/op  25000 items/s  3.0 max-ms  25000 ops/s  4000 B/op  40 allocs/op
BenchmarkStore/op=Get/mode=fields/g=1/impl=generated#01-2  1000  50000 ns/op  18000 items/s  4.0 max-ms  18000 ops/s  4000 B/op  40 allocs/op
BenchmarkStore/op=Get/mode=fields/g=1/impl=baseline#01-2   1000  50000 ns/op  20000 items/s  3.0 max-ms  20000 ops/s  4000 B/op  60 allocs/op
BenchmarkStore/op=Get/mode=fields/g=1/impl=direct#01-2     1000  50000 ns/op  20000 items/s  3.0 max-ms  20000 ops/s  4000 B/op  40 allocs/op
BenchmarkStore/op=Get/mode=fields/g=1/impl=generated#02-2  1000  50000 ns/op   1000 items/s  900 max-ms   1000 ops/s  4000 B/op  40 allocs/op
BenchmarkStore/op=Get/mode=fields/g=1/impl=baseline#02-2   1000  50000 ns/op  15000 items/s  3.0 max-ms  15000 ops/s  4000 B/op  60 allocs/op
BenchmarkStore/op=Get/mode=fields/g=1/impl=direct#02-2     1000  50000 ns/op  20000 items/s  3.0 max-ms  20000 ops/s  4000 B/op  40 allocs/op
BenchmarkStore/op=Get/mode=fields/g=1/impl=generated#03-2  1000  50000 ns/op  17000 items/s  3.0 max-ms  17000 ops/s  4000 B/op  40 allocs/op
BenchmarkStore/op=Get/mode=fields/g=1/impl=baseline#03-2   1000  50000 ns/op  17000 items/s  3.0 max-ms  17000 ops/s  4000 B/op  60 allocs/op
BenchmarkStore/op=Get/mode=fields/g=1/impl=direct#03-2     1000  50000 ns/op  20000 items/s  3.0 max-ms  20000 ops/s  4000 B/op  40 allocs/op
BenchmarkStore/op=GetMany100/mode=fields/g=1/impl=generated-2  100  1000000 ns/op  100000 items/s  3.0 max-ms  1000 ops/s  4000 B/op  40 allocs/op
BenchmarkStore/op=GetLoop100/mode=fields/g=1/impl=generated-2  10  10000000 ns/op  10000 items/s  3.0 max-ms  100 ops/s  4000 B/op  40 allocs/op
BenchmarkEngines/op=Put/mode=fields/g=8/impl=postgresql-2  1000  50000 ns/op  2000 items/s  3.0 max-ms  2000 ops/s  4000 B/op  40 allocs/op
BenchmarkEngines/op=Put/mode=fields/g=8/impl=sqlite-2  1000  50000 ns/op  3000 items/s  3.0 max-ms  3000 ops/s  4000 B/op  40 allocs/op
BenchmarkCodec/op=decode/mode=fields/impl=generated-2  100000  3000 ns/op  2000 B/op  30 allocs/op
BenchmarkCodec/op=decode/mode=fields/impl=baseline-2   100000  12000 ns/op  4000 B/op  50 allocs/op
PASS
`

func TestReport(t *testing.T) {
	runs, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 19 {
		t.Fatalf("parsed %d runs, want 19", len(runs))
	}
	var out strings.Builder
	report(&out, runs, 250)
	text := out.String()
	for _, want := range []string{
		"left out, a stall (max-ms 900): BenchmarkStore/g=1/impl=generated/mode=fields/op=Get",
		// medians 18000 and 16500 ops/s, whose ratio is 1.09; the pairs'
		// ratios are 1.25, 0.90 and 1.00 (the stall's pair left out)
		"Get  fields  1      18000     16500      1.00  25000     0.80          40           60      3",
		// generated through PgBouncer ÷ direct: pairs 0.80, 0.90, 0.85
		"Get  fields  1      18000   20000              0.85      3",
		"GetMany100  fields  generated         100000            10000          10.00",
		"decode  fields          3000        12000      4.00          30           50",
		// sqlite ÷ postgresql
		"Put  8        2000    3000       1.50     1",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the report lacks %q:\n%s", want, text)
		}
	}
}
