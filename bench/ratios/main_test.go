package main

import (
	"strings"
	"testing"
)

const sample = `goos: linux
BenchmarkStore/op=Get/mode=fields/g=1/impl=generated-2  1000  50000 ns/op  20000 items/s  3.0 max-ms  20000 ops/s  4000 B/op  40 allocs/op
BenchmarkStore/op=Get/mode=fields/g=1/impl=generated-2  1000  50000 ns/op  18000 items/s  4.0 max-ms  18000 ops/s  4000 B/op  40 allocs/op
BenchmarkStore/op=Get/mode=fields/g=1/impl=generated-2  1000  50000 ns/op   1000 items/s  900 max-ms   1000 ops/s  4000 B/op  40 allocs/op
BenchmarkStore/op=Get/mode=fields/g=1/impl=baseline-2   1000  50000 ns/op  16000 items/s  3.0 max-ms  16000 ops/s  4000 B/op  60 allocs/op
BenchmarkStore/op=Get/mode=fields/g=1/impl=raw-2        1000  50000 ns/op  25000 items/s  3.0 max-ms  25000 ops/s  4000 B/op  10 allocs/op
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
	if len(runs) != 11 {
		t.Fatalf("parsed %d runs, want 11", len(runs))
	}
	var out strings.Builder
	report(&out, runs, 250)
	text := out.String()
	for _, want := range []string{
		"left out, a stall (max-ms 900): BenchmarkStore/g=1/impl=generated/mode=fields/op=Get",
		// medians of the two runs kept: 19000 ops/s; ÷ 16000 and ÷ 25000
		"Get  fields  1      19000     16000      1.19  25000     0.76          40           60     2",
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
