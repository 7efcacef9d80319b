// Command ratios reads the output of kvgen's benchmarks (go test ./bench
// -bench ...) and prints the generated store's throughput as a ratio of the
// hand-written baseline's and of the raw ceiling's, the batch calls against
// their loops of single calls, the codec against encoding/json, the peak
// memory of huge batches, and, from a run through PgBouncer, the generated
// store through it against the same store reaching the database directly.
//
// The store's ratios come from pairs: BenchmarkStore runs the
// implementations of an op in rounds, one right after the other, so the
// n-th run of one and the n-th run of another saw the machine in the same
// state; the
// ratio quoted is the median of the pairs' ratios, which a slow spell of a
// shared machine moves less than a ratio of medians. Runs whose slowest call
// (max-ms) shows a stall of the machine (by default 250 ms above three
// times the typical call) are left out, with their pairs, and named, so that
// they can be run again.
//
//	KVGEN_BENCH_ROUNDS=3 go test ./bench -run '^$' -bench . | tee bench.txt
//	go run ./bench/ratios bench.txt
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

func main() {
	stall := flag.Float64("stall", 250, "a run whose slowest call took more than this many `ms` above three times the typical call is a stall: left out")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: ratios [-stall ms] [benchmark output files; default stdin]")
		flag.PrintDefaults()
	}
	flag.Parse()
	runs, err := readAll(flag.Args())
	if err != nil {
		fmt.Fprintln(os.Stderr, "ratios:", err)
		os.Exit(1)
	}
	report(os.Stdout, runs, *stall)
}

func readAll(paths []string) ([]run, error) {
	if len(paths) == 0 {
		return parse(os.Stdin)
	}
	var all []run
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		runs, err := parse(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		all = append(all, runs...)
	}
	return all, nil
}

// run is one result line: BenchmarkStore/op=Get/mode=fields/g=1/impl=generated-2 N v unit v unit ...
type run struct {
	bench   string            // BenchmarkStore
	keys    map[string]string // op, mode, g, impl
	metrics map[string]float64
}

func parse(r io.Reader) ([]run, error) {
	var runs []run
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") || len(fields)%2 != 0 {
			continue
		}
		name := fields[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 { // the GOMAXPROCS suffix
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		// the #01, #02 that go test gives the later rounds of a sub-benchmark
		if i := strings.LastIndexByte(name, '#'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		parts := strings.Split(name, "/")
		r := run{bench: parts[0], keys: map[string]string{}, metrics: map[string]float64{}}
		for _, p := range parts[1:] {
			if k, v, ok := strings.Cut(p, "="); ok {
				r.keys[k] = v
			}
		}
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return nil, fmt.Errorf("line %q: %w", sc.Text(), err)
			}
			r.metrics[fields[i+1]] = v
		}
		runs = append(runs, r)
	}
	return runs, sc.Err()
}

// table holds, per benchmark, its runs in the order they ran and the
// median of each metric over the runs that are not stalls.
type table struct {
	medians map[string]map[string]float64 // id → metric → median
	counts  map[string]int
	ordered map[string][]map[string]float64 // id → the metrics of each run in order; nil for a stall
}

func id(bench string, keys map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		parts = append(parts, k+"="+keys[k])
	}
	return bench + "/" + strings.Join(parts, "/")
}

func summarize(runs []run, stallMS float64, w io.Writer) table {
	// A run is a stall when its slowest call exceeds three times the typical
	// call of its benchmark (the median over its runs) by stallMS: that also
	// catches a run whose only call stalled.
	latencies := map[string][]float64{}
	for _, r := range runs {
		key := id(r.bench, r.keys)
		latencies[key] = append(latencies[key], latencyMS(r))
	}
	samples := map[string]map[string][]float64{}
	t := table{medians: map[string]map[string]float64{}, counts: map[string]int{}, ordered: map[string][]map[string]float64{}}
	for _, r := range runs {
		key := id(r.bench, r.keys)
		if ms, ok := r.metrics["max-ms"]; ok && ms > stallMS+3*median(latencies[key]) {
			fmt.Fprintf(w, "left out, a stall (max-ms %.0f): %s\n", ms, key)
			t.ordered[key] = append(t.ordered[key], nil)
			continue
		}
		t.ordered[key] = append(t.ordered[key], r.metrics)
		if samples[key] == nil {
			samples[key] = map[string][]float64{}
		}
		for m, v := range r.metrics {
			samples[key][m] = append(samples[key][m], v)
		}
		t.counts[key]++
	}
	for key, ms := range samples {
		t.medians[key] = map[string]float64{}
		for m, vs := range ms {
			t.medians[key][m] = median(vs)
		}
	}
	return t
}

