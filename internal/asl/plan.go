package asl

import (
	"strings"
	"sync/atomic"
	"time"
	"unsafe"
)

// statePlan is a State prepared for running, built once per State on first
// use and shared by every engine and execution: its payload templates and
// Choice rules compiled (paths and intrinsic calls parsed, template keys
// sorted with ".$" stripped, literal sub-trees kept as shared values), its
// history event names and its resource's event fields computed. A plan is
// immutable; a State must not be changed once an engine has run it (the
// compiler builds a new definition instead).
type statePlan struct {
	typ            stateType
	parameters     *tmpl // Parameters (not for Map states)
	resultSelector *tmpl
	itemSelector   *tmpl // a Map state's ItemSelector, or its Parameters
	choices        []cRule

	// sameOutput is set when the state's output is always its input
	// unchanged (no paths, template or result), so its size, checked
	// before, need not be checked again.
	sameOutput bool
	// How the state's paths change a payload's size bound (payload.go):
	// inputPath and outputPath are pathKeep when the path selects one value
	// (never larger than the whole) or none, pathEmpty for null ({}),
	// pathUnknown otherwise; resultPath is rpReplace, rpDiscard or rpMerge
	// and rpOverhead bounds what rpMerge adds besides the result (the
	// objects it creates on the way). resultBound bounds a Pass state's
	// Result.
	inputPath, outputPath pathEffect
	resultPath            rpEffect
	rpOverhead            int32
	resultBound           int32
	result                any   // a Pass state's Result, in the engine's representation
	resultP               *Path // the ResultPath parsed, when it is a path

	// name is the state's name and kinds its history event kinds.
	name  string
	kinds [numKinds]*eventKind

	// next is the states this one has moved to, by name (nextState).
	next atomic.Pointer[nextStates]
}

// eventKind is an event's type, the state it names (none for execution
// events) and, for a Task state's events, the resourceType and resource
// they report; events share them.
type eventKind struct {
	typ, name    string
	resType, res string
}

// kindIndex picks a state's event kind.
type kindIndex uint8

const (
	kEntered kindIndex = iota
	kExited
	kSucceeded // ParallelStateSucceeded, MapStateSucceeded
	kTaskScheduled
	kTaskStarted
	kTaskSucceeded
	kTaskFailed
	kTaskTimedOut
	kParallelStarted
	kParallelFailed
	kMapStarted
	kMapFailed
	kMapIterationStarted
	kMapIterationSucceeded
	kMapIterationFailed
	numKinds
)

var kindTypes = [numKinds]string{
	kTaskScheduled: "TaskScheduled", kTaskStarted: "TaskStarted", kTaskSucceeded: "TaskSucceeded",
	kTaskFailed: "TaskFailed", kTaskTimedOut: "TaskTimedOut", kParallelStarted: "ParallelStateStarted",
	kParallelFailed: "ParallelStateFailed", kMapStarted: "MapStateStarted", kMapFailed: "MapStateFailed",
	kMapIterationStarted: "MapIterationStarted", kMapIterationSucceeded: "MapIterationSucceeded",
	kMapIterationFailed: "MapIterationFailed",
}

// Execution event kinds.
var (
	kindExecutionStarted   = &eventKind{typ: "ExecutionStarted"}
	kindExecutionSucceeded = &eventKind{typ: "ExecutionSucceeded"}
	kindExecutionFailed    = &eventKind{typ: "ExecutionFailed"}
	kindExecutionTimedOut  = &eventKind{typ: "ExecutionTimedOut"}
	kindExecutionAborted   = &eventKind{typ: "ExecutionAborted"}
)

// kind returns the state's event kind k. A run's plan is always
// planOf(r.st, r.name), whose name is r.name (planOf never returns the plan
// of a State reused under another name), so the kind names the run's state.
func (p *statePlan) kind(k kindIndex) *eventKind { return p.kinds[k] }

// stateType is a State's Type, resolved once in its plan.
type stateType uint8

const (
	stUnknown stateType = iota
	stPass
	stTask
	stChoice
	stWait
	stSucceed
	stFail
	stParallel
	stMap
)

