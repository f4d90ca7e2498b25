package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/parcours/parcours/internal/asl"
)

func init() {
	register(command{
		name:    "asl",
		summary: "run or validate any Amazon States Language definition locally (asl run|validate)",
		run:     runASL,
	})
}

const aslUsage = `usage:
  parcours asl run <definition.json> [--input '<json>'] [--task-override 'State=<command>']... [--wait-override 'State=<ms>']... [--json]
  parcours asl validate <definition.json>

run executes the definition in virtual time. A task override command runs
through 'sh -c' with the task's input JSON as its first argument ($1); its
stdout is the task result (JSON); a non-zero exit fails the task with
States.TaskFailed and stderr as the cause. Tasks without an override fail
with States.TaskFailed. Exit status: 0 succeeded, 1 failed (or timed out),
2 invalid definition or usage.
`

func runASL(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, aslUsage)
		return 2
	}
	switch args[0] {
	case "run":
		return aslRun(ctx, args[1:], stdout, stderr)
	case "validate":
		return aslValidate(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, aslUsage)
		return 0
	}
	fmt.Fprintf(stderr, "parcours asl: unknown subcommand %q\n%s", args[0], aslUsage)
	return 2
}

// multiFlag collects repeated 'Name=value' flags.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// splitArgs separates the positional definition path from flags, so flags
// may come before or after it.
func splitArgs(args []string) (pos, flags []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") {
			flags = append(flags, a)
			if !strings.Contains(a, "=") && a != "--json" && a != "-json" && i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		pos = append(pos, a)
	}
	return pos, flags
}

func loadDefinition(path string, stderr io.Writer) (*asl.StateMachine, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(stderr, "parcours asl: read definition: %v\n", err)
		return nil, false
	}
	sm, err := asl.Parse(data)
	if err != nil {
		fmt.Fprintf(stderr, "parcours asl: %s: %v\n", path, err)
		return nil, false
	}
	if err := asl.Validate(sm); err != nil {
		fmt.Fprintf(stderr, "parcours asl: %s: %v\n", path, err)
		return nil, false
	}
	return sm, true
}

func aslValidate(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprint(stderr, aslUsage)
		return 2
	}
	if _, ok := loadDefinition(args[0], stderr); !ok {
		return 2
	}
	fmt.Fprintf(stdout, "%s: valid\n", args[0])
	return 0
}

func aslRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	pos, flagArgs := splitArgs(args)
	fs := flag.NewFlagSet("asl run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	input := fs.String("input", "{}", "execution input JSON")
	asJSON := fs.Bool("json", false, "print {status,output,error,cause,states,transitions}")
	var taskOverrides, waitOverrides multiFlag
	fs.Var(&taskOverrides, "task-override", "'State=<command>' (repeatable)")
	fs.Var(&waitOverrides, "wait-override", "'State=<milliseconds>' (repeatable)")
	if err := fs.Parse(flagArgs); err != nil {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprint(stderr, aslUsage)
		return 2
	}
	in, err := asl.ParseJSON([]byte(*input))
	if err != nil {
		fmt.Fprintf(stderr, "parcours asl: --input is not JSON: %v\n", err)
		return 2
	}
	commands := map[string]string{}
	for _, o := range taskOverrides {
		name, cmd, ok := strings.Cut(o, "=")
		if !ok || name == "" || cmd == "" {
			fmt.Fprintf(stderr, "parcours asl: --task-override %q: want 'StateName=<command>'\n", o)
			return 2
		}
		commands[name] = cmd
	}
	waits := map[string]time.Duration{}
	for _, o := range waitOverrides {
		name, ms, ok := strings.Cut(o, "=")
		n, err := strconv.ParseInt(ms, 10, 64)
		if !ok || name == "" || err != nil || n < 0 {
			fmt.Fprintf(stderr, "parcours asl: --wait-override %q: want 'StateName=<milliseconds>'\n", o)
			return 2
		}
		waits[name] = time.Duration(n) * time.Millisecond
	}
	sm, ok := loadDefinition(pos[0], stderr)
	if !ok {
		return 2
	}
	x, err := asl.Run(ctx, sm, in, asl.EngineOptions{
		Resolver:      commandResolver(commands),
		WaitOverrides: waits,
		Start:         time.Now().UTC().Truncate(time.Millisecond),
		Seed:          time.Now().UnixNano(),
	})
	if err != nil {
		fmt.Fprintf(stderr, "parcours asl: %v\n", err)
		return 1
	}
	code := 0
	if x.Status != asl.StatusSucceeded {
		code = 1
	}
	if *asJSON {
		out := struct {
			Status      string   `json:"status"`
			Output      any      `json:"output"`
			Error       string   `json:"error,omitempty"`
			Cause       string   `json:"cause,omitempty"`
			States      []string `json:"states"`
			Transitions int      `json:"transitions"`
		}{x.Status, x.Output, x.Error, x.Cause, x.StateNames(), x.Transitions()}
		if out.States == nil {
			out.States = []string{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(stderr, "parcours asl: %v\n", err)
			return 1
		}
		return code
	}
	if code != 0 {
		fmt.Fprintf(stderr, "execution %s: %s: %s\n", strings.ToLower(x.Status), x.Error, x.Cause)
		return code
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(x.Output); err != nil {
		fmt.Fprintf(stderr, "parcours asl: %v\n", err)
		return 1
	}
	stdout.Write(b.Bytes())
	return 0
}

// commandResolver runs task overrides as shell commands.
func commandResolver(commands map[string]string) asl.Resolver {
	return asl.ResolverFunc(func(ctx context.Context, call asl.TaskCall) (any, error) {
		script, ok := commands[call.StateName]
		if !ok {
			return nil, &asl.Error{Name: asl.ErrTaskFailed, Cause: fmt.Sprintf("no --task-override for state %q (resource %s)", call.StateName, call.Resource)}
		}
		in, err := json.Marshal(call.Input)
		if err != nil {
			return nil, fmt.Errorf("encode task input: %w", err)
		}
		cmd := exec.CommandContext(ctx, "sh", "-c", script, "sh", string(in))
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				return nil, &asl.Error{Name: asl.ErrTaskFailed, Cause: strings.TrimSpace(errOut.String())}
			}
			return nil, &asl.Error{Name: asl.ErrTaskFailed, Cause: fmt.Sprintf("run override: %v", err)}
		}
		v, err := asl.ParseJSON(bytes.TrimSpace(out.Bytes()))
		if err != nil {
			return nil, &asl.Error{Name: asl.ErrTaskFailed, Cause: fmt.Sprintf("override output is not JSON: %v", err)}
		}
		return v, nil
	})
}
