package asl

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type phase uint8

const (
	phEnter       phase = iota // enter the state named r.name
	phWaitDone                 // a Wait state's timer fired
	phRetry                    // a retry interval elapsed: run the state again
	phJoined                   // all branches or iterations of a Parallel/Map ended
	phExecTimeout              // timer only: the execution's TimeoutSeconds elapsed
)

// run is one thread of control: the top level of an execution, one branch of
// a Parallel state, or one iteration of a Map state. A waiting run is only
// this record in the timer heap.
type run struct {
	exec *Execution
	sm   *StateMachine
	name string
	st   *State
	// nextSt is the state named name when the previous state found it
	// (statePlan.nextState), or nil; nextPlan its plan, when found too.
	nextSt   *State
	nextPlan *statePlan
	input    any // the state's raw input
	eff      any // a Wait state's input after InputPath, kept while waiting
	phase    phase

	// Upper bounds of the payload sizes (PayloadSize) of input, of the
	// current state's effective input and of its output; 0 when not known.
	// They let the 256 KiB check skip walking a payload whose size follows
	// from sizes already known (see payload.go).
	inBound, effBound, outBound int32

	entered    time.Time
	attempts   []int // per retrier
	retryCount int

	parent *join      // the join this run reports to (nil at the top level)
	index  int        // position in parent's results
	child  *join      // the join this run waits on (Parallel/Map)
	ctx    *Object    // $$, once built (contextObject)
	plan   *statePlan // st's
}

// join collects the results of a Parallel state's branches or a Map state's
// iterations.
type join struct {
	owner    *run
	results  []any
	pending  int
	failed   bool
	isMap    bool
	items    []any // Map: item inputs not started yet are items[next:]
	next     int
	limit    int // Map: MaxConcurrency (0 = all)
	running  int
	eff      any // the state's effective input
	mapState *State
}

// alive reports whether neither the execution nor an enclosing Parallel/Map
// has ended.
func (r *run) alive() bool {
	if r.exec.Status != StatusRunning {
		return false
	}
	for j := r.parent; j != nil; j = j.owner.parent {
		if j.failed {
			return false
		}
	}
	return true
}

// contextObject is $$ for the current state. Its Execution and
// StateMachine objects are built once per execution and shared by every
// state's context object (values are never mutated); only State is new per
// state entry (and retry).
func (e *Engine) contextObject(r *run) *Object {
	if r.ctx != nil {
		return r.ctx
	}
	x := r.exec
	state := newObject(3) // in key order
	state.ms[0] = Member{"EnteredTime", formatTime(r.entered)}
	state.ms[1] = Member{"Name", r.name}
	state.ms[2] = Member{"RetryCount", intNumber(int64(r.retryCount))}
	r.ctx = newObject(3)
	r.ctx.ms[0] = Member{"Execution", e.ctxExecution(x)}
	r.ctx.ms[1] = Member{"State", state}
	r.ctx.ms[2] = Member{"StateMachine", x.ctxSM}
	return r.ctx
}

// formatTime writes timestamps the way Step Functions does in the context
// object: UTC with milliseconds.
func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// Parsed paths and intrinsic calls are cached by their text for the whole
// process: definitions are parsed once, and an engine per execution (as the
// difftest benchmark and `parcours asl run` make) does not parse them again.
// Parsed values are immutable. The caches stop growing at maxParsed entries
// (a process would need that many distinct expressions to reach it).
var (
	parsedPaths sync.Map // string → *Path
	parsedCalls sync.Map // string → *Intrinsic
	parsedCount atomic.Int64
	maxParsed   = int64(100_000)
)

func cacheParsed(m *sync.Map, key, v any) {
	if parsedCount.Load() < maxParsed {
		if _, loaded := m.LoadOrStore(key, v); !loaded {
			parsedCount.Add(1)
		}
	}
}

func (e *Engine) path(s string) (*Path, error) { return parsePathCached(s) }

// evalPath evaluates a path against input (or $$).
func (e *Engine) evalPath(r *run, s string, input any) (any, bool, error) {
	p, err := e.path(s)
	if err != nil {
		return nil, false, &Error{Name: ErrRuntime, Cause: err.Error()}
	}
	v, ok := e.evalParsed(r, p, input)
	return v, ok, nil
}

