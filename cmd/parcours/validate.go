package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/parcours/parcours/internal/journey"
)

func init() {
	register(command{name: "validate", summary: "check journeys/*/journey.yaml and their templates; print every problem with file:line:column", run: runValidate})
}

func runValidate(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	root := fs.String("root", ".", "repository root")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	js, err := journey.LoadAll(filepath.Join(*root, "journeys"))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	for _, j := range js {
		if err := journey.CheckTemplates(j); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		fmt.Fprintf(stdout, "ok  %s\n", j.Name)
	}
	return 0
}
