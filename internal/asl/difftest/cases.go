package difftest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/parcours/parcours/internal/asl"
)

// CaseFile is one file of internal/asl/testdata/diff (see the package doc).
type CaseFile struct {
	Definition json.RawMessage `json:"definition"`
	Validation json.RawMessage `json:"validation,omitempty"`
	Context    json.RawMessage `json:"context,omitempty"`
	Cases      []Case          `json:"cases"`
}

// Case is one execution of a case file's definition.
type Case struct {
	Name       string                   `json:"name"`
	Input      json.RawMessage          `json:"input,omitempty"`
	Tasks      map[string][]ScriptEntry `json:"tasks,omitempty"`
	Waits      map[string]*float64      `json:"waits,omitempty"`
	Ignore     []string                 `json:"ignore,omitempty"`
	Elapsed    *float64                 `json:"elapsed,omitempty"`
	Divergence string                   `json:"divergence,omitempty"`
	Expect     *Result                  `json:"expect,omitempty"`
}

// ScriptEntry is one scripted answer of a Task state.
type ScriptEntry struct {
	Output json.RawMessage `json:"output,omitempty"`
	Echo   bool            `json:"echo,omitempty"`
	Error  *string         `json:"error,omitempty"`
	Cause  string          `json:"cause,omitempty"`
	// Large returns {"s": "aaa…"} with Large a's: a result near Step
	// Functions' 256 KiB limit without a case file that large.
	Large int `json:"large,omitempty"`
}

// Result is what either engine did with one case: the line run.mjs prints.
type Result struct {
	File   string          `json:"file,omitempty"`
	Case   string          `json:"case,omitempty"`
	Status string          `json:"status"`
	Output json.RawMessage `json:"output,omitempty"`
	Error  *string         `json:"error,omitempty"`
	Cause  *string         `json:"cause,omitempty"`
	States []string        `json:"states,omitempty"`
	Nested []string        `json:"nested,omitempty"`
}

// Node returns the pinned Node 22 binary, or an error telling how to get it.
func Node(root string) (string, error) {
	node := filepath.Join(root, "node_modules", ".bin", "node")
	peer := filepath.Join(root, "node_modules", "aws-local-stepfunctions", "package.json")
	for _, p := range []string{node, peer} {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s is missing: run `make npm` to install the pinned JavaScript test peers (aws-local-stepfunctions, node@22)", p)
		}
	}
	return node, nil
}

// DiffDir is the directory of the case files and of run.mjs and bench.mjs.
func DiffDir(root string) string { return filepath.Join(root, "internal", "asl", "testdata", "diff") }

// LoadCaseFile reads and decodes one case file.
func LoadCaseFile(path string) (*CaseFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cf CaseFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cf); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(cf.Cases) == 0 {
		return nil, fmt.Errorf("%s: no cases", path)
	}
	return &cf, nil
}

// RunPeer runs the case files through aws-local-stepfunctions (one node
// process) and returns the results keyed by "file/case".
func RunPeer(ctx context.Context, root string, files []string) (map[string]Result, error) {
	node, err := Node(root)
	if err != nil {
		return nil, err
	}
	args := append([]string{filepath.Join(DiffDir(root), "run.mjs")}, files...)
	cmd := exec.CommandContext(ctx, node, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("run.mjs: %w: %s", err, stderr.String())
	}
	res := map[string]Result{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var r Result
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("run.mjs output %q: %w", sc.Text(), err)
		}
		res[r.File+"/"+r.Case] = r
	}
	return res, sc.Err()
}

// scriptResolver plays a case's task script the way run.mjs does. Scripted
// outputs are decoded once (Prepare) and shared by every run: the engine
// never mutates a value.
type scriptResolver struct {
	script *preparedScript
	calls  []int // per task state (script.index), this execution's calls so far
}

// preparedScript is a case's task script with its outputs decoded: each
// task state's entries, found by the state's name through index.
type preparedScript struct {
	index   map[string]int
	entries [][]preparedEntry
}

// preparedEntry is a ScriptEntry with its output decoded.
type preparedEntry struct {
	output any
	echo   bool
	err    *asl.Error
}

func prepareScript(script map[string][]ScriptEntry) (*preparedScript, error) {
	out := &preparedScript{index: make(map[string]int, len(script))}
	for name, entries := range script {
		pe := make([]preparedEntry, len(entries))
		for i, e := range entries {
			switch {
			case e.Error != nil:
				pe[i].err = &asl.Error{Name: *e.Error, Cause: e.Cause}
			case e.Echo:
				pe[i].echo = true
			case e.Large > 0:
				v, err := asl.Normalize(map[string]any{"s": strings.Repeat("a", e.Large)})
				if err != nil {
					return nil, err
				}
				pe[i].output = v
			default:
				v, err := decode(e.Output)
				if err != nil {
					return nil, fmt.Errorf("task %s entry %d: %w", name, i, err)
				}
				pe[i].output = v
			}
		}
		out.index[name] = len(out.entries)
		out.entries = append(out.entries, pe)
	}
	return out, nil
}