func stateTypeOf(t string) stateType {
	switch t {
	case "Pass":
		return stPass
	case "Task":
		return stTask
	case "Choice":
		return stChoice
	case "Wait":
		return stWait
	case "Succeed":
		return stSucceed
	case "Fail":
		return stFail
	case "Parallel":
		return stParallel
	case "Map":
		return stMap
	}
	return stUnknown
}

// planOf returns the plan of st, the state named name, built on first use
// and kept in st (a State is not changed once run; two engines that build
// it at once keep one of the two equal plans).
func planOf(st *State, name string) *statePlan {
	if p := (*statePlan)(atomic.LoadPointer(&st.plan)); p != nil && p.name == name {
		return p
	}
	p := compilePlan(st, name)
	atomic.CompareAndSwapPointer(&st.plan, nil, unsafe.Pointer(p))
	return p
}

func compilePlan(st *State, name string) *statePlan {
	p := &statePlan{name: name, typ: stateTypeOf(st.Type)}
	types := kindTypes
	types[kEntered] = st.Type + "StateEntered"
	types[kExited] = st.Type + "StateExited"
	types[kSucceeded] = st.Type + "StateSucceeded"
	var rt, rs string
	if st.Type == "Task" {
		rt, rs = resourceParts(st.Resource)
	}
	for k, typ := range types {
		p.kinds[k] = &eventKind{typ: typ, name: name, resType: rt, res: rs}
	}
	if st.Parameters != nil && st.Type != "Map" {
		p.parameters = compileTemplate("Parameters", st.Parameters)
	}
	if st.ResultSelector != nil {
		p.resultSelector = compileTemplate("ResultSelector", st.ResultSelector)
	}
	if st.Type == "Map" {
		sel := st.ItemSelector
		if sel == nil {
			sel = st.Parameters
		}
		if sel != nil {
			p.itemSelector = compileTemplate("ItemSelector", sel)
		}
	}
	if len(st.Choices) > 0 {
		p.choices = make([]cRule, len(st.Choices))
		for i := range st.Choices {
			compileRule(&p.choices[i], &st.Choices[i])
		}
	}
	p.inputPath, p.outputPath = pathEffectOf(st.InputPath), pathEffectOf(st.OutputPath)
	p.resultPath, p.rpOverhead = rpEffectOf(st.ResultPath)
	if rp := st.ResultPath; rp != nil && *rp != "$" && !IsNullPath(rp) {
		p.resultP, _ = parsePathCached(*rp) // an error is raised when the state runs
	}
	if st.Result != nil || st.resultSet {
		p.result = literal(st.Result)
		p.resultBound = clampBound(PayloadSize(p.result))
	}
	if st.InputPath == nil && st.OutputPath == nil {
		switch st.Type {
		case "Choice", "Wait", "Succeed":
			p.sameOutput = true
		case "Pass":
			p.sameOutput = st.Parameters == nil && st.Result == nil && !st.resultSet && st.ResultPath == nil
		}
	}
	return p
}

// parsePathCached and parseIntrinsicCached parse through the process-wide
// caches.
func parsePathCached(s string) (*Path, error) {
	if p, ok := parsedPaths.Load(s); ok {
		return p.(*Path), nil
	}
	p, err := ParsePath(s)
	if err != nil {
		return nil, err
	}
	cacheParsed(&parsedPaths, s, p)
	return p, nil
}

func parseIntrinsicCached(s string) (*Intrinsic, error) {
	if f, ok := parsedCalls.Load(s); ok {
		return f.(*Intrinsic), nil
	}
	f, err := ParseIntrinsic(s)
	if err != nil {
		return nil, err
	}
	cacheParsed(&parsedCalls, s, f)
	return f, nil
}

// copyErr returns a fresh copy of a compiled error, so no caller can change
// the plan's.
func copyErr(e *Error) *Error {
	c := *e
	return &c
}

// Payload templates

type tmplKind uint8

