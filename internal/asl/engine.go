package asl

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Clock tells the engine what time it is.
type Clock interface{ Now() time.Time }

// RealClock is the wall clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// VirtualClock is the engine's simulated time. It stands still unless moved
// (Engine.Advance and Engine.RunUntilIdle jump it to each timer in turn), or,
// with a Speed above zero, it also flows with the wall clock, Speed virtual
// seconds per real second, so a dev stack can let time pass and still jump.
// It is safe for concurrent use.
type VirtualClock struct {
	mu    sync.Mutex // serializes changes
	state atomic.Pointer[clockState]
	wall  func() time.Time
	// first is the starting state; spare are states not yet published,
	// allocated a few at a time (a change takes the next one).
	first clockState
	spare []clockState
}

// clockState is a VirtualClock's setting; a change stores a new one, so Now
// reads it without a lock (the engine reads the clock for every event). A
// published state is never written again.
type clockState struct {
	at     time.Time // virtual time at realAt
	ns     int64     // at.UnixNano()
	realAt time.Time
	speed  float64
}

// clockSpares is how many states a VirtualClock allocates at once: an
// engine moves its clock once per timer it fires.
const clockSpares = 8

// NewVirtualClock returns a clock standing at start.
func NewVirtualClock(start time.Time) *VirtualClock {
	c := new(VirtualClock)
	c.init(start)
	return c
}

// init sets a zero VirtualClock standing at start.
func (c *VirtualClock) init(start time.Time) {
	c.wall = time.Now
	c.first = clockState{at: start, ns: start.UnixNano()}
	c.state.Store(&c.first)
}

// store publishes a new state (c.mu is held).
func (c *VirtualClock) store(at, realAt time.Time, speed float64) {
	if len(c.spare) == 0 {
		c.spare = make([]clockState, clockSpares)
	}
	s := &c.spare[0]
	c.spare = c.spare[1:]
	*s = clockState{at: at, ns: at.UnixNano(), realAt: realAt, speed: speed}
	c.state.Store(s)
}

// SetSpeed makes the clock flow at speed virtual seconds per wall second
// (0 stops it).
func (c *VirtualClock) SetSpeed(speed float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.store(c.Now(), c.wall(), speed)
}

// Now returns the virtual time.
func (c *VirtualClock) Now() time.Time {
	s := c.state.Load()
	if s.speed == 0 {
		return s.at
	}
	return s.at.Add(time.Duration(float64(c.wall().Sub(s.realAt)) * s.speed))
}

// Set moves the clock to t if t is later than now (virtual time never goes
// back).
func (c *VirtualClock) Set(t time.Time) {
	// Without the lock first: the clock only moves forward, so a time not
	// after now stays so (firing a timer due now is the common case).
	if !t.After(c.Now()) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := c.Now(); t.After(now) {
		speed := c.state.Load().speed
		var realAt time.Time // only read while the clock flows
		if speed != 0 {
			realAt = c.wall()
		}
		c.store(t, realAt, speed)
	}
}

// TaskCall is what a Resolver receives for one attempt of a Task state.
type TaskCall struct {
	ExecutionName string
	StateName     string
	// Resource is the state's Resource, e.g. "arn:aws:states:::lambda:invoke",
	// "arn:aws:states:::dynamodb:getItem", a Lambda function ARN, or
	// "arn:aws:states:::aws-sdk:dynamodb:getItem".
	Resource string
	// Input is the effective input: the state input after InputPath and
	// Parameters.
	Input any
	// Attempt is 0 for the first call and counts retries.
	Attempt int
	// Timeout is the state's TimeoutSeconds (or TimeoutSecondsPath); 0 when
	// none. The ctx passed to Invoke carries it as a deadline in wall time.
	Timeout time.Duration
	// EnteredTime is when the state was entered ($$.State.EnteredTime), in
	// the engine's clock.
	EnteredTime time.Time

	exec *Execution
}

// ContextObject returns the context object ($$) as the state sees it:
// Execution, State and StateMachine. It is built on each call (most
// resolvers never read it), from fields that do not change once the
// execution has started, so it may be called at any time.
func (c TaskCall) ContextObject() map[string]any {
	ctx := map[string]any{
		"State": map[string]any{
			"Name":        c.StateName,
			"EnteredTime": formatTime(c.EnteredTime),
			"RetryCount":  intNumber(int64(c.Attempt)),
		},
	}
	if x := c.exec; x != nil {
		ctx["Execution"] = map[string]any{
			"Id":        x.ARN,
			"Name":      x.Name,
			"StartTime": formatTime(x.StartTime),
			"Input":     Plain(x.Input),
			"RoleArn":   roleARN,
		}
		ctx["StateMachine"] = map[string]any{
			"Id":   "arn:aws:states:local:000000000000:stateMachine:" + x.smName,
			"Name": x.smName,
		}
	}
	return ctx
}