// applyPath is InputPath/OutputPath/ItemsPath: a missing value is
// States.Runtime. It is small enough to inline, so the common case, no
// path, costs no call (applyPathTo does the rest).
func (e *Engine) applyPath(r *run, p *string, input any) (any, error) {
	if p == nil {
		return input, nil
	}
	return e.applyPathTo(r, p, input)
}

func (e *Engine) applyPathTo(r *run, p *string, input any) (any, error) {
	if IsNullPath(p) {
		return emptyObject, nil
	}
	v, ok, err := e.evalPath(r, *p, input)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, newError(ErrRuntime, "An error occurred while executing the state '%s'. Invalid path '%s' : No results for path: %s", r.name, *p, *p)
	}
	return v, nil
}

func (e *Engine) dollar(r *run, field, key, s string, input any) (any, error) {
	if IsIntrinsic(s) {
		f, err := parseIntrinsicCached(s)
		if err != nil {
			return nil, &Error{Name: ErrRuntime, Cause: err.Error()}
		}
		return e.callIntrinsic(r, f, input)
	}
	v, ok, err := e.evalPath(r, s, input)
	if err != nil {
		return nil, err
	}
	if !ok {
		// States.Runtime, not States.ParameterPathFailure: see errors.go.
		return nil, newError(ErrRuntime, "The JSONPath '%s' specified for the field '%s' could not be found in the input of the %s of state '%s'", s, key, field, r.name)
	}
	return v, nil
}

// resultPath merges a result into the raw input.
// parsed, when not nil, is p parsed (the state's plan has it).
func (e *Engine) resultPath(r *run, p *string, parsed *Path, input, result any) (any, error) {
	if p == nil || *p == "$" {
		return result, nil
	}
	return e.resultPathTo(r, p, parsed, input, result)
}

func (e *Engine) resultPathTo(r *run, p *string, parsed *Path, input, result any) (any, error) {
	if IsNullPath(p) {
		return input, nil
	}
	path := parsed
	if path == nil {
		var err error
		if path, err = e.path(*p); err != nil {
			return nil, &Error{Name: ErrRuntime, Cause: err.Error()}
		}
	}
	if _, ok := input.(*Object); !ok {
		return nil, newError(ErrResultPathMatchFailure, "Unable to apply ResultPath '%s' to input of type %s in state '%s'", *p, typeName(input), r.name)
	}
	out, err := setPath(&e.arena, input, path.segs, result)
	if err != nil {
		return nil, newError(ErrResultPathMatchFailure, "Unable to apply ResultPath '%s' in state '%s': %v", *p, r.name, err)
	}
	return out, nil
}

// step runs r until it waits, ends, or hands over to branches.
func (e *Engine) step(ctx context.Context, r *run) {
	for {
		if !r.alive() {
			return
		}
		if r.phase == phEnter {
			st, plan := r.nextSt, r.nextPlan
			r.nextSt, r.nextPlan = nil, nil
			if st == nil {
				st = r.sm.States.Get(r.name)
			}
			if st == nil {
				e.failRun(r, newError(ErrRuntime, "state %q does not exist", r.name))
				return
			}
			if plan == nil {
				plan = planOf(st, r.name)
			}
			r.st, r.plan = st, plan
			r.exec.transitions++
			if r.exec.transitions > e.maxTrans {
				e.failRun(r, newError(ErrRuntime, "the execution entered more than %d states", e.maxTrans))
				return
			}
			r.entered = e.clock.Now()
			r.attempts = nil
			r.retryCount = 0
			r.ctx = nil
			e.record(r.exec, event{eventKind: r.plan.kind(kEntered), val: r.input})
		}
		r.outBound = 0
		out, next, wait, err := e.exec(ctx, r)
		if wait {
			return
		}
		if err != nil {
			r.outBound = 0 // a catcher's output
			var ae *Error
			if !errors.As(err, &ae) {
				ae = &Error{Name: ErrRuntime, Cause: err.Error()}
			}
			out, next, err = e.handleError(r, ae)
			if err == errParked {
				return
			}
			if err != nil {
				e.failRun(r, err.(*Error))
				return
			}
		}
		if r.plan.typ == stFail {
			return
		}
		ob := r.inBound
		if !r.plan.sameOutput {
			var ok bool
			if ob, ok = fits(out, r.outBound); !ok {
				e.failRun(r, outputTooLarge(r.name))
				return
			}
		}
		e.record(r.exec, event{eventKind: r.plan.kind(kExited), val: out})
		if next == "" {
			e.succeedRun(r, out)
			return
		}
		r.nextSt, r.nextPlan = r.plan.nextState(&r.sm.States, next)
		r.name, r.input, r.phase, r.eff = next, out, phEnter, nil
		r.inBound = ob
	}
}

