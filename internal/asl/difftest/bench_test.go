package difftest

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parcours/parcours/internal/asl"
	"github.com/parcours/parcours/internal/modroot"
)

// peerExecutions is how many executions bench.mjs runs per workload (after
// a third as many untimed): enough for both sides to reach their steady
// rate. The peer's rate rises with its warm-up as V8 optimises: on the
// welcome journey (4 runs each, idle machine) 1,096–1,416 exec/s after
// 100 untimed executions, 1,007–1,603 (3 of 4 over 1,500) after 300, and
// 1,383–1,576 after 1,000.
const peerExecutions = 900

// benchWorkload is one definition and case run by both engines.
type benchWorkload struct {
	name string
	path string // case file given to bench.mjs
	cf   *CaseFile
	c    Case
}

// benchWorkloads is every compiled journey (its "deferred then sent" case,
// the longest default path), or, while there are none, representative
// hand-written definitions.
func benchWorkloads(b *testing.B, root string) []benchWorkload {
	b.Helper()
	compiled, err := CompiledCaseFiles(root, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	var out []benchWorkload
	for _, p := range compiled {
		cf, err := LoadCaseFile(p)
		if err != nil {
			b.Fatal(err)
		}
		c := cf.Cases[len(cf.Cases)-1]
		out = append(out, benchWorkload{name: strings.TrimSuffix(filepath.Base(p), ".json"), path: p, cf: cf, c: c})
	}
	if len(out) > 0 {
		return out
	}
	for _, w := range []struct{ file, c string }{
		{"journey_abandoned_cart.json", "deferred then sent high value"},
		{"map_basic.json", "items with selector"},
		{"choice_boolean_ops.json", "nested and"},
	} {
		p := filepath.Join(DiffDir(root), w.file)
		cf, err := LoadCaseFile(p)
		if err != nil {
			b.Fatal(err)
		}
		found := false
		for _, c := range cf.Cases {
			if c.Name == w.c {
				out = append(out, benchWorkload{name: strings.TrimSuffix(w.file, ".json"), path: p, cf: cf, c: c})
				found = true
			}
		}
		if !found {
			b.Fatalf("%s has no case %q", w.file, w.c)
		}
	}
	return out
}

var pairs sync.Map // workload name → pairRates

// peerRuns is how many times bench.mjs runs per workload. One run of 900
// executions lasts about a second, so a load spike on a shared
// machine can halve it: the median of five keeps two disturbed runs from
// deciding the ratio.
const peerRuns = 5

// ourPairTime is how long parcours runs right after each bench.mjs run.
const ourPairTime = 300 * time.Millisecond

// pairRates is a workload's rates measured in pairs: each bench.mjs run is
// followed at once by parcours running the same case, so both sides of a
// pair see the machine in the same state (on a shared machine the same
// binary's rate swings by a third from one second to the next). peer and
// ours are the medians of the peerRuns rates of each side, ratio the
// median of the pairs' ratios.
type pairRates struct{ peer, ours, ratio float64 }

// pairedRates measures (once per workload: the benchmark's b.N rounds do
// not restart node) peerRuns pairs: bench.mjs (peerExecutions after a
// third as many untimed), then parcours (untimed executions for as long as
// the peer's took, then as many as fit in ourPairTime).
func pairedRates(b *testing.B, root string, w benchWorkload, p *Prepared) pairRates {
	b.Helper()
	if r, ok := pairs.Load(w.name); ok {
		return r.(pairRates)
	}
	node, err := Node(root)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var peer, ours, ratio []float64
	for range peerRuns {
		cctx, cancel := context.WithTimeout(ctx, time.Minute)
		cmd := exec.CommandContext(cctx, node, filepath.Join(DiffDir(root), "bench.mjs"), w.path, w.c.Name, strconv.Itoa(peerExecutions))
		out, err := cmd.Output()
		cancel()
		if err != nil {
			b.Fatalf("bench.mjs %s: %v", w.name, err)
		}
		var res struct {
			PerSecond     float64 `json:"per_second"`
			WarmupSeconds float64 `json:"warmup_seconds"`
		}
		if err := json.Unmarshal(out, &res); err != nil || res.PerSecond <= 0 {
			b.Fatalf("bench.mjs %s printed %q: %v", w.name, out, err)
		}
		// Warm up as long as the peer did (at least peerExecutions/3
		// executions): parcours' first executions after node ran are
		// slower and vary more than its later ones, and its untimed
		// executions last a fiftieth of the peer's. Both sides are then
		// at their steady rates: warming up parcours alone for longer
		// while the peer warmed up for 100 executions measured the peer
		// below its own (15–20 % on welcome) and made the ratio that
		// much larger.
		warm := time.Duration(res.WarmupSeconds * float64(time.Second))
		for n, start := 0, time.Now(); n < peerExecutions/3 || time.Since(start) < warm; n++ {
			executeEnded(b, ctx, p)
		}
		n, start := 0, time.Now()
		for time.Since(start) < ourPairTime {
			for range 50 {
				executeEnded(b, ctx, p)
			}
			n += 50
		}
		r := float64(n) / time.Since(start).Seconds()
		peer, ours, ratio = append(peer, res.PerSecond), append(ours, r), append(ratio, r/res.PerSecond)
	}
	pr := pairRates{peer: median(peer), ours: median(ours), ratio: median(ratio)}
	pairs.Store(w.name, pr)
	return pr
}

func median(xs []float64) float64 {
	slices.Sort(xs)
	return xs[len(xs)/2]
}

// BenchmarkEngineVsPeer runs each workload in parcours' engine (virtual time,
// definition parsed and case decoded once, a new engine per execution; the
// timed part is Start + RunUntilIdle, as the peer's is sm.run + its result)
// and, in the same run, aws-local-stepfunctions' library API on the same
// definition, input, task script and wait/retry overrides (bench.mjs).
// exec/s (parcours), peer-exec/s and x-faster (the goal is ≥ 50)
// come from pairedRates: each peer run followed at once by parcours; ns/op
// and allocs/op from the benchmark's own b.N loop (after b.N/3 untimed
// executions). Both sides decode every States.StringToJson text (the
// profile on every re-read) and keep an event history (parcours' has Task
// events the peer's log lacks).
func BenchmarkEngineVsPeer(b *testing.B) {
	root, err := modroot.Find()
	if err != nil {
		b.Fatal(err)
	}
	if _, err := Node(root); err != nil {
		b.Fatal(err)
	}
	for _, w := range benchWorkloads(b, root) {
		p := prepareWorkload(b, w)
		b.Run(w.name, func(b *testing.B) {
			pr := pairedRates(b, root, w, p)
			ctx := context.Background()
			for range (b.N + 2) / 3 {
				executeEnded(b, ctx, p)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				executeEnded(b, ctx, p)
			}
			b.ReportMetric(pr.ours, "exec/s")
			b.ReportMetric(pr.peer, "peer-exec/s")
			b.ReportMetric(pr.ratio, "x-faster")
		})
	}
}

// BenchmarkEngineCompiled is BenchmarkEngineVsPeer's parcours side alone
// (no node process), for profiling the engine:
//
//	go test -run '^$' -bench EngineCompiled -benchmem -cpuprofile cpu.out ./internal/asl/difftest
func BenchmarkEngineCompiled(b *testing.B) {
	root, err := modroot.Find()
	if err != nil {
		b.Fatal(err)
	}
	for _, w := range benchWorkloads(b, root) {
		p := prepareWorkload(b, w)
		b.Run(w.name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				executeEnded(b, ctx, p)
			}
		})
	}
}

// String describes a workload in failure messages.
func (w benchWorkload) String() string { return fmt.Sprintf("%s/%s", w.name, w.c.Name) }

// prepareWorkload parses, validates and prepares a workload's definition
// and case, once, outside the timed part.
func prepareWorkload(b *testing.B, w benchWorkload) *Prepared {
	b.Helper()
	sm, err := asl.Parse(w.cf.Definition)
	if err != nil {
		b.Fatal(err)
	}
	if err := asl.Validate(sm); err != nil {
		b.Fatal(err)
	}
	p, err := Prepare(sm, w.c)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// executeEnded runs one execution and fails unless it ended.
func executeEnded(b *testing.B, ctx context.Context, p *Prepared) {
	x, err := p.Execute(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if x.Status != asl.StatusSucceeded && x.Status != asl.StatusFailed {
		b.Fatalf("execution ended %s", x.Status)
	}
}