const (
	tLit  tmplKind = iota // a value without ".$" keys, shared as is
	tObj                  // an object with ".$" keys somewhere below
	tArr                  // an array with ".$" keys somewhere below
	tPath                 // the value of a ".$" key: a path
	tCall                 // the value of a ".$" key: an intrinsic function
	tErr                  // the value of a ".$" key that fails when evaluated
)

// tmpl is a compiled payload template (Parameters, ItemSelector,
// ResultSelector).
type tmpl struct {
	kind   tmplKind
	lit    any
	fields []tmplField // tObj: the fields to evaluate, keys as written sorted
	proto  *Object     // tObj: every output key, the literal fields with their values (copied for each output)
	elems  []*tmpl     // tArr
	key    string      // tPath: the key as written (with ".$"), for messages
	expr   string      // tPath: the path as written
	path   *Path
	call   *Intrinsic
	err    *Error
	// bound bounds the payload size of a tLit's value, of a tObj's output
	// without its evaluated fields (their keys included, each counted with
	// a null value), of a tArr's brackets and commas (payload.go).
	bound int32
}

type tmplField struct {
	name string // the output key (".$" stripped)
	idx  int    // its index in proto
	t    *tmpl
}

// hasDollar reports whether any object in v has a key ending in ".$".
func hasDollar(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if strings.HasSuffix(k, ".$") || hasDollar(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if hasDollar(e) {
				return true
			}
		}
	}
	return false
}

func compileTemplate(field string, v any) *tmpl {
	t := compileTemplateNode(field, v)
	switch t.kind {
	case tLit:
		t.bound = clampBound(PayloadSize(t.lit))
	case tObj:
		t.bound = clampBound(PayloadSize(t.proto))
	case tArr:
		t.bound = clampBound(2 + len(t.elems))
	}
	return t
}

func compileTemplateNode(field string, v any) *tmpl {
	if !hasDollar(v) {
		return &tmpl{kind: tLit, lit: literal(v)}
	}
	switch x := v.(type) {
	case map[string]any:
		// Sorted keys: intrinsic functions that draw random numbers must
		// draw them in a stable order for seeded runs to repeat.
		// The prototype object holds every output key: the literal fields
		// (no ".$" at or below them, so no effects) with their values, the
		// others with nil. An output is a copy of it (one allocation, one
		// memmove) with the evaluated fields then set in key order, each
		// at its index. A ".$" key sorts after the plain key it shadows
		// ("a" < "a.$"), so it still wins.
		t := &tmpl{kind: tObj}
		var ms []Member
		for _, k := range sortedKeys(x) {
			if name, ok := strings.CutSuffix(k, ".$"); ok {
				t.fields = append(t.fields, tmplField{name: name, t: compileDollar(field, k, x[k])})
				ms = append(ms, Member{intern(name), nil})
				continue
			}
			if !hasDollar(x[k]) {
				ms = append(ms, Member{intern(k), literal(x[k])})
				continue
			}
			t.fields = append(t.fields, tmplField{name: k, t: compileTemplate(field, x[k])})
			ms = append(ms, Member{intern(k), nil})
		}
		t.proto = objectOf(ms)
		for i := range t.fields {
			t.fields[i].idx, _ = t.proto.find(t.fields[i].name)
		}
		return t
	case []any:
		t := &tmpl{kind: tArr, elems: make([]*tmpl, len(x))}
		for i, e := range x {
			t.elems[i] = compileTemplate(field, e)
		}
		return t
	}
	return &tmpl{kind: tLit, lit: literal(v)}
}

// literal is a definition's value (decoded by encoding/json) in the
// engine's representation.
func literal(v any) any {
	n, err := Normalize(v)
	if err != nil {
		return v
	}
	return n
}

func compileDollar(field, key string, v any) *tmpl {
	s, ok := v.(string)
	if !ok {
		return &tmpl{kind: tErr, err: newError(ErrRuntime, "the value of %s field %q must be a string", field, key)}
	}
	if IsIntrinsic(s) {
		f, err := parseIntrinsicCached(s)
		if err != nil {
			return &tmpl{kind: tErr, err: &Error{Name: ErrRuntime, Cause: err.Error()}}
		}
		return &tmpl{kind: tCall, call: f}
	}
	p, err := parsePathCached(s)
	if err != nil {
		return &tmpl{kind: tErr, err: &Error{Name: ErrRuntime, Cause: err.Error()}}
	}
	return &tmpl{kind: tPath, key: key, expr: s, path: p}
}

