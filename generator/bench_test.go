package generator

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kvgen/kvgen/generator/schema"
)

// BenchmarkGenerate measures `kvgen generate` without its sqlc step (load
// the schema, render every file) and `kvgen check` without it (the same,
// then compare with the files on disk and look for stale ones), on the OAuth
// schema and on synthetic schemas of 10, 100 and 500 fields, to show that
// time and memory grow linearly with the schema. peak-MB is the highest heap
// in use during one more call, with GOGC=5 so that it follows the live data.
//
//	go test ./generator -run '^$' -bench Generate -count 3
func BenchmarkGenerate(b *testing.B) {
	oauth, err := os.ReadFile("../schema/oauth_clients.yaml")
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name string
		yaml []byte
	}{{"schema=oauth", oauth}}
	for _, n := range []int{10, 100, 500} {
		cases = append(cases, struct {
			name string
			yaml []byte
		}{fmt.Sprintf("schema=fields%d", n), syntheticSchema(n)})
	}
	for _, c := range cases {
		dir := b.TempDir()
		opts := Options{ModulePath: "example.com/bench", ModuleDir: dir}
		files := generateOnce(b, c.yaml, opts)
		for p, content := range files {
			if err := writeFile(filepath.Join(dir, filepath.FromSlash(p)), content); err != nil {
				b.Fatal(err)
			}
		}
		size := 0
		for _, content := range files {
			size += len(content)
		}
		b.Run(c.name+"/cmd=generate", func(b *testing.B) {
			measureGenerator(b, size, func() error { _, err := loadAndGenerate(c.yaml, opts); return err })
		})
		b.Run(c.name+"/cmd=check", func(b *testing.B) {
			measureGenerator(b, size, func() error {
				drift, err := checkWithoutSQLC(c.yaml, opts)
				if err == nil && drift != 0 {
					err = fmt.Errorf("%d files drifted from what was written a moment ago", drift)
				}
				return err
			})
		})
	}
}

// measureGenerator times call, then runs it once more, untimed, to measure
// its peak heap (the low GOGC of that run would slow the timed ones).
func measureGenerator(b *testing.B, outputBytes int, call func() error) {
	b.ReportAllocs()
	for b.Loop() {
		if err := call(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	peak, err := livePeak(call)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(peak)/1e6, "peak-MB")
	b.ReportMetric(float64(outputBytes)/1e3, "output-kB")
}

func loadAndGenerate(yaml []byte, opts Options) (map[string][]byte, error) {
	s, err := schema.Load("schema.yaml", yaml)
	if err != nil {
		return nil, err
	}
	return Generate([]*schema.Schema{s}, opts)
}

func generateOnce(tb testing.TB, yaml []byte, opts Options) map[string][]byte {
	tb.Helper()
	files, err := loadAndGenerate(yaml, opts)
	if err != nil {
		tb.Fatal(err)
	}
	return files
}

// checkWithoutSQLC is Check without Build's sqlc run: the files kvgen renders
// compared with the module's, plus the stale ones. It returns how many differ.
func checkWithoutSQLC(yaml []byte, opts Options) (int, error) {
	opts, err := opts.normalized()
	if err != nil {
		return 0, err
	}
	files, err := loadAndGenerate(yaml, opts)
	if err != nil {
		return 0, err
	}
	stale, err := staleFiles(opts, files)
	if err != nil {
		return 0, err
	}
	drift := len(stale)
	for p, want := range files {
		have, err := os.ReadFile(filepath.Join(opts.ModuleDir, filepath.FromSlash(p)))
		if err != nil || !bytes.Equal(have, want) {
			drift++
		}
	}
	return drift, nil
}

// syntheticSchema returns a valid schema of n fields (n >= 10) that cycles
// through every type, with a nested object, a sensitive field and an
// indexed one in every ten.
func syntheticSchema(n int) []byte {
	var b strings.Builder
	b.WriteString("version: 1\nrecord: Synthetic\npackage: synthetic\ntable: synthetic\ncollection: synthetic\nkey: id\nencryption: fields\ngo_only: true\nfields:\n")
	b.WriteString("  id: {type: string, required: true, description: The key.}\n")
	for i := 1; i < n; i++ {
		name := fmt.Sprintf("field_%03d", i)
		switch i % 10 {
		case 0:
			fmt.Fprintf(&b, "  %s: {type: string, sensitive: true, description: A secret.}\n", name)
		case 1:
			fmt.Fprintf(&b, "  %s: {type: string, indexed: true}\n", name)
		case 2:
			fmt.Fprintf(&b, "  %s: {type: int, default: 7}\n", name)
		case 3:
			fmt.Fprintf(&b, "  %s: {type: url, required: true}\n", name)
		case 4:
			fmt.Fprintf(&b, "  %s: {type: enum, values: [alpha, beta, gamma], default: beta}\n", name)
		case 5:
			fmt.Fprintf(&b, "  %s: {type: list<url>}\n", name)
		case 6:
			fmt.Fprintf(&b, "  %s: {type: unixtime}\n", name)
		case 7:
			fmt.Fprintf(&b, "  %s: {type: json}\n", name)
		case 8:
			fmt.Fprintf(&b, "  %s: {type: float}\n", name)
		case 9:
			fmt.Fprintf(&b, "  %s:\n    type: object\n    fields:\n      name: {type: string, required: true}\n      at: {type: timestamp}\n      tags: {type: list<string>}\n", name)
		}
	}
	return []byte(b.String())
}

// TestSyntheticSchemas keeps the benchmark's schemas valid and as large as named.
func TestSyntheticSchemas(t *testing.T) {
	for _, n := range []int{10, 100, 500} {
		s, err := schema.Load("synthetic.yaml", syntheticSchema(n))
		if err != nil {
			t.Fatalf("%d fields: %v", n, err)
		}
		if len(s.Fields) != n {
			t.Errorf("the schema of %d fields has %d", n, len(s.Fields))
		}
		dir := t.TempDir()
		opts := Options{ModulePath: "example.com/bench", ModuleDir: dir}
		files := generateOnce(t, syntheticSchema(n), opts)
		if drift, err := checkWithoutSQLC(syntheticSchema(n), opts); err != nil || drift != len(files) {
			t.Errorf("check of an empty module: %d of %d files drifted, %v", drift, len(files), err)
		}
		for p, content := range files {
			if err := writeFile(filepath.Join(dir, filepath.FromSlash(p)), content); err != nil {
				t.Fatal(err)
			}
		}
		if drift, err := checkWithoutSQLC(syntheticSchema(n), opts); err != nil || drift != 0 {
			t.Errorf("check of the module just written: %d files drifted, %v", drift, err)
		}
	}
}

// livePeak runs call with GOGC=5 and returns the highest heap in use during
// it, sampled every 100µs, less the heap in use before it.
func livePeak(call func() error) (uint64, error) {
	defer debug.SetGCPercent(debug.SetGCPercent(5))
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	before := read()
	var (
		sampled uint64
		wg      sync.WaitGroup
		done    = make(chan struct{})
	)
	wg.Go(func() {
		tick := time.NewTicker(100 * time.Microsecond)
		defer tick.Stop()
		for {
			sampled = max(sampled, read())
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	err := call()
	after := read()
	close(done)
	wg.Wait()
	peak := max(sampled, after)
	if peak < before {
		return 0, err
	}
	return peak - before, err
}