// pairRatio is the median, over the pairs of the n-th runs of a and b
// that are no stall, of a's metric ÷ b's, and the number of pairs.
func (t table) pairRatio(metric, a, b string) (float64, int) {
	var ratios []float64
	as, bs := t.ordered[a], t.ordered[b]
	for i := range min(len(as), len(bs)) {
		av, aok := as[i][metric]
		bv, bok := bs[i][metric]
		if aok && bok && bv != 0 {
			ratios = append(ratios, av/bv)
		}
	}
	if len(ratios) == 0 {
		return 0, 0
	}
	return median(ratios), len(ratios)
}

// latencyMS is the mean time of one call of r: its ns/op is the time per
// call of all goroutines together.
func latencyMS(r run) float64 {
	g, err := strconv.Atoi(r.keys["g"])
	if err != nil {
		g = 1
	}
	return r.metrics["ns/op"] * float64(g) / 1e6
}

func median(vs []float64) float64 {
	s := slices.Sorted(slices.Values(vs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func (t table) get(bench string, metric string, kv ...string) (float64, bool) {
	keys := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		keys[kv[i]] = kv[i+1]
	}
	m, ok := t.medians[id(bench, keys)]
	if !ok {
		return 0, false
	}
	v, ok := m[metric]
	return v, ok
}

var (
	storeOps = []string{"Get", "Put", "GetMany100", "PutMany100", "PutMany1000", "DeleteMany100"}
	modes    = []string{"none", "fields", "value"}
	batches  = [][2]string{{"GetMany100", "GetLoop100"}, {"PutMany1000", "PutLoop1000"}, {"DeleteMany100", "DeleteLoop100"}}
)

func report(w io.Writer, runs []run, stallMS float64) {
	t := summarize(runs, stallMS, w)
	storeRatios(w, t)
	bouncerRatios(w, t)
	engineRatios(w, t)
	batchRatios(w, t)
	codecRatios(w, t)
	hugeBatches(w, t)
}

// ratio is a ÷ b, or "-" when either is missing.
func ratio(a float64, aok bool, b float64, bok bool) string {
	if !aok || !bok || b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", a/b)
}

// engineRatios prints SQLite's throughput against PostgreSQL's.
func engineRatios(w io.Writer, t table) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "\nEngines: ops/s (median) of the generated fields store, sqlite ÷ postgresql")
	fmt.Fprintln(tw, "op\tg\tpostgresql\tsqlite\tsqlite/pg\truns\t")
	for _, op := range storeOps {
		for _, g := range []string{"1", "8"} {
			keys := func(engine string) []string { return []string{"op", op, "mode", "fields", "g", g, "impl", engine} }
			pg, pok := t.get("BenchmarkEngines", "ops/s", keys("postgresql")...)
			lite, lok := t.get("BenchmarkEngines", "ops/s", keys("sqlite")...)
			if !pok && !lok {
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t\n", op, g, num(pg, pok, "%.0f"), num(lite, lok, "%.0f"), ratio(lite, lok, pg, pok),
				t.counts[id("BenchmarkEngines", map[string]string{"op": op, "mode": "fields", "g": g, "impl": "sqlite"})])
		}
	}
	tw.Flush()
}

// batchRatios prints each batch call against a loop of its single call.
func batchRatios(w io.Writer, t table) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "\nBatch ÷ loop of single calls: items/s at one goroutine (median)")
	fmt.Fprintln(tw, "batch\tmode\timpl\tbatch items/s\tsingles items/s\tbatch/singles\t")
	for _, pair := range batches {
		for _, mode := range modes {
			for _, impl := range []string{"generated", "baseline", "raw"} {
				b, bok := t.get("BenchmarkStore", "items/s", "op", pair[0], "mode", mode, "g", "1", "impl", impl)
				s, sok := t.get("BenchmarkStore", "items/s", "op", pair[1], "mode", mode, "g", "1", "impl", impl)
				if !bok && !sok {
					continue
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", pair[0], mode, impl, num(b, bok, "%.0f"), num(s, sok, "%.0f"), ratio(b, bok, s, sok))
			}
		}
	}
	tw.Flush()
}

// codecRatios prints one record's codec against encoding/json's.
func codecRatios(w io.Writer, t table) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "\nCodec: ns/op for one record (median), baseline ÷ generated (above 1: the generated codec is faster)")
	fmt.Fprintln(tw, "op\tmode\tgenerated ns\tbaseline ns\tbase/gen\tallocs gen\tallocs base\t")
	for _, op := range []string{"decode", "encode"} {
		for _, mode := range modes {
			gen, gok := t.get("BenchmarkCodec", "ns/op", "op", op, "mode", mode, "impl", "generated")
			base, bok := t.get("BenchmarkCodec", "ns/op", "op", op, "mode", mode, "impl", "baseline")
			if !gok && !bok {
				continue
			}
			ga, gaok := t.get("BenchmarkCodec", "allocs/op", "op", op, "mode", mode, "impl", "generated")
			ba, baok := t.get("BenchmarkCodec", "allocs/op", "op", op, "mode", mode, "impl", "baseline")
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", op, mode, num(gen, gok, "%.0f"), num(base, bok, "%.0f"),
				ratio(base, bok, gen, gok), num(ga, gaok, "%.0f"), num(ba, baok, "%.0f"))
		}
	}
	tw.Flush()
}