var errParked = errors.New("parked")

// handleError applies Retry and Catch. It returns the output and next state
// when a catcher matched, errParked when a retry was scheduled, or the error.
func (e *Engine) handleError(r *run, ae *Error) (any, string, error) {
	st := r.st
	typ := r.plan.typ
	if typ != stTask && typ != stParallel && typ != stMap {
		return nil, "", ae
	}
	isTask := typ == stTask
	for i, rt := range st.Retry {
		if !matches(rt.ErrorEquals, ae, isTask) {
			continue
		}
		if r.attempts == nil {
			r.attempts = make([]int, len(st.Retry))
		}
		maxAttempts := 3
		if rt.MaxAttempts != nil {
			maxAttempts = *rt.MaxAttempts
		}
		if r.attempts[i] >= maxAttempts {
			break
		}
		interval := 1.0
		if rt.IntervalSeconds != nil {
			interval = float64(*rt.IntervalSeconds)
		}
		backoff := 2.0
		if rt.BackoffRate != nil {
			backoff = *rt.BackoffRate
		}
		delay := interval * math.Pow(backoff, float64(r.attempts[i]))
		if rt.MaxDelaySeconds != nil && delay > float64(*rt.MaxDelaySeconds) {
			delay = float64(*rt.MaxDelaySeconds)
		}
		if rt.JitterStrategy == "FULL" {
			delay *= e.rng.Float64()
		}
		r.attempts[i]++
		r.retryCount++
		r.ctx = nil
		r.phase = phRetry
		e.schedule(e.clock.Now().Add(time.Duration(delay*float64(time.Second))), r)
		return nil, "", errParked
	}
	for _, c := range st.Catch {
		if !matches(c.ErrorEquals, ae, isTask) {
			continue
		}
		errOut := newObject(2) // in key order
		errOut.ms[0] = Member{"Cause", ae.Cause}
		errOut.ms[1] = Member{"Error", ae.Name}
		out, err := e.resultPath(r, c.ResultPath, nil, r.input, errOut)
		if err != nil {
			return nil, "", err
		}
		return out, c.Next, nil
	}
	return nil, "", ae
}