// evalTemplate evaluates a compiled template against input. field names the
// template in error messages. It also returns a bound of the output's
// payload size (payload.go), from in, a bound of input's (0: not known):
// a value a definite path selects from the input is never larger than the
// input, a string's bound is its length, and only a container that came
// from elsewhere (the context object, a path that may select many values,
// an intrinsic function other than States.StringToJson) is walked.
func (e *Engine) evalTemplate(r *run, field string, t *tmpl, input any, in int32) (any, int32, error) {
	switch t.kind {
	case tLit:
		return t.lit, t.bound, nil
	case tObj:
		out := e.arena.object(len(t.proto.ms))
		copy(out.ms, t.proto.ms)
		b := t.bound
		for i := range t.fields {
			f := &t.fields[i]
			var v any
			var vb int32
			if ft := f.t; ft.kind == tPath && !ft.path.context {
				// A path into the input, the common field, evaluated
				// here (as the tPath case below does).
				var ok bool
				if v, ok = ft.path.Eval(input, nil); !ok {
					return nil, 0, pathNotFound(r, ft, field)
				}
				if ft.path.definite {
					vb = valueBound(v, in)
				} else {
					vb = valueBound(v, 0)
				}
			} else {
				var err error
				if v, vb, err = e.evalTemplate(r, field, ft, input, in); err != nil {
					return nil, 0, err
				}
			}
			out.ms[f.idx].Value = v
			b = addBounds(b, vb)
		}
		return out, b, nil
	case tArr:
		out := make([]any, len(t.elems))
		b := t.bound
		for i, el := range t.elems {
			v, vb, err := e.evalTemplate(r, field, el, input, in)
			if err != nil {
				return nil, 0, err
			}
			out[i] = v
			b = addBounds(b, vb)
		}
		return out, b, nil
	case tPath:
		v, ok := e.evalParsed(r, t.path, input)
		if !ok {
			return nil, 0, pathNotFound(r, t, field)
		}
		if in > 0 && t.path.definite && !t.path.context {
			return v, valueBound(v, in), nil
		}
		return v, valueBound(v, 0), nil
	case tCall:
		return e.callIntrinsicBound(r, t.call, input)
	}
	return nil, 0, copyErr(t.err)
}

// pathNotFound is the error of a template's path (t, a tPath) that selects
// nothing. States.Runtime, not States.ParameterPathFailure: see errors.go.
func pathNotFound(r *run, t *tmpl, field string) error {
	return newError(ErrRuntime, "The JSONPath '%s' specified for the field '%s' could not be found in the input of the %s of state '%s'", t.expr, t.key, field, r.name)
}

// callIntrinsicBound is callIntrinsic with a bound of the result's payload
// size: a scalar's costs nothing to work out, and an object
// States.StringToJson decodes keeps the bound its text gives (at most 3
// bytes per byte of text; fnStringToJSON, FuzzStringToJSONBound).
func (e *Engine) callIntrinsicBound(r *run, f *Intrinsic, input any) (any, int32, error) {
	v, err := e.callIntrinsic(r, f, input)
	if err != nil {
		return nil, 0, err
	}
	return v, valueBound(v, 0), nil
}

// callIntrinsic evaluates an intrinsic call with the engine's reusable
// environment (no allocation for it or its argument list).
func (e *Engine) callIntrinsic(r *run, f *Intrinsic, input any) (any, error) {
	env := &e.ienv
	env.input, env.eng, env.run, env.rng = input, e, r, e.rng
	if env.args == nil {
		env.args = make([]any, 0, 8)
	}
	v, err := f.eval(env)
	env.input, env.run = nil, nil
	return v, err
}

