package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"

	"github.com/parcours/parcours/internal/devstack"
)

func init() {
	register(command{name: "dev", summary: "run the whole product locally on 127.0.0.1:8080 (PORT overrides): webhooks, DynamoDB, Step Functions, SES outbox, console", run: runDev})
}

// devTable is the dev stack's name for template.yaml's Table.
const devTable = devstack.DefaultStackName + "-Table"

func runDev(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	speed := fs.Float64("speed", 1, "virtual seconds per real second (0 stops the clock: only /_dev/api/clock/advance moves it)")
	outbox := fs.String("outbox-dir", "", "also write every email as <message id>.eml in this folder")
	seed := fs.Int64("seed", 0, "seed of the journeys' random choices (split steps); 0: time-based, another value repeats a run's choices")
	dir := fs.String("dir", "", "repository root (template.yaml, statemachines/, journeys/); default: the nearest folder up from here with a template.yaml")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: parcours dev [--speed N] [--outbox-dir DIR] [--seed N] [--dir DIR]\n\nEnvironment: PORT (default 8080), SHOPIFY_WEBHOOK_SECRET, WOOCOMMERCE_WEBHOOK_SECRET, STANDARD_WEBHOOK_SECRET, UNSUBSCRIBE_SECRET (dev defaults when unset). docs/dev.md is the guide.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *dir == "" {
		*dir = repoRoot()
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	s, err := devstack.Start(ctx, devstack.Config{
		Dir: *dir, Addr: net.JoinHostPort("127.0.0.1", port), Speed: *speed, OutboxDir: *outbox,
		Seed: *seed, Log: stderr, Getenv: os.Getenv,
	})
	if err != nil {
		fmt.Fprintf(stderr, "parcours dev: %v\n", err)
		return 1
	}
	s.Banner(stdout)
	<-ctx.Done()
	if err := s.Close(); err != nil {
		fmt.Fprintf(stderr, "parcours dev: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, "parcours dev: stopped")
	return 0
}

// repoRoot is the nearest folder, from the working directory up, holding a
// template.yaml ("." when there is none: the dev stack then says so).
func repoRoot() string {
	d, err := os.Getwd()
	if err != nil {
		return "."
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "template.yaml")); err == nil {
			return d
		}
		up := filepath.Dir(d)
		if up == d {
			return "."
		}
		d = up
	}
}
