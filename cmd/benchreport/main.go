// Command benchreport runs parcours' benchmarks in one go, prints a table
// and writes docs/benchmarks.md (what make bench runs): ingest per source
// against its floor, the send gate, the ASL engine against
// aws-local-stepfunctions, the Lambda artifacts (linux/arm64 size, init time
// to the first Runtime API next request), the dev stack end to end on
// loopback, and the cost of each journey. The hand-written sections of the
// existing file (Kept: "Ingest: before and after", "Lambda artifacts: size
// work" and "ASL engine") are kept as they are (their prose belongs to that
// work); this run's numbers are printed in their own sections.
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/parcours/parcours/internal/cost"
	"github.com/parcours/parcours/internal/lambdabench"
)

func main() {
	root := flag.String("root", ".", "repository root")
	out := flag.String("out", "docs/benchmarks.md", "markdown file to write (empty: print only)")
	benchtime := flag.String("benchtime", "300ms", "go test -benchtime for the micro-benchmarks")
	engineTime := flag.String("engine-benchtime", "1s", "go test -benchtime for BenchmarkEngineVsPeer (parcours' side; the peer always runs bench.mjs's 900 executions)")
	initRuns := flag.Int("init-runs", 20, "cold starts per function for the init time")
	e2eCount := flag.Int("e2e-webhooks", 400, "webhooks per concurrency level through the dev stack")
	flag.Parse()
	ctx := context.Background()
	r, err := run(ctx, *root, *benchtime, *engineTime, *initRuns, *e2eCount)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
	path := *out
	if path != "" && !filepath.IsAbs(path) {
		path = filepath.Join(*root, path)
	}
	doc := r.markdown(keptSections(filepath.Join(*root, "docs", "benchmarks.md")))
	fmt.Print(r.table())
	if path != "" {
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "benchreport:", err)
			os.Exit(1)
		}
		fmt.Println("wrote", *out)
	}
}

// result is one go test benchmark line.
type result struct {
	Name    string
	N       int
	Metrics map[string]float64 // unit → value (ns/op, B/op, allocs/op, custom)
}

type report struct {
	Date     string
	Machine  []string
	Commands []string
	Ingest   []result // internal/ingest
	Decode   []result // internal/touchpoint
	Engine   []result
	Send     []result
	Sizes    []size
	Inits    []initTime
	E2E      []e2e
	E2EErr   string
	Cost     string
	CostGoal string
}

type size struct {
	Name  string
	Bytes int64
}

type initTime struct {
	Name     string
	Median   time.Duration
	P90      time.Duration
	Runs     int
	Building string
}

