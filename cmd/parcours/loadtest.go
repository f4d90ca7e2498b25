package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/parcours/parcours/internal/loadtest"
)

func init() {
	register(command{name: "loadtest", summary: "drive an in-process dev stack with signed webhooks (duplicates, shuffled, optional faults) and check nothing was lost", run: runLoadtest})
}

func runLoadtest(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg loadtest.Config
	fs.IntVar(&cfg.Webhooks, "webhooks", 50_000, "deliveries to send, duplicates included")
	fs.IntVar(&cfg.Profiles, "profiles", 5_000, "distinct customers")
	fs.IntVar(&cfg.Concurrency, "concurrency", 64, "deliveries in flight")
	fs.Float64Var(&cfg.Duplicates, "duplicates", 0.10, "share of deliveries that redeliver an earlier one")
	fs.Float64Var(&cfg.Suppressed, "suppressed", 0.02, "share of profiles suppressed (bounced) before the load")
	fs.Int64Var(&cfg.Seed, "seed", 1, "seed of the workload and of the faults")
	fs.Float64Var(&cfg.Faults, "faults", 0, "rate of injected errors at every DynamoDB, StartExecution and SendEmail call (0 to 1)")
	fs.IntVar(&cfg.MaxAttempts, "max-attempts", 30, "attempts per delivery before the shop gives up (a loss)")
	maxTime := fs.Duration("max-time", 30*time.Minute, "stop (and fail) when sending takes longer than this")
	logFile := fs.String("log", "", "write the dev stack's JSON logs to this file")
	dir := fs.String("dir", "", "repository root; default: the nearest folder up from here with a template.yaml")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: parcours loadtest [--webhooks N] [--profiles N] [--concurrency N] [--faults RATE] [--seed N] [--max-time D]\n\nExits 1 when a delivery, event, profile, journey or email check fails. docs/reliability.md explains the checks.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if cfg.Faults < 0 || cfg.Faults >= 1 || cfg.Duplicates < 0 || cfg.Duplicates >= 1 || cfg.Webhooks < 1 || cfg.Profiles < 1 || cfg.Concurrency < 1 {
		fmt.Fprintln(stderr, "parcours loadtest: want --webhooks, --profiles, --concurrency ≥ 1 and 0 ≤ --faults, --duplicates < 1")
		return 2
	}
	cfg.Dir = *dir
	if cfg.Dir == "" {
		cfg.Dir = repoRoot()
	}
	if *logFile != "" {
		f, err := os.Create(*logFile)
		if err != nil {
			fmt.Fprintf(stderr, "parcours loadtest: %v\n", err)
			return 1
		}
		defer f.Close()
		cfg.Log = f
	}
	cfg.Progress = stdout
	ctx, cancel := context.WithTimeout(ctx, *maxTime)
	defer cancel()
	fmt.Fprintf(stdout, "parcours loadtest: %d webhooks over %d profiles, concurrency %d, %.0f%% duplicates, faults %.2f, seed %d\n",
		cfg.Webhooks, cfg.Profiles, cfg.Concurrency, cfg.Duplicates*100, cfg.Faults, cfg.Seed)
	r, err := loadtest.Run(ctx, cfg)
	if r != nil {
		report(stdout, r)
	}
	if err != nil {
		fmt.Fprintf(stderr, "parcours loadtest: %v\n", err)
		return 1
	}
	if !r.OK() {
		fmt.Fprintf(stderr, "parcours loadtest: %d checks failed:\n", len(r.Problems))
		for i, p := range r.Problems {
			if i == 50 {
				fmt.Fprintf(stderr, "  … and %d more\n", len(r.Problems)-50)
				break
			}
			fmt.Fprintln(stderr, "  "+p)
		}
		return 1
	}
	fmt.Fprintln(stdout, "parcours loadtest: OK — nothing lost, nothing doubled")
	return 0
}

func report(w io.Writer, r *loadtest.Result) {
	fmt.Fprintf(w, "sent      %d webhooks (%d unique, %d duplicates) in %v: %.1f webhooks/s\n", r.Webhooks, r.Unique, r.Duplicates, r.Load.Round(time.Millisecond), r.Throughput())
	fmt.Fprintf(w, "requests  %d (%d deliveries retried), latency p50 %v, p99 %v, max %v\n", r.Attempts, r.Retried, r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond), r.Max.Round(time.Microsecond))
	fmt.Fprintf(w, "answers   %v, statuses %v (%d unique events over the tag limit, answered 400)\n", r.Answers, r.Status, r.Rejected)
	fmt.Fprintf(w, "drain     %v (stream to the router, journeys to their first wait, state machine retries)\n", r.Drain.Round(time.Millisecond))
	fmt.Fprintf(w, "stored    %d events, %d profiles, %d executions (expected %d), %d emails (welcome: %d must, %d may be sent)\n", r.Events, r.Profiles, r.Executions, r.ExpectedExecutions, r.Emails, r.WelcomeMust, r.WelcomeMay)
	if r.Unrecorded > 0 {
		fmt.Fprintf(w, "          %d of the emails went out but their message item stayed \"sending\" (recording SES's answer failed)\n", r.Unrecorded)
	}
	if len(r.Faults) > 0 {
		keys := make([]string, 0, len(r.Faults))
		total := 0
		for k, v := range r.Faults {
			keys = append(keys, k)
			total += v
		}
		sort.Strings(keys)
		fmt.Fprintf(w, "faults    %d injected:\n", total)
		for _, k := range keys {
			fmt.Fprintf(w, "          %-60s %6d of %d\n", k, r.Faults[k], requestsFor(r.Requests, k))
		}
	}
}

// requestsFor finds the request count of a "service operation kind" key.
func requestsFor(req map[string]int, key string) int {
	for k, v := range req {
		if len(key) > len(k) && key[:len(k)] == k && key[len(k)] == ' ' {
			return v
		}
	}
	return 0
}