// exec runs the current state once. wait reports that the run parked.
func (e *Engine) exec(ctx context.Context, r *run) (out any, next string, wait bool, err error) {
	st := r.st
	next = st.Next
	switch r.plan.typ {
	case stPass:
		eff, err := e.inputs(r, st)
		if err != nil {
			return nil, "", false, err
		}
		result, rb := eff, r.effBound
		if st.Result != nil || st.resultSet {
			result, rb = r.plan.result, r.plan.resultBound
		}
		out, err = e.outputs(r, st, result, rb, false)
		return out, next, false, err
	case stTask:
		eff, err := e.inputs(r, st)
		if err != nil {
			return nil, "", false, err
		}
		result, rb, err := e.task(ctx, r, st, eff)
		if err != nil {
			return nil, "", false, err
		}
		out, err = e.outputs(r, st, result, rb, true)
		return out, next, false, err
	case stChoice:
		eff, err := e.applyPath(r, st.InputPath, r.input)
		if err != nil {
			return nil, "", false, err
		}
		next, err = e.choose(r, st, eff)
		if err != nil {
			return nil, "", false, err
		}
		out, err = e.applyPath(r, st.OutputPath, eff)
		r.outBound = r.plan.outputPathBound(r.plan.inputPathBound(r.inBound))
		return out, next, false, err
	case stWait:
		if r.phase == phWaitDone {
			out, err = e.applyPath(r, st.OutputPath, r.eff)
			r.eff = nil
			r.outBound = r.plan.outputPathBound(r.plan.inputPathBound(r.inBound))
			return out, next, false, err
		}
		eff, err := e.applyPath(r, st.InputPath, r.input)
		if err != nil {
			return nil, "", false, err
		}
		until, err := e.waitUntil(r, st, eff)
		if err != nil {
			return nil, "", false, err
		}
		r.eff = eff
		r.phase = phWaitDone
		e.schedule(until, r)
		return nil, "", true, nil
	case stSucceed:
		eff, err := e.applyPath(r, st.InputPath, r.input)
		if err != nil {
			return nil, "", false, err
		}
		out, err = e.applyPath(r, st.OutputPath, eff)
		r.outBound = r.plan.outputPathBound(r.plan.inputPathBound(r.inBound))
		return out, "", false, err
	case stFail:
		fe := &Error{Name: st.Error, Cause: st.Cause}
		if st.ErrorPath != "" {
			s, err := e.failField(r, "ErrorPath", st.ErrorPath)
			if err != nil {
				return nil, "", false, err
			}
			fe.Name = s
		}
		if st.CausePath != "" {
			s, err := e.failField(r, "CausePath", st.CausePath)
			if err != nil {
				return nil, "", false, err
			}
			fe.Cause = s
		}
		e.failRun(r, fe)
		return nil, "", false, nil
	case stParallel, stMap:
		if r.phase == phJoined {
			j := r.child
			r.child = nil
			r.phase = phEnter
			e.record(r.exec, event{eventKind: r.plan.kind(kSucceeded)})
			out, err = e.outputs(r, st, j.results, 0, true)
			return out, next, false, err
		}
		eff, err := e.inputs(r, st)
		if err != nil {
			return nil, "", false, err
		}
		if r.plan.typ == stParallel {
			return nil, "", e.startParallel(r, st, eff), nil
		}
		parked, err := e.startMap(r, st, eff)
		return nil, "", parked, err
	}
	return nil, "", false, newError(ErrRuntime, "state '%s' has unknown type %q", r.name, st.Type)
}

// inputs applies InputPath then Parameters (a Map state's Parameters are
// its ItemSelector, applied per item).
func (e *Engine) inputs(r *run, st *State) (any, error) {
	eff, err := e.applyPath(r, st.InputPath, r.input)
	if err != nil {
		return nil, err
	}
	r.effBound = r.plan.inputPathBound(r.inBound)
	if p := r.plan.parameters; p != nil {
		var b int32
		eff, b, err = e.evalTemplate(r, "Parameters", p, eff, r.effBound)
		if err != nil {
			return nil, err
		}
		b, ok := fits(eff, b)
		if !ok {
			return nil, inputTooLarge(r.name, "Parameters")
		}
		r.effBound = b
	}
	return eff, nil
}

// outputs applies ResultSelector (when selector), ResultPath and OutputPath.
// rb bounds the result's payload size (0: not known); r.outBound is set to
// a bound of the output's.
func (e *Engine) outputs(r *run, st *State, result any, rb int32, selector bool) (any, error) {
	var err error
	if p := r.plan.resultSelector; selector && p != nil {
		result, rb, err = e.evalTemplate(r, "ResultSelector", p, result, rb)
		if err != nil {
			return nil, err
		}
	}
	out := result // no ResultPath, or "$"
	if r.plan.resultPath != rpReplace {
		if out, err = e.resultPathTo(r, st.ResultPath, r.plan.resultP, r.input, result); err != nil {
			return nil, err
		}
	}
	r.outBound = r.plan.outputPathBound(r.plan.resultPathBound(r.inBound, result, rb))
	return e.applyPath(r, st.OutputPath, out)
}