// Resolver runs Task states. Returning *Error raises that error name; a
// context deadline error becomes States.Timeout; any other error becomes
// States.TaskFailed with the error text as cause. The result is normalized to
// JSON values (structs are encoded and decoded).
//
// In virtual mode Invoke is called synchronously while the engine holds its
// lock: it must not call the Engine's methods (start executions from another
// goroutine instead). For a state with a TimeoutSeconds, ctx carries the
// deadline (on the wall clock) and is cancelled when Invoke returns: work
// the resolver leaves running must not use it.
type Resolver interface {
	Invoke(ctx context.Context, call TaskCall) (any, error)
}

// ResolverFunc adapts a function to Resolver.
type ResolverFunc func(ctx context.Context, call TaskCall) (any, error)

// Invoke calls f.
func (f ResolverFunc) Invoke(ctx context.Context, call TaskCall) (any, error) { return f(ctx, call) }

// EngineOptions configures an Engine.
type EngineOptions struct {
	// Clock is the time source. Nil means a new VirtualClock standing at
	// Start.
	Clock Clock
	// Start is where a nil Clock starts; zero means 2024-01-01T00:00:00Z.
	Start time.Time
	// Resolver runs Task states. Nil fails every Task with States.TaskFailed.
	Resolver Resolver
	// Seed seeds the engine's random source: execution names, States.UUID,
	// States.MathRandom without a seed, and FULL retry jitter.
	Seed int64
	// WaitOverrides replaces the wait of the named Wait states (like
	// aws-local-stepfunctions' waitTimeOverrides).
	WaitOverrides map[string]time.Duration
	// MaxTransitions bounds the states one execution may enter (the guard
	// against loops); 0 means 25,000, the AWS history limit.
	MaxTransitions int
	// StateMachineName names the state machine in ARNs and the context
	// object; empty means "StateMachine".
	StateMachineName string
	// NoHistory stops recording history events (States() and History() are
	// then empty); it saves memory for very large simulations.
	NoHistory bool
}

// Execution statuses.
const (
	StatusRunning   = "RUNNING"
	StatusSucceeded = "SUCCEEDED"
	StatusFailed    = "FAILED"
	StatusTimedOut  = "TIMED_OUT"
	StatusAborted   = "ABORTED"
)

// Execution is one run of a state machine. Its fields are written by the
// engine while it holds its lock: read them when no Engine method is running
// concurrently, or use Engine.Snapshot.
type Execution struct {
	Name         string
	ARN          string
	StateMachine *StateMachine
	Status       string
	Input        any
	Output       any
	Error        string
	Cause        string
	StartTime    time.Time
	StopTime     time.Time

	engine      *Engine
	events      eventLog
	transitions int
	smName      string
	// ctxExec and ctxSM are the Execution and StateMachine objects of the
	// context object, built on first use.
	ctxExec, ctxSM *Object
	// startStr is StartTime as the context object writes it, once read.
	startStr any
	// nameV is Name as an interface value, boxed once (nameValue).
	nameV any
}

// nameValue returns $$.Execution.Name, boxed once.
func (x *Execution) nameValue() any {
	if x.nameV == nil {
		x.nameV = x.Name
	}
	return x.nameV
}

// startTime returns $$.Execution.StartTime (formatted once; the execution's
// engine lock is held).
func (x *Execution) startTime() any {
	if x.startStr == nil {
		x.startStr = formatTime(x.StartTime)
	}
	return x.startStr
}

// Transitions is the number of states entered (AWS bills state transitions).
func (x *Execution) Transitions() int { return x.transitions }

// Engine runs executions in one timeline. A waiting execution is a record in
// a timer heap, not a goroutine. All methods are safe for concurrent use;
// they serialize on one lock, and task calls run under it.
type Engine struct {
	mu       sync.Mutex
	opts     EngineOptions
	clock    Clock
	vclock   *VirtualClock
	rng      *rand.Rand
	execs    map[string]*Execution
	order    []*Execution
	ready    []*run // runs to step, from readyAt on
	readyAt  int
	timers   timerHeap
	seq      uint64
	maxTrans int
	ienv     intrinsicEnv // reused by every intrinsic call (under mu)
	arena    objectArena  // objects of templates, ResultPath copies and StringToJson (under mu)

	// The engine's own clock (when none is given) and random source, held
	// in the engine rather than allocated apart.
	ownClock VirtualClock
	pcg      rand.PCG
	rngv     rand.Rand
}

