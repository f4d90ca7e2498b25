package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"

	"github.com/parcours/parcours/internal/simulate"
)

func init() {
	register(command{
		name:    "simulate",
		summary: "play a scenario (a profile and timed events) through a journey in virtual time and print its timeline",
		run:     runSimulate,
	})
}

const simulateUsage = `usage: parcours simulate --journey <name> [--scenario <file>] [--until <duration>] [--json] [--dir DIR]

Runs the compiled journey on the in-process dev stack (webhooks, DynamoDB,
router, Step Functions on the ASL engine, the send gate, SES outbox) in
virtual time and prints what happened to the scenario's customer: each
event, wait and email (sent, skipped or deferred, and why), and how the
journey ended. Without --scenario, every journeys/<name>/scenarios/*.yaml
runs. --until stops the clock at t=<duration> (default: when the journey's
executions have ended, at most 400d). A scenario's expect block prints
PASS/FAIL lines. docs/journeys.md ("Simulate") describes scenarios.

Exit status: 0 ran (every expectation passed), 1 an expectation failed or
the run failed, 2 usage, unknown journey or invalid scenario.
`

func runSimulate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	name := fs.String("journey", "", "")
	file := fs.String("scenario", "", "")
	until := fs.String("until", "", "")
	asJSON := fs.Bool("json", false, "")
	dir := fs.String("dir", "", "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, simulateUsage)
			return 0
		}
		fmt.Fprintf(stderr, "parcours simulate: %v\n%s", err, simulateUsage)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "parcours simulate: unexpected argument %q\n%s", fs.Arg(0), simulateUsage)
		return 2
	}
	if *name == "" {
		fmt.Fprintf(stderr, "parcours simulate: --journey is required\n%s", simulateUsage)
		return 2
	}
	if *dir == "" {
		*dir = repoRoot()
	}
	opts := simulate.Options{Dir: *dir, Journey: *name}
	if *until != "" {
		d, err := simulate.ParseOffset(*until)
		if err != nil || d == 0 {
			fmt.Fprintf(stderr, "parcours simulate: --until %q: want a duration such as 90m, 6h, 3d or 2w, at most 400d\n", *until)
			return 2
		}
		opts.Until = d
	}
	known, err := simulate.Journeys(*dir)
	if err != nil {
		fmt.Fprintf(stderr, "parcours simulate: %v\n", err)
		return 2
	}
	if !slices.Contains(known, *name) {
		fmt.Fprintf(stderr, "parcours simulate: %v\n", &simulate.UnknownJourneyError{Name: *name, Known: known})
		return 2
	}

	files := []string{*file}
	if *file == "" {
		files, _ = filepath.Glob(filepath.Join(*dir, "journeys", *name, "scenarios", "*.yaml"))
		if len(files) == 0 {
			fmt.Fprintf(stderr, "parcours simulate: journey %s has no scenarios in journeys/%s/scenarios/ (pass --scenario <file>)\n", *name, *name)
			return 2
		}
	}
	var scenarios []*simulate.Scenario
	for _, f := range files {
		sc, err := simulate.Load(f)
		if err != nil {
			fmt.Fprintf(stderr, "parcours simulate: %v\n", err)
			return 2
		}
		scenarios = append(scenarios, sc)
	}

	code := 0
	var results []*simulate.Result
	for i, sc := range scenarios {
		res, err := simulate.Run(ctx, opts, sc)
		var se *simulate.Error
		if errors.As(err, &se) {
			fmt.Fprintf(stderr, "parcours simulate: %v\n", err)
			return 2
		}
		if err != nil {
			fmt.Fprintf(stderr, "parcours simulate: %s: %v\n", sc.File, err)
			return 1
		}
		if !res.Passed() {
			code = 1
		}
		results = append(results, res)
		if *asJSON {
			continue
		}
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		if err := res.WriteText(stdout); err != nil {
			fmt.Fprintf(stderr, "parcours simulate: %v\n", err)
			return 1
		}
	}
	if *asJSON {
		var v any = results
		if *file != "" {
			v = results[0]
		}
		if err := simulate.WriteJSON(stdout, v); err != nil {
			fmt.Fprintf(stderr, "parcours simulate: %v\n", err)
			return 1
		}
	}
	return code
}