func (r *scriptResolver) Invoke(_ context.Context, call asl.TaskCall) (any, error) {
	k, ok := r.script.index[call.StateName]
	if !ok || len(r.script.entries[k]) == 0 {
		return nil, &asl.Error{Name: "Harness.NoScript", Cause: "no scripted result for task " + call.StateName}
	}
	entries := r.script.entries[k]
	i := r.calls[k]
	r.calls[k] = i + 1
	e := entries[min(i, len(entries)-1)]
	switch {
	case e.err != nil:
		return nil, &asl.Error{Name: e.err.Name, Cause: e.err.Cause}
	case e.echo:
		return call.Input, nil
	default:
		return e.output, nil
	}
}

// EngineRun is one execution in parcours' engine.
type EngineRun struct {
	Result  Result
	Elapsed time.Duration // virtual time from start to stop
}

// waitOverrides mirrors run.mjs: every Wait state is overridden to 0 unless
// the case maps it (null: not overridden).
func waitOverrides(sm *asl.StateMachine, waits map[string]*float64) map[string]time.Duration {
	out := map[string]time.Duration{}
	walk(sm, func(name string, st *asl.State) {
		if st.Type != "Wait" {
			return
		}
		ms, listed := waits[name]
		switch {
		case !listed:
			out[name] = 0
		case ms != nil:
			out[name] = time.Duration(*ms * float64(time.Millisecond))
		}
	})
	return out
}

func walk(sm *asl.StateMachine, fn func(string, *asl.State)) {
	for _, name := range sm.States.Names() {
		st := sm.States.Get(name)
		fn(name, st)
		for i := range st.Branches {
			walk(&st.Branches[i], fn)
		}
		if st.ItemProcessor != nil {
			walk(st.ItemProcessor, fn)
		}
		if st.Iterator != nil {
			walk(st.Iterator, fn)
		}
	}
}

// ExecutionName is the $$.Execution.Name both engines use.
const ExecutionName = "difftest"

// RunEngine runs one case in parcours' engine, in virtual time.
func RunEngine(ctx context.Context, definition json.RawMessage, c Case) (EngineRun, error) {
	sm, err := asl.Parse(definition)
	if err != nil {
		return EngineRun{}, err
	}
	if err := asl.Validate(sm); err != nil {
		return EngineRun{Result: Result{Status: "INVALID", Error: ptr(err.Error())}}, nil
	}
	return RunParsed(ctx, sm, c)
}

// RunParsed runs one case of a parsed, valid definition in parcours' engine.
func RunParsed(ctx context.Context, sm *asl.StateMachine, c Case) (EngineRun, error) {
	p, err := Prepare(sm, c)
	if err != nil {
		return EngineRun{}, err
	}
	x, err := p.Execute(ctx)
	if err != nil {
		return EngineRun{}, err
	}
	return p.Result(x)
}

// Prepared is a case ready to run any number of times: its input, task
// script and wait overrides decoded once, as the peer's benchmark builds its
// state machine once.
type Prepared struct {
	sm     *asl.StateMachine
	input  any
	script *preparedScript
	waits  map[string]time.Duration
}

// Prepare decodes a case for a parsed, valid definition.
func Prepare(sm *asl.StateMachine, c Case) (*Prepared, error) {
	input, err := decode(c.Input)
	if err != nil {
		return nil, fmt.Errorf("input: %w", err)
	}
	if input == nil && len(c.Input) == 0 {
		input, _ = asl.Normalize(map[string]any{})
	}
	script, err := prepareScript(c.Tasks)
	if err != nil {
		return nil, err
	}
	return &Prepared{sm: sm, input: input, script: script, waits: waitOverrides(sm, c.Waits)}, nil
}

// Execute runs the case once in a new engine, in virtual time, until the
// execution ends.
func (p *Prepared) Execute(ctx context.Context) (*asl.Execution, error) {
	eng := asl.NewEngine(asl.EngineOptions{
		Resolver:      &scriptResolver{script: p.script, calls: make([]int, len(p.script.entries))},
		Seed:          1,
		WaitOverrides: p.waits,
	})
	x, err := eng.Start(ctx, p.sm, ExecutionName, p.input)
	if err != nil {
		return nil, fmt.Errorf("start: %w", err)
	}
	eng.RunUntilIdle(ctx)
	return x, nil
}

// Result is what an ended execution did, in the shape run.mjs prints.
func (p *Prepared) Result(x *asl.Execution) (EngineRun, error) {
	r := Result{Status: x.Status}
	switch x.Status {
	case asl.StatusSucceeded:
		out, err := json.Marshal(x.Output)
		if err != nil {
			return EngineRun{}, fmt.Errorf("output: %w", err)
		}
		r.Output = out
	default:
		r.Error, r.Cause = ptr(x.Error), ptr(x.Cause)
	}
	r.States, r.Nested = entered(x, p.sm)
	return EngineRun{Result: r, Elapsed: x.StopTime.Sub(x.StartTime)}, nil
}