// NewEngine makes an engine.
func NewEngine(opts EngineOptions) *Engine {
	e := &Engine{
		opts:  opts,
		execs: map[string]*Execution{},
	}
	e.pcg.Seed(uint64(opts.Seed), uint64(opts.Seed)^0x5851f42d4c957f2d)
	e.rngv = *rand.New(&e.pcg)
	e.rng = &e.rngv
	e.clock = opts.Clock
	if e.clock == nil {
		start := opts.Start
		if start.IsZero() {
			start = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		e.ownClock.init(start)
		e.clock = &e.ownClock
	}
	e.vclock, _ = e.clock.(*VirtualClock)
	e.maxTrans = opts.MaxTransitions
	if e.maxTrans <= 0 {
		e.maxTrans = 25000
	}
	if e.opts.StateMachineName == "" {
		e.opts.StateMachineName = "StateMachine"
	}
	return e
}

// Now is the engine's current time.
func (e *Engine) Now() time.Time { return e.clock.Now() }

// readNano reads the clock through its interface.
func (e *Engine) readNano() int64 { return e.clock.Now().UnixNano() }

// Clock returns the engine's clock.
func (e *Engine) Clock() Clock { return e.clock }

// Start starts an execution and runs it until it waits or ends. An empty
// name gets a generated one. A name already used with a different input
// fails with an *Error named ExecutionAlreadyExists; the same name and input
// while it still runs returns the running execution (StartExecution is
// idempotent that way).
func (e *Engine) Start(ctx context.Context, sm *StateMachine, name string, input any) (*Execution, error) {
	return e.StartNamed(ctx, sm, e.opts.StateMachineName, name, input)
}

// StartNamed is Start for a state machine with its own name (the dev stack
// runs several).
func (e *Engine) StartNamed(ctx context.Context, sm *StateMachine, smName, name string, input any) (*Execution, error) {
	in, err := Normalize(input)
	if err != nil {
		return nil, fmt.Errorf("start execution: input: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if name == "" {
		name = newUUID(e.rng)
	}
	if old, ok := e.execs[name]; ok {
		if old.Status == StatusRunning && jsonEqual(old.Input, in) && old.StateMachine == sm {
			return old, nil
		}
		return nil, &Error{Name: ErrExecutionAlreadyExists, Cause: fmt.Sprintf("Execution Already Exists: '%s'", old.ARN)}
	}
	now := e.clock.Now()
	x := &Execution{
		Name:         name,
		ARN:          "arn:aws:states:local:000000000000:execution:" + smName + ":" + name,
		StateMachine: sm,
		Status:       StatusRunning,
		Input:        in,
		StartTime:    now,
		engine:       e,
		smName:       smName,
	}
	e.execs[name] = x
	e.order = append(e.order, x)
	e.record(x, event{eventKind: kindExecutionStarted, val: in})
	if sm.TimeoutSeconds != nil && *sm.TimeoutSeconds > 0 {
		e.schedule(now.Add(time.Duration(*sm.TimeoutSeconds)*time.Second), &run{exec: x, phase: phExecTimeout})
	}
	e.ready = append(e.ready, &run{exec: x, sm: sm, name: sm.StartAt, input: in, phase: phEnter})
	e.drain(ctx)
	return x, nil
}

// Advance moves virtual time forward by d, firing due timers in time order
// and running every execution until it waits or ends. With a real clock it
// only fires the timers already due.
func (e *Engine) Advance(ctx context.Context, d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.vclock == nil {
		e.fireDue(ctx, e.clock.Now())
		return
	}
	e.fireDue(ctx, e.clock.Now().Add(d))
}

// Tick fires the timers due at the clock's current time (for a flowing
// clock: call it in a loop, sleeping until NextTimer).
func (e *Engine) Tick(ctx context.Context) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.fireDue(ctx, e.clock.Now())
}

// NextTimer returns when the next timer fires, if any.
func (e *Engine) NextTimer() (time.Time, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.timers) == 0 {
		return time.Time{}, false
	}
	return e.timers[0].at, true
}

// RunUntilIdle jumps virtual time from timer to timer until no execution is
// running (or ctx is done). With a real clock it sleeps until each timer.
func (e *Engine) RunUntilIdle(ctx context.Context) {
	for ctx.Err() == nil {
		e.mu.Lock()
		e.drain(ctx)
		if len(e.timers) == 0 {
			e.mu.Unlock()
			return
		}
		at := e.timers[0].at
		if e.vclock != nil {
			e.fireDue(ctx, at)
			e.mu.Unlock()
			continue
		}
		e.mu.Unlock()
		if d := time.Until(at); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		e.Tick(ctx)
	}
}