var lineRE = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+(.*)$`)

// goBench runs go test -bench count times and parses its lines; with more
// than one run, each benchmark's metrics are the medians of its runs. The
// runs are count processes of -count 1, not one process of -count count:
// -count repeats each benchmark back to back, so a handler's runs and its
// floor's would lie seconds apart, and a change in the machine's load
// between them would move their ratio; round by round, each round measures
// every benchmark once, close in time.
func (r *report) goBench(ctx context.Context, root, pattern, benchtime string, count int, pkg string) ([]result, error) {
	args := []string{"test", "-run", "^$", "-bench", pattern, "-benchmem", "-benchtime", benchtime, "-count", "1", pkg}
	r.Commands = append(r.Commands, "go "+strings.Join(quote(args), " ")+fmt.Sprintf("  (%d rounds)", count))
	var stdout bytes.Buffer
	for round := 1; round <= count; round++ {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = root
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		fmt.Fprintf(os.Stderr, "benchreport: round %d/%d: %s\n", round, count, strings.Join(cmd.Args, " "))
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("go test %s: %w\n%s%s", pkg, err, stdout.String(), stderr.String())
		}
	}
	return medians(parse(&stdout)), nil
}

// medians folds the runs of each benchmark (same name, in first-seen
// order) into one result whose every metric is the median of its runs (the
// lower middle value for an even count), so one run disturbed by the
// machine's other work does not decide a ratio.
func medians(rs []result) []result {
	var order []string
	runs := map[string][]result{}
	for _, r := range rs {
		if _, ok := runs[r.Name]; !ok {
			order = append(order, r.Name)
		}
		runs[r.Name] = append(runs[r.Name], r)
	}
	out := make([]result, 0, len(order))
	for _, name := range order {
		rr := runs[name]
		m := result{Name: name, N: rr[0].N, Metrics: map[string]float64{}}
		for unit := range rr[0].Metrics {
			var vs []float64
			for _, r := range rr {
				if v, ok := r.Metrics[unit]; ok {
					vs = append(vs, v)
				}
			}
			sort.Float64s(vs)
			m.Metrics[unit] = vs[(len(vs)-1)/2]
		}
		out = append(out, m)
	}
	return out
}

func parse(rd io.Reader) []result {
	var out []result
	sc := bufio.NewScanner(rd)
	for sc.Scan() {
		m := lineRE.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[2])
		res := result{Name: m[1], N: n, Metrics: map[string]float64{}}
		f := strings.Fields(m[3])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err == nil {
				res.Metrics[f[i+1]] = v
			}
		}
		out = append(out, res)
	}
	return out
}

func quote(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, "^$*| ") {
			a = "'" + a + "'"
		}
		out[i] = a
	}
	return out
}

func run(ctx context.Context, root, benchtime, engineTime string, initRuns, e2eCount int) (*report, error) {
	r := &report{Date: time.Now().UTC().Format("2006-01-02 15:04 UTC"), Machine: machine(ctx)}
	var err error
	if r.Ingest, err = r.goBench(ctx, root, "^(BenchmarkIngest|BenchmarkFloor|BenchmarkIngestEmulator)$", benchtime, 5, "./internal/ingest"); err != nil {
		return nil, err
	}
	if r.Decode, err = r.goBench(ctx, root, "^(BenchmarkDecode|BenchmarkFloor)$", benchtime, 5, "./internal/touchpoint"); err != nil {
		return nil, err
	}
	if r.Send, err = r.goBench(ctx, root, "^BenchmarkSend$", benchtime, 3, "./internal/send"); err != nil {
		return nil, err
	}
	if r.Engine, err = r.goBench(ctx, root, "^BenchmarkEngineVsPeer$", engineTime, 3, "./internal/asl/difftest"); err != nil {
		return nil, err
	}
	if err := r.artifacts(ctx, root, initRuns); err != nil {
		return nil, err
	}
	r.endToEnd(ctx, root, e2eCount)
	if err := r.costs(ctx, root); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *report) artifacts(ctx context.Context, root string, runs int) error {
	fns, err := lambdabench.Functions(root)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "benchreport")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	r.Commands = append(r.Commands, "CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build "+strings.Join(quote(lambdabench.BuildFlags), " ")+" -o bootstrap ./functions/<name>  (size)",
		fmt.Sprintf("the same flags for %s/%s, then %d starts against a local Runtime API (init: process start → first GET /2018-06-01/runtime/invocation/next)", runtime.GOOS, runtime.GOARCH, runs))
	for _, f := range fns {
		fmt.Fprintf(os.Stderr, "benchreport: build %s\n", f.Name)
		arm := filepath.Join(dir, "arm64", f.Name, "bootstrap")
		if err := lambdabench.Build(ctx, root, f, "linux", "arm64", arm); err != nil {
			return err
		}
		st, err := os.Stat(arm)
		if err != nil {
			return err
		}
		r.Sizes = append(r.Sizes, size{f.Name, st.Size()})
		host := filepath.Join(dir, "host", f.Name)
		if err := lambdabench.Build(ctx, root, f, runtime.GOOS, runtime.GOARCH, host); err != nil {
			return err
		}
		env, err := lambdabench.Env(root, f, "http://127.0.0.1:1")
		if err != nil {
			return err
		}
		ds, err := lambdabench.InitTimes(ctx, host, env, runs)
		if err != nil {
			return fmt.Errorf("init %s: %w", f.Name, err)
		}
		r.Inits = append(r.Inits, initTime{Name: f.Name, Median: lambdabench.Percentile(ds, 50), P90: lambdabench.Percentile(ds, 90), Runs: runs})
	}
	return nil
}

func (r *report) costs(ctx context.Context, root string) error {
	a := cost.DefaultAssumptions
	if err := a.MemoryFromTemplate(filepath.Join(root, "template.yaml")); err != nil {
		return err
	}
	c, err := cost.Build(ctx, root, cost.ListPrices, a, cost.DefaultVolume)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := c.Write(&b); err != nil {
		return err
	}
	r.Cost = b.String()
	r.Commands = append(r.Commands, "go run ./cmd/parcours cost --profiles 10000 --webhooks 100000")
	for _, j := range c.Journeys {
		if j.Name == cost.GoalJourney {
			verdict := "met"
			if j.Worst.Transitions > cost.GoalTransitions {
				verdict = "not met"
			}
			r.CostGoal = fmt.Sprintf("%s: %d transitions for %d emails on its longest path (goal ≤ %d: %s); monthly estimate at 10,000 profiles and 100,000 webhooks: $%.2f",
				j.Name, j.Worst.Transitions, j.Worst.Emails, cost.GoalTransitions, verdict, c.Monthly().Total().Total())
		}
	}
	return nil
}

func machine(ctx context.Context) []string {
	sh := func(name string, args ...string) string {
		b, err := exec.CommandContext(ctx, name, args...).Output()
		if err != nil {
			return "unknown"
		}
		return strings.TrimSpace(string(b))
	}
	cpu := "unknown"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	load := "unknown"
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	return []string{
		"uname -srm: " + sh("uname", "-srm"),
		"nproc: " + sh("nproc"),
		"CPU: " + cpu,
		"go version: " + sh("go", "version"),
		"load average at the end (1/5/15 min): " + load,
	}
}

// find returns the result named name ("BenchmarkIngest/shopify").
func find(rs []result, name string) (result, bool) {
	for _, r := range rs {
		if r.Name == name {
			return r, true
		}
	}
	return result{}, false
}

func dur(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	}
	return fmt.Sprintf("%.0f ns", ns)
}

// floorRows are handler vs floor rows: name, handler, floor.
func floorRows(rs []result, handler, floor string) [][]string {
	var rows [][]string
	for _, h := range rs {
		src, ok := strings.CutPrefix(h.Name, handler+"/")
		if !ok {
			continue
		}
		f, ok := find(rs, floor+"/"+src)
		if !ok {
			continue
		}
		rows = append(rows, []string{src, dur(h.Metrics["ns/op"]), fmt.Sprintf("%.0f", h.Metrics["allocs/op"]), fmt.Sprintf("%.0f", h.Metrics["B/op"]),
			dur(f.Metrics["ns/op"]), fmt.Sprintf("%.0f", f.Metrics["allocs/op"]), fmt.Sprintf("%.2f×", h.Metrics["ns/op"]/f.Metrics["ns/op"])})
	}
	return rows
}

func (r *report) table() string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "benchmark\tvalue")
	for _, row := range floorRows(r.Ingest, "BenchmarkIngest", "BenchmarkFloor") {
		fmt.Fprintf(tw, "ingest %s\t%s vs floor %s = %s\n", row[0], row[1], row[4], row[6])
	}
	for _, e := range r.Engine {
		fmt.Fprintf(tw, "engine %s\t%.0f exec/s, peer %.0f, %.1f× faster\n", strings.TrimPrefix(e.Name, "BenchmarkEngineVsPeer/"), e.Metrics["exec/s"], e.Metrics["peer-exec/s"], e.Metrics["x-faster"])
	}
	for _, s := range r.Send {
		fmt.Fprintf(tw, "send\t%s, %.0f allocs\n", dur(s.Metrics["ns/op"]), s.Metrics["allocs/op"])
	}
	for i, s := range r.Sizes {
		fmt.Fprintf(tw, "lambda %s\t%.1f MB arm64, init median %s p90 %s\n", s.Name, float64(s.Bytes)/1e6, r.Inits[i].Median.Round(10*time.Microsecond), r.Inits[i].P90.Round(10*time.Microsecond))
	}
	for _, e := range r.E2E {
		fmt.Fprintf(tw, "dev stack c=%d\t%.0f webhooks/s, p50 %s, p99 %s\n", e.Concurrency, e.PerSecond, e.P50.Round(10*time.Microsecond), e.P99.Round(10*time.Microsecond))
	}
	if r.E2EErr != "" {
		fmt.Fprintf(tw, "dev stack\t%s\n", r.E2EErr)
	}
	fmt.Fprintf(tw, "cost\t%s\n", r.CostGoal)
	tw.Flush()
	return b.String()
}

// Kept are the hand-written sections of docs/benchmarks.md that
// benchreport copies as they are.
var Kept = []string{"## Ingest: before and after", "## Lambda artifacts: size work", "## ASL engine"}

// keptSections returns the Kept sections of the current file (each up to
// the next "## " heading), in file order, or "" when there are none.
func keptSections(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var out []string
	parts := strings.Split("\n"+string(b), "\n## ")
	for _, p := range parts[1:] {
		sec := "## " + p
		for _, k := range Kept {
			if strings.HasPrefix(sec, k+"\n") {
				out = append(out, strings.TrimRight(sec, "\n")+"\n")
			}
		}
	}
	return strings.Join(out, "\n")
}