// hugeBatches prints the time and peak memory of batches of 100,000 keys.
func hugeBatches(w io.Writer, t table) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "\nHuge batches of 100,000 keys: seconds and peak live heap (median)")
	fmt.Fprintln(tw, "op\tmode\timpl\ts/op\tpeak MB\tMB allocated\t")
	for _, op := range []string{"PutMany100000", "GetMany100000"} {
		for _, mode := range modes {
			for _, impl := range []string{"generated", "baseline"} {
				ns, ok := t.get("BenchmarkHugeBatch", "ns/op", "op", op, "mode", mode, "impl", impl)
				if !ok {
					continue
				}
				peak, pok := t.get("BenchmarkHugeBatch", "peak-MB", "op", op, "mode", mode, "impl", impl)
				bytes, byok := t.get("BenchmarkHugeBatch", "B/op", "op", op, "mode", mode, "impl", impl)
				fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%s\t%s\t\n", op, mode, impl, ns/1e9, num(peak, pok, "%.0f"), num(bytes/1e6, byok, "%.0f"))
			}
		}
	}
	tw.Flush()
}

// storeKey is the id of BenchmarkStore's run of op, mode, g and impl.
func storeKey(op, mode, g, impl string) string {
	return id("BenchmarkStore", map[string]string{"op": op, "mode": mode, "g": g, "impl": impl})
}

func num(v float64, ok bool, format string) string {
	if !ok {
		return "-"
	}
	return fmt.Sprintf(format, v)
}

func pairText(r float64, n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", r)
}

// storeRatios prints the generated store against the baseline and the raw
// ceiling, op by op.
func storeRatios(w io.Writer, t table) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "\nStore: ops/s (median), generated ÷ baseline and generated ÷ raw ceiling (median of the pairs' ratios), allocs/op")
	fmt.Fprintln(tw, "op\tmode\tg\tgenerated\tbaseline\tgen/base\traw\tgen/raw\tallocs gen\tallocs base\tpairs\t")
	for _, op := range storeOps {
		for _, mode := range modes {
			for _, g := range []string{"1", "8"} {
				keys := func(impl string) []string { return []string{"op", op, "mode", mode, "g", g, "impl", impl} }
				gen, gok := t.get("BenchmarkStore", "ops/s", keys("generated")...)
				base, bok := t.get("BenchmarkStore", "ops/s", keys("baseline")...)
				raw, rok := t.get("BenchmarkStore", "ops/s", keys("raw")...)
				if !gok && !bok && !rok {
					continue
				}
				genBase, pairs := t.pairRatio("ops/s", storeKey(op, mode, g, "generated"), storeKey(op, mode, g, "baseline"))
				genRaw, rawPairs := t.pairRatio("ops/s", storeKey(op, mode, g, "generated"), storeKey(op, mode, g, "raw"))
				ga, gaok := t.get("BenchmarkStore", "allocs/op", keys("generated")...)
				ba, baok := t.get("BenchmarkStore", "allocs/op", keys("baseline")...)
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t\n", op, mode, g,
					num(gen, gok, "%.0f"), num(base, bok, "%.0f"), pairText(genBase, pairs),
					num(raw, rok, "%.0f"), pairText(genRaw, rawPairs), num(ga, gaok, "%.0f"), num(ba, baok, "%.0f"), pairs)
			}
		}
	}
	tw.Flush()
}

// bouncerRatios prints, from a run through PgBouncer, the generated store
// through it against the same store reaching the database directly: the
// cost of PgBouncer's hop, not kvgen's.
func bouncerRatios(w io.Writer, t table) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := false
	for _, op := range storeOps {
		for _, mode := range modes {
			for _, g := range []string{"1", "8"} {
				via, vok := t.get("BenchmarkStore", "ops/s", "op", op, "mode", mode, "g", g, "impl", "generated")
				direct, dok := t.get("BenchmarkStore", "ops/s", "op", op, "mode", mode, "g", g, "impl", "direct")
				if !vok || !dok {
					continue
				}
				if !header {
					fmt.Fprintln(w, "\nPgBouncer ÷ direct: the generated store's ops/s through PgBouncer and directly (median), and their ratio (median of the pairs')")
					fmt.Fprintln(tw, "op\tmode\tg\tpgbouncer\tdirect\tpgbouncer/direct\tpairs\t")
					header = true
				}
				r, pairs := t.pairRatio("ops/s", storeKey(op, mode, g, "generated"), storeKey(op, mode, g, "direct"))
				fmt.Fprintf(tw, "%s\t%s\t%s\t%.0f\t%.0f\t%s\t%d\t\n", op, mode, g, via, direct, pairText(r, pairs), pairs)
			}
		}
	}
	tw.Flush()
}