// fireDue runs timers due up to until in time order, then sets the clock to
// until.
func (e *Engine) fireDue(ctx context.Context, until time.Time) {
	e.drain(ctx)
	for len(e.timers) > 0 && !e.timers[0].at.After(until) && ctx.Err() == nil {
		t := e.timers.pop()
		if e.vclock != nil {
			e.vclock.Set(t.at)
		}
		e.fire(t.r)
		e.drain(ctx)
	}
	if e.vclock != nil {
		e.vclock.Set(until)
	}
}

// Stop aborts a running execution.
func (e *Engine) Stop(name, errName, cause string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	x, ok := e.execs[name]
	if !ok {
		return &Error{Name: "ExecutionDoesNotExist", Cause: fmt.Sprintf("execution %q does not exist", name)}
	}
	if x.Status != StatusRunning {
		return nil
	}
	x.Status = StatusAborted
	x.Error, x.Cause = errName, cause
	x.StopTime = e.clock.Now()
	e.record(x, event{eventKind: kindExecutionAborted, val: &eventExtra{errName: errName, cause: cause}})
	return nil
}

// Executions lists executions in start order.
func (e *Engine) Executions() []*Execution {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*Execution(nil), e.order...)
}

// Get returns the named execution, or nil.
func (e *Engine) Get(name string) *Execution {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.execs[name]
}

// Snapshot copies an execution's public fields under the engine's lock.
func (e *Engine) Snapshot(name string) (Execution, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	x, ok := e.execs[name]
	if !ok {
		return Execution{}, false
	}
	return Execution{Name: x.Name, ARN: x.ARN, StateMachine: x.StateMachine, Status: x.Status, Input: x.Input,
		Output: x.Output, Error: x.Error, Cause: x.Cause, StartTime: x.StartTime, StopTime: x.StopTime}, true
}

// Run validates sm and runs one execution to completion in virtual time.
func Run(ctx context.Context, sm *StateMachine, input any, opts EngineOptions) (*Execution, error) {
	if err := Validate(sm); err != nil {
		return nil, err
	}
	e := NewEngine(opts)
	x, err := e.Start(ctx, sm, "", input)
	if err != nil {
		return nil, err
	}
	e.RunUntilIdle(ctx)
	if err := ctx.Err(); err != nil {
		return x, fmt.Errorf("run: %w", err)
	}
	return x, nil
}

// timer heap

type timer struct {
	at  time.Time
	seq uint64
	r   *run
}

// timerHeap is a binary min-heap of timers by (at, seq), held by value (a
// parked run costs no timer allocation).
type timerHeap []timer

func (h timerHeap) less(i, j int) bool {
	if h[i].at.Equal(h[j].at) {
		return h[i].seq < h[j].seq
	}
	return h[i].at.Before(h[j].at)
}

func (h *timerHeap) push(t timer) {
	*h = append(*h, t)
	a := *h
	for i := len(a) - 1; i > 0; {
		p := (i - 1) / 2
		if !a.less(i, p) {
			break
		}
		a[i], a[p] = a[p], a[i]
		i = p
	}
}

func (h *timerHeap) pop() timer {
	a := *h
	t := a[0]
	n := len(a) - 1
	a[0] = a[n]
	a[n] = timer{}
	a = a[:n]
	for i := 0; ; {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && a.less(r, l) {
			m = r
		}
		if !a.less(m, i) {
			break
		}
		a[i], a[m] = a[m], a[i]
		i = m
	}
	*h = a
	return t
}

func (e *Engine) schedule(at time.Time, r *run) {
	// A parked run keeps no context object: 100,000 waiting executions
	// should not hold one each (it is rebuilt on the next state entry).
	r.ctx = nil
	if r.exec != nil {
		r.exec.ctxExec, r.exec.ctxSM = nil, nil
	}
	e.seq++
	e.timers.push(timer{at: at, seq: e.seq, r: r})
}

// drain runs ready runs until none is ready.
func (e *Engine) drain(ctx context.Context) {
	// The queue's array is reused: stepping appends to it while this
	// loop reads from its front.
	for e.readyAt < len(e.ready) {
		r := e.ready[e.readyAt]
		e.ready[e.readyAt] = nil
		e.readyAt++
		e.step(ctx, r)
	}
	e.ready, e.readyAt = e.ready[:0], 0
}

func (e *Engine) fire(r *run) {
	if r.phase == phExecTimeout {
		x := r.exec
		if x.Status == StatusRunning {
			e.endExecution(x, StatusTimedOut, nil, &Error{Name: ErrTimeout, Cause: "The execution timed out"})
		}
		return
	}
	e.ready = append(e.ready, r)
}
