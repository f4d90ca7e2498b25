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
	register(command{name: "graph", summary: "draw a journey's state machine: graph <journey> [--format mermaid|dot]", run: runGraph})
}

func runGraph(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("graph", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", journey.FormatMermaid, "mermaid or dot")
	root := fs.String("root", ".", "repository root")
	// Accept the journey name before or after the flags.
	var name string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		name, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if name == "" && fs.NArg() == 1 {
		name = fs.Arg(0)
	} else if name == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: parcours graph <journey> [--format mermaid|dot]")
		return 2
	}
	j, err := journey.Load(filepath.Join(*root, "journeys", name))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	sm, err := journey.Compile(j)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	g, err := journey.Graph(sm, *format)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	fmt.Fprint(stdout, g)
	return 0
}