// task runs a Task state's resource once and returns its result and a bound
// of the result's payload size.
func (e *Engine) task(ctx context.Context, r *run, st *State, eff any) (any, int32, error) {
	var timeout time.Duration
	if st.TimeoutSeconds != nil {
		timeout = time.Duration(*st.TimeoutSeconds) * time.Second
	} else if st.TimeoutSecondsPath != "" {
		v, ok, err := e.evalPath(r, st.TimeoutSecondsPath, r.input)
		if err != nil {
			return nil, 0, err
		}
		n, isInt := toInt(v)
		if !ok || !isInt || n <= 0 {
			return nil, 0, newError(ErrRuntime, "TimeoutSecondsPath '%s' of state '%s' must point to a positive integer", st.TimeoutSecondsPath, r.name)
		}
		timeout = time.Duration(n) * time.Second
	}
	call := TaskCall{
		ExecutionName: r.exec.Name,
		StateName:     r.name,
		Resource:      st.Resource,
		Input:         eff,
		Attempt:       r.retryCount,
		Timeout:       timeout,
		EnteredTime:   r.entered,
		exec:          r.exec,
	}
	e.record(r.exec, event{eventKind: r.plan.kind(kTaskScheduled), val: eff})
	e.record(r.exec, event{eventKind: r.plan.kind(kTaskStarted)})
	if e.opts.Resolver == nil {
		err := newError(ErrTaskFailed, "no resolver for resource %s", st.Resource)
		e.record(r.exec, event{eventKind: r.plan.kind(kTaskFailed), val: &eventExtra{errName: err.Name, cause: err.Cause}})
		return nil, 0, err
	}
	cctx := ctx
	if timeout > 0 {
		tc := newTaskContext(ctx, time.Now().Add(timeout))
		defer tc.stop()
		cctx = tc
	}
	out, err := e.opts.Resolver.Invoke(cctx, call)
	if err == nil && timeout > 0 && cctx.Err() != nil && ctx.Err() == nil {
		err = context.DeadlineExceeded
	}
	if err != nil {
		var ae *Error
		switch {
		case errors.As(err, &ae):
		case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
			ae = &Error{Name: ErrTimeout, Cause: fmt.Sprintf("the task did not finish within %s", timeout)}
		default:
			ae = &Error{Name: ErrTaskFailed, Cause: err.Error()}
		}
		if ae.Name == ErrTimeout {
			e.record(r.exec, event{eventKind: r.plan.kind(kTaskTimedOut), val: &eventExtra{errName: ae.Name, cause: ae.Cause}})
		} else {
			e.record(r.exec, event{eventKind: r.plan.kind(kTaskFailed), val: &eventExtra{errName: ae.Name, cause: ae.Cause}})
		}
		return nil, 0, ae
	}
	out, err = Normalize(out)
	if err != nil {
		ae := newError(ErrTaskFailed, "the task result is not JSON: %v", err)
		e.record(r.exec, event{eventKind: r.plan.kind(kTaskFailed), val: &eventExtra{errName: ae.Name, cause: ae.Cause}})
		return nil, 0, ae
	}
	rb, ok := fits(out, 0)
	if !ok {
		ae := resultTooLarge(st.Resource)
		e.record(r.exec, event{eventKind: r.plan.kind(kTaskFailed), val: &eventExtra{errName: ae.Name, cause: ae.Cause}})
		return nil, 0, ae
	}
	e.record(r.exec, event{eventKind: r.plan.kind(kTaskSucceeded), val: out})
	return out, rb, nil
}

// resourceParts splits a Resource into the resourceType and resource of
// history events: "arn:aws:states:::dynamodb:getItem" → dynamodb, getItem.
func resourceParts(res string) (string, string) {
	if rest, ok := strings.CutPrefix(res, "arn:aws:states:::"); ok {
		rest = strings.TrimPrefix(rest, "aws-sdk:")
		if i := strings.IndexByte(rest, ':'); i >= 0 {
			return rest[:i], rest[i+1:]
		}
		return rest, ""
	}
	if strings.Contains(res, ":lambda:") {
		return "lambda", "invoke"
	}
	return "", res
}

