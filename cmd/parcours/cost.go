package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/parcours/parcours/internal/cost"
)

func init() {
	register(command{name: "cost", summary: "dollars per 1,000 journey entries and a monthly estimate at AWS list prices (--profiles, --webhooks)", run: runCost})
}

func runCost(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cost", flag.ContinueOnError)
	fs.SetOutput(stderr)
	root := fs.String("root", ".", "repository root")
	v := cost.DefaultVolume
	a := cost.DefaultAssumptions
	fs.IntVar(&v.Profiles, "profiles", v.Profiles, "profiles in the table")
	fs.IntVar(&v.Webhooks, "webhooks", v.Webhooks, "webhook deliveries per month")
	fs.Float64Var(&v.EntriesPerProfile, "entries-per-profile", v.EntriesPerProfile, "journey entries per profile per month")
	fs.Float64Var(&v.DeferralRate, "deferral-rate", v.DeferralRate, "share of sends deferred once (0 to 1)")
	fs.Float64Var(&a.IngestMS, "ingest-ms", a.IngestMS, "billed ms per ingest invocation")
	fs.Float64Var(&a.RouterMS, "router-ms", a.RouterMS, "billed ms per router invocation")
	fs.Float64Var(&a.SendMS, "send-ms", a.SendMS, "billed ms per send invocation")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "cost: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if v.Profiles < 0 || v.Webhooks < 0 || v.EntriesPerProfile < 0 || v.DeferralRate < 0 || v.DeferralRate > 1 {
		fmt.Fprintln(stderr, "cost: --profiles, --webhooks and --entries-per-profile must be at least 0, --deferral-rate between 0 and 1")
		return 2
	}
	if err := a.MemoryFromTemplate(filepath.Join(*root, "template.yaml")); err != nil {
		fmt.Fprintf(stderr, "cost: %v\n", err)
		return 1
	}
	r, err := cost.Build(ctx, *root, cost.ListPrices, a, v)
	if err != nil {
		fmt.Fprintf(stderr, "cost: %v\n", err)
		return 1
	}
	if err := r.Write(stdout); err != nil {
		fmt.Fprintf(stderr, "cost: %v\n", err)
		return 1
	}
	return 0
}