// evalParsed evaluates a parsed path against input, or against the context
// object for "$$" paths.
func (e *Engine) evalParsed(r *run, p *Path, input any) (any, bool) {
	if p.context {
		return e.ctxPath(r, p, input)
	}
	return p.Eval(input, nil)
}

// Context object

// ctxPath evaluates a "$$" path. A definite path into $$.Execution,
// $$.StateMachine or $$.State reads that part alone, without building the
// whole context object for the state (the common case: a template or rule
// reads one field); anything else evaluates against contextObject.
func (e *Engine) ctxPath(r *run, p *Path, input any) (any, bool) {
	if r.ctx != nil || !p.definite || len(p.segs) == 0 || p.segs[0].op != segName {
		return p.Eval(input, e.contextObject(r))
	}
	segs := p.segs[1:]
	var v any
	switch p.segs[0].name {
	case "Execution":
		if len(segs) == 0 || segs[0].op != segName {
			v = e.ctxExecution(r.exec)
			break
		}
		x := r.exec
		switch segs[0].name {
		case "Id":
			v = x.ARN
		case "Name":
			v = x.nameValue()
		case "StartTime":
			v = x.startTime()
		case "Input":
			v = x.Input
		case "RoleArn":
			v = roleARN
		default:
			return nil, false
		}
		segs = segs[1:]
	case "StateMachine":
		if r.exec.ctxSM == nil {
			e.ctxExecution(r.exec)
		}
		v = r.exec.ctxSM
	case "State":
		if len(segs) == 0 {
			return p.Eval(input, e.contextObject(r))
		}
		if segs[0].op != segName {
			return nil, false
		}
		switch segs[0].name {
		case "Name":
			v = r.name
		case "EnteredTime":
			v = formatTime(r.entered)
		case "RetryCount":
			v = intNumber(int64(r.retryCount))
		default:
			return nil, false
		}
		segs = segs[1:]
	default:
		return nil, false // $$.Map exists only in an ItemSelector (r.ctx set)
	}
	for i := range segs {
		var ok bool
		if v, ok = step1(v, &segs[i]); !ok {
			return nil, false
		}
	}
	return v, true
}

// ctxExecution returns the context object's Execution object, building it
// (and the StateMachine object) once per execution run.
func (e *Engine) ctxExecution(x *Execution) *Object {
	if x.ctxExec == nil {
		x.ctxExec = newObject(5) // in key order
		x.ctxExec.ms[0] = Member{"Id", x.ARN}
		x.ctxExec.ms[1] = Member{"Input", x.Input}
		x.ctxExec.ms[2] = Member{"Name", x.nameValue()}
		x.ctxExec.ms[3] = Member{"RoleArn", roleARN}
		x.ctxExec.ms[4] = Member{"StartTime", x.startTime()}
		x.ctxSM = newObject(2)
		x.ctxSM.ms[0] = Member{"Id", "arn:aws:states:local:000000000000:stateMachine:" + x.smName}
		x.ctxSM.ms[1] = Member{"Name", x.smName}
	}
	return x.ctxExec
}

// roleARN is $$.Execution.RoleArn.
const roleARN = "arn:aws:iam::000000000000:role/parcours-local"

// Choice rules

type ruleKind uint8

const (
	ruleCmp ruleKind = iota
	ruleAnd
	ruleOr
	ruleNot
)

// cRule is a compiled ChoiceRule: paths parsed, operator and operand read
// once.
type cRule struct {
	kind      ruleKind
	subs      []cRule // And, Or; Not has one
	variable  string
	vpath     *Path
	verr      *Error // Variable does not parse
	isPresent int8   // 0: no IsPresent; 1: IsPresent false; 2: true
	op        string // comparator without its Path suffix; "" when none
	cop       cmpOp  // op
	operand   any
	// wantTime is a Timestamp operator's literal operand, parsed (when
	// hasTime).
	wantTime time.Time
	hasTime  bool
	isPath   bool
	opath    string
	oPath    *Path
	oerr     *Error
}