func (e *Engine) waitUntil(r *run, st *State, eff any) (time.Time, error) {
	now := e.clock.Now()
	if d, ok := e.opts.WaitOverrides[r.name]; ok {
		return now.Add(d), nil
	}
	switch {
	case st.Seconds != nil:
		return now.Add(time.Duration(*st.Seconds) * time.Second), nil
	case st.SecondsPath != "":
		v, ok, err := e.evalPath(r, st.SecondsPath, eff)
		if err != nil {
			return now, err
		}
		if !ok {
			return now, newError(ErrRuntime, "SecondsPath '%s' of state '%s' does not point to a value", st.SecondsPath, r.name)
		}
		n, isInt := toInt(v)
		if !isInt || n < 0 {
			return now, newError(ErrRuntime, "SecondsPath '%s' of state '%s' must point to a non-negative integer, got %s", st.SecondsPath, r.name, describe(v))
		}
		return now.Add(time.Duration(n) * time.Second), nil
	case st.Timestamp != "":
		t, ok := parseTimestamp(st.Timestamp)
		if !ok {
			return now, newError(ErrRuntime, "Timestamp '%s' of state '%s' is not an RFC 3339 timestamp", st.Timestamp, r.name)
		}
		return t, nil
	case st.TimestampPath != "":
		v, ok, err := e.evalPath(r, st.TimestampPath, eff)
		if err != nil {
			return now, err
		}
		if !ok {
			return now, newError(ErrRuntime, "TimestampPath '%s' of state '%s' does not point to a value", st.TimestampPath, r.name)
		}
		s, _ := v.(string)
		t, ok := parseTimestamp(s)
		if !ok {
			return now, newError(ErrRuntime, "TimestampPath '%s' of state '%s' must point to an RFC 3339 timestamp, got %s", st.TimestampPath, r.name, describe(v))
		}
		return t, nil
	}
	return now, newError(ErrRuntime, "Wait state '%s' has no Seconds, SecondsPath, Timestamp or TimestampPath", r.name)
}

