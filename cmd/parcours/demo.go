package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"

	"github.com/parcours/parcours/internal/demo"
)

func init() {
	register(command{name: "demo", summary: "replay a scripted story of five customers through the dev stack and print the timeline and the outbox", run: runDemo})
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return demoMain(ctx, args, stdout, stderr, os.Getenv)
}

func demoMain(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	defPort := 0
	if p := getenv("PORT"); p != "" {
		defPort, _ = strconv.Atoi(p)
	}
	port := fs.Int("port", defPort, "loopback port of the dev stack (0: a free port; PORT sets the default)")
	keep := fs.Bool("keep", false, "keep the stack running after the story, to browse the console (Ctrl-C stops it)")
	dir := fs.String("dir", "", "repository root (template.yaml, statemachines/, journeys/, events/demo/); default: the nearest folder up from here with a template.yaml")
	verbose := fs.Bool("v", false, "also print the stack's JSON log lines (to stderr)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: parcours demo [--port N] [--keep] [--dir DIR] [-v]\n\nReplays events/demo/ through the dev stack's webhook route, moving its clock day by day, prints what happened and checks the story's emails were sent. docs/dev.md is the guide.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "parcours demo: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *port < 0 || *port > 65535 {
		fmt.Fprintf(stderr, "parcours demo: port %d: want 0 to 65535\n", *port)
		return 2
	}
	if *dir == "" {
		*dir = repoRoot()
	}
	var log io.Writer
	if *verbose {
		log = stderr
	}
	res, err := demo.Run(ctx, demo.Options{Dir: *dir, Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(*port)), Log: log})
	if err != nil {
		fmt.Fprintf(stderr, "parcours demo: %v\n", err)
		return 1
	}
	defer res.Stack.Close()
	fmt.Fprintf(stdout, "parcours demo: five customers on the dev stack at %s (virtual time, UTC)\n", res.Stack.URL())
	res.Print(stdout)
	code := 0
	if len(res.Problems) > 0 {
		fmt.Fprintln(stderr, "\nparcours demo: the story did not go as scripted:")
		for _, p := range res.Problems {
			fmt.Fprintln(stderr, "  - "+p)
		}
		code = 1
	} else {
		fmt.Fprintln(stdout, "\nEvery email the story expects was sent, and no other.")
	}
	if *keep {
		fmt.Fprintf(stdout, "\nThe stack keeps running: open %s/_dev/ (Ctrl-C stops it).\n", res.Stack.URL())
		<-ctx.Done()
	}
	return code
}
