package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/parcours/parcours/internal/journey"
)

func init() {
	register(command{name: "compile", summary: "compile journeys/ to statemachines/, triggers.json, template.yaml and README graphs (--check: fail if stale)", run: runCompile})
}

func runCompile(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("compile", flag.ContinueOnError)
	fs.SetOutput(stderr)
	check := fs.Bool("check", false, "do not write; exit 1 if any generated file is stale")
	root := fs.String("root", ".", "repository root")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	out, err := journey.Build(*root)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if *check {
		if diff := out.Diff(*root); len(diff) > 0 {
			for _, p := range diff {
				fmt.Fprintf(stderr, "stale: %s\n", p)
			}
			fmt.Fprintln(stderr, "generated files are out of date: run make statemachines and commit the result")
			return 1
		}
		fmt.Fprintf(stdout, "%d journeys: generated files are up to date\n", len(out.Journeys))
		return 0
	}
	if err := out.Write(*root); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	for _, j := range out.Journeys {
		fmt.Fprintf(stdout, "%-20s %s\n", j.Name, journey.Measure(out.Machines[j.Name]))
	}
	return 0
}