// parseTimestamp parses the RFC 3339 profile the States Language uses: an
// uppercase T between date and time, an uppercase Z or a numeric offset.
func parseTimestamp(s string) (time.Time, bool) {
	if len(s) < 20 || s[10] != 'T' {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

func (e *Engine) startParallel(r *run, st *State, eff any) bool {
	j := &join{owner: r, results: make([]any, len(st.Branches)), pending: len(st.Branches), eff: eff}
	r.child = j
	e.record(r.exec, event{eventKind: r.plan.kind(kParallelStarted)})
	if len(st.Branches) == 0 {
		r.phase = phJoined
		e.ready = append(e.ready, r)
		return true
	}
	for i := range st.Branches {
		b := &st.Branches[i]
		e.ready = append(e.ready, &run{exec: r.exec, sm: b, name: b.StartAt, input: eff, inBound: r.effBound, phase: phEnter, parent: j, index: i})
	}
	return true
}

func (e *Engine) startMap(r *run, st *State, eff any) (bool, error) {
	itemsPath := st.ItemsPath
	var items any = eff
	if itemsPath != "" {
		v, ok, err := e.evalPath(r, itemsPath, eff)
		if err != nil {
			return false, err
		}
		if !ok {
			return false, newError(ErrRuntime, "ItemsPath '%s' of state '%s' does not point to a value", itemsPath, r.name)
		}
		items = v
	}
	arr, ok := items.([]any)
	if !ok {
		return false, newError(ErrRuntime, "the items of Map state '%s' must be an array, got %s", r.name, typeName(items))
	}
	sel := r.plan.itemSelector
	inputs := make([]any, len(arr))
	for i, it := range arr {
		if sel == nil {
			inputs[i] = it
			continue
		}
		item := newObject(2) // in key order
		item.ms[0] = Member{"Index", intNumber(int64(i))}
		item.ms[1] = Member{"Value", it}
		mapObj := newObject(1)
		mapObj.ms[0] = Member{"Item", item}
		withItem := e.contextObject(r).with(nil, "Map", mapObj)
		saved := r.ctx
		r.ctx = withItem
		v, b, err := e.evalTemplate(r, "ItemSelector", sel, eff, r.effBound)
		r.ctx = saved
		if err != nil {
			return false, err
		}
		if _, ok := fits(v, b); !ok {
			return false, inputTooLarge(r.name, "ItemSelector")
		}
		inputs[i] = v
	}
	j := &join{owner: r, results: make([]any, len(arr)), pending: len(arr), isMap: true, items: inputs, eff: eff, mapState: st}
	if st.MaxConcurrency != nil {
		j.limit = *st.MaxConcurrency
	}
	r.child = j
	e.record(r.exec, event{eventKind: r.plan.kind(kMapStarted), val: &eventExtra{length: len(arr)}})
	if len(arr) == 0 {
		r.phase = phJoined
		e.ready = append(e.ready, r)
		return true, nil
	}
	e.startIterations(j)
	return true, nil
}

func (e *Engine) startIterations(j *join) {
	st := j.mapState
	proc := st.ItemProcessor
	if proc == nil {
		proc = st.Iterator
	}
	for j.next < len(j.items) && (j.limit == 0 || j.running < j.limit) {
		i := j.next
		j.next++
		j.running++
		e.record(j.owner.exec, event{eventKind: j.owner.plan.kind(kMapIterationStarted), val: &eventExtra{index: i}})
		e.ready = append(e.ready, &run{exec: j.owner.exec, sm: proc, name: proc.StartAt, input: j.items[i], phase: phEnter, parent: j, index: i})
		j.items[i] = nil
	}
}

// succeedRun ends a run that reached an End state or a Succeed state.
func (e *Engine) succeedRun(r *run, out any) {
	j := r.parent
	if j == nil {
		e.endExecution(r.exec, StatusSucceeded, out, nil)
		return
	}
	j.results[r.index] = out
	j.pending--
	if j.isMap {
		e.record(r.exec, event{eventKind: j.owner.plan.kind(kMapIterationSucceeded), val: &eventExtra{index: r.index}})
		j.running--
		e.startIterations(j)
	}
	if j.pending == 0 {
		j.owner.phase = phJoined
		e.ready = append(e.ready, j.owner)
	}
}

// failRun ends a run with an error: the execution fails, or the enclosing
// Parallel/Map state fails with the same error (after Retry/Catch there).
func (e *Engine) failRun(r *run, ae *Error) {
	j := r.parent
	if j == nil {
		e.endExecution(r.exec, StatusFailed, nil, ae)
		return
	}
	if j.failed {
		return
	}
	j.failed = true
	owner := j.owner
	owner.child = nil
	if j.isMap {
		e.record(r.exec, event{eventKind: owner.plan.kind(kMapIterationFailed), val: &eventExtra{index: r.index}})
		e.record(r.exec, event{eventKind: owner.plan.kind(kMapFailed)})
	} else {
		e.record(r.exec, event{eventKind: owner.plan.kind(kParallelFailed)})
	}
	out, next, err := e.handleError(owner, ae)
	if err == errParked {
		return
	}
	if err != nil {
		e.failRun(owner, err.(*Error))
		return
	}
	ob, ok := fits(out, 0)
	if !ok {
		e.failRun(owner, outputTooLarge(owner.name))
		return
	}
	e.record(owner.exec, event{eventKind: owner.plan.kind(kExited), val: out})
	owner.name, owner.input, owner.phase, owner.inBound = next, out, phEnter, ob
	e.ready = append(e.ready, owner)
}

func (e *Engine) endExecution(x *Execution, status string, out any, ae *Error) {
	if x.Status != StatusRunning {
		return
	}
	x.Status = status
	x.StopTime = e.clock.Now()
	switch status {
	case StatusSucceeded:
		x.Output = out
		e.record(x, event{eventKind: kindExecutionSucceeded, val: out})
	case StatusTimedOut:
		x.Error, x.Cause = ae.Name, ae.Cause
		e.record(x, event{eventKind: kindExecutionTimedOut, val: &eventExtra{errName: ae.Name, cause: ae.Cause}})
	default:
		x.Error, x.Cause = ae.Name, ae.Cause
		e.record(x, event{eventKind: kindExecutionFailed, val: &eventExtra{errName: ae.Name, cause: ae.Cause}})
	}
}

// failField evaluates a Fail state's ErrorPath or CausePath: a path or an
// intrinsic function that must give a string.
func (e *Engine) failField(r *run, field, expr string) (string, error) {
	var v any
	if IsIntrinsic(expr) {
		var err error
		v, err = e.dollar(r, field, field, expr, r.input)
		if err != nil {
			return "", err
		}
	} else {
		var ok bool
		var err error
		v, ok, err = e.evalPath(r, expr, r.input)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", newError(ErrRuntime, "%s '%s' of state '%s' does not point to a value", field, expr, r.name)
		}
	}
	s, ok := v.(string)
	if !ok {
		return "", newError(ErrRuntime, "%s '%s' of state '%s' must give a string, got %s", field, expr, r.name, typeName(v))
	}
	return s, nil
}