func compileRule(c *cRule, src *ChoiceRule) {
	switch {
	case len(src.And) > 0:
		c.kind = ruleAnd
		c.subs = make([]cRule, len(src.And))
		for i := range src.And {
			compileRule(&c.subs[i], &src.And[i])
		}
		return
	case len(src.Or) > 0:
		c.kind = ruleOr
		c.subs = make([]cRule, len(src.Or))
		for i := range src.Or {
			compileRule(&c.subs[i], &src.Or[i])
		}
		return
	case src.Not != nil:
		c.kind = ruleNot
		c.subs = make([]cRule, 1)
		compileRule(&c.subs[0], src.Not)
		return
	}
	c.variable = src.Variable
	if p, err := parsePathCached(src.Variable); err != nil {
		c.verr = &Error{Name: ErrRuntime, Cause: err.Error()}
	} else {
		c.vpath = p
	}
	if src.IsPresent != nil {
		c.isPresent = 1
		if *src.IsPresent {
			c.isPresent = 2
		}
	}
	c.op, c.operand, c.isPath = comparator(src)
	c.cop = cmpOpOf(c.op)
	if s, ok := c.operand.(string); ok && !c.isPath && c.cop.isTimestamp() {
		c.wantTime, c.hasTime = parseTimestamp(s)
	}
	if c.isPath {
		c.opath = c.operand.(string)
		if p, err := parsePathCached(c.opath); err != nil {
			c.oerr = &Error{Name: ErrRuntime, Cause: err.Error()}
		} else {
			c.oPath = p
		}
	}
}

// evalRule evaluates one compiled choice rule. A comparison against a value
// of another type is false; a Variable (or a *Path operand) that does not
// exist is States.Runtime, except for IsPresent.
func (e *Engine) evalRule(r *run, c *cRule, input any) (bool, error) {
	switch c.kind {
	case ruleAnd:
		for i := range c.subs {
			ok, err := e.evalRule(r, &c.subs[i], input)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case ruleOr:
		for i := range c.subs {
			ok, err := e.evalRule(r, &c.subs[i], input)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case ruleNot:
		ok, err := e.evalRule(r, &c.subs[0], input)
		return !ok, err
	}
	if c.verr != nil {
		return false, copyErr(c.verr)
	}
	var v any
	var present bool
	if p := c.vpath; p.context {
		v, present = e.ctxPath(r, p, input)
	} else {
		v, present = p.Eval(input, nil)
	}
	if c.isPresent != 0 {
		return present == (c.isPresent == 2), nil
	}
	if !present {
		return false, newError(ErrRuntime, "Invalid path '%s' in a Choice rule of state '%s': the choice state's condition path references an invalid value", c.variable, r.name)
	}
	if c.cop == opNone {
		return false, newError(ErrRuntime, "a Choice rule of state '%s' has no comparison operator", r.name)
	}
	if c.hasTime {
		return compareTime(c.cop, v, c.wantTime), nil
	}
	want := c.operand
	if c.isPath {
		if c.oerr != nil {
			return false, copyErr(c.oerr)
		}
		w, ok := e.evalParsed(r, c.oPath, input)
		if !ok {
			return false, newError(ErrRuntime, "Invalid path '%s' in a Choice rule of state '%s': the choice state's condition path references an invalid value", c.opath, r.name)
		}
		if c.cop.isTimestamp() {
			// Parsed once, for the type check and the comparison.
			s, ok := w.(string)
			var tb time.Time
			if ok {
				tb, ok = parseTimestamp(s)
			}
			if ok {
				return compareTime(c.cop, v, tb), nil
			}
		}
		if !comparandType(c.cop, w) {
			// The AWS documentation does not say what a *Path comparand of
			// the wrong type does; aws-local-stepfunctions raises
			// States.Runtime and so do we (difftest cases
			// choice_*_path, choice_boolean). A Variable of the wrong type
			// only fails to match.
			return false, newError(ErrRuntime, "Path '%s' in a Choice rule of state '%s' evaluated to %s, but %s needs %s", c.opath, r.name, describe(w), c.op+"Path", comparandKind(c.cop))
		}
		want = w
	}
	return compareOp(c.cop, v, want), nil
}