func ptr(s string) *string { return &s }

func decode(raw json.RawMessage) (any, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return asl.Normalize(v)
}

// Compare returns the differences between want (the peer or the documented
// result) and got (parcours), one line each; fields want leaves empty are
// not compared when partial is set (an "expect" block).
func Compare(want, got Result, ignore []string, partial bool) []string {
	var diffs []string
	if want.Status != got.Status {
		diffs = append(diffs, fmt.Sprintf("status: want %s, got %s", want.Status, got.Status))
	}
	if want.Status == "SUCCEEDED" && got.Status == "SUCCEEDED" && (!partial || len(want.Output) > 0) {
		w, errW := decodePlain(want.Output)
		g, errG := decodePlain(got.Output)
		if errW != nil || errG != nil {
			diffs = append(diffs, fmt.Sprintf("output: undecodable (%v, %v)", errW, errG))
		} else if d := jsonDiff("$", w, g, ignoreSet(ignore)); d != "" {
			diffs = append(diffs, fmt.Sprintf("output: %s\n    want %s\n    got  %s", d, want.Output, got.Output))
		}
	}
	if want.Status == "FAILED" && got.Status == "FAILED" {
		if want.Error != nil && deref(want.Error) != deref(got.Error) {
			diffs = append(diffs, fmt.Sprintf("error: want %q, got %q", deref(want.Error), deref(got.Error)))
		}
		// The cause of the States.* errors the runtime raises is free text in
		// every implementation; a cause a Task or a Fail state supplies is data.
		if want.Cause != nil && !strings.HasPrefix(deref(want.Error), "States.") && deref(want.Cause) != deref(got.Cause) {
			diffs = append(diffs, fmt.Sprintf("cause: want %q, got %q", deref(want.Cause), deref(got.Cause)))
		}
	}
	if !partial || want.States != nil {
		if strings.Join(want.States, ",") != strings.Join(got.States, ",") {
			diffs = append(diffs, fmt.Sprintf("states entered: want %v, got %v", want.States, got.States))
		}
	}
	if !partial || want.Nested != nil {
		w, g := sorted(want.Nested), sorted(got.Nested)
		if strings.Join(w, ",") != strings.Join(g, ",") {
			diffs = append(diffs, fmt.Sprintf("nested states entered: want %v, got %v", w, g))
		}
	}
	return diffs
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func decodePlain(raw json.RawMessage) (any, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

func ignoreSet(paths []string) map[string]bool {
	m := map[string]bool{}
	for _, p := range paths {
		m[p] = true
	}
	return m
}

// jsonDiff compares two decoded JSON values (numbers as json.Number,
// compared numerically); at an ignored path only the JSON type is compared.
// It returns the first difference, or "".
func jsonDiff(path string, want, got any, ignore map[string]bool) string {
	if ignore[path] {
		if jsonType(want) != jsonType(got) {
			return fmt.Sprintf("%s: want a %s, got a %s", path, jsonType(want), jsonType(got))
		}
		return ""
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: want an object, got a %s", path, jsonType(got))
		}
		keys := map[string]bool{}
		for k := range w {
			keys[k] = true
		}
		for k := range g {
			keys[k] = true
		}
		names := make([]string, 0, len(keys))
		for k := range keys {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			wv, wok := w[k]
			gv, gok := g[k]
			switch {
			case !wok:
				return fmt.Sprintf("%s.%s: unexpected field", path, k)
			case !gok:
				return fmt.Sprintf("%s.%s: missing field", path, k)
			}
			if d := jsonDiff(path+"."+k, wv, gv, ignore); d != "" {
				return d
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok {
			return fmt.Sprintf("%s: want an array, got a %s", path, jsonType(got))
		}
		if len(w) != len(g) {
			return fmt.Sprintf("%s: want %d items, got %d", path, len(w), len(g))
		}
		for i := range w {
			if d := jsonDiff(fmt.Sprintf("%s[%d]", path, i), w[i], g[i], ignore); d != "" {
				return d
			}
		}
		return ""
	case json.Number:
		g, ok := got.(json.Number)
		if !ok {
			return fmt.Sprintf("%s: want number %s, got a %s", path, w, jsonType(got))
		}
		wf, err1 := w.Float64()
		gf, err2 := g.Float64()
		if err1 != nil || err2 != nil || wf != gf {
			return fmt.Sprintf("%s: want %s, got %s", path, w, g)
		}
		return ""
	default:
		if want != got {
			return fmt.Sprintf("%s: want %v, got %v", path, want, got)
		}
		return ""
	}
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case json.Number:
		return "number"
	case string:
		return "string"
	case bool:
		return "boolean"
	}
	return fmt.Sprintf("%T", v)
}
