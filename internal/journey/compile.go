package journey

import (
	"fmt"
	"strings"
	"time"

	"github.com/parcours/parcours/internal/asl"
	"github.com/parcours/parcours/internal/journey/contract"
	"github.com/parcours/parcours/internal/profile"
)

// Resources and substitutions the compiled definitions use. SAM's
// DefinitionSubstitutions resolve the ${...} placeholders.
const (
	ResourceGetItem = "arn:aws:states:::dynamodb:getItem"
	ResourceInvoke  = "arn:aws:states:::lambda:invoke"
	SubstTable      = "${TableName}"
	SubstSend       = "${SendFunctionArn}"
)

// Limits the compiler enforces.
const (
	MaxStateName     = 80
	MaxHistoryEvents = 25000
	sendAttempts     = 6 // Retry MaxAttempts on Lambda service errors and on Parcours.Retryable
)

// Names of the shared terminal states.
const (
	stateDone         = "Done"
	stateSendFailed   = "Send failed"
	stateTemplateErr  = "Template error"
	stateUnexpected   = "Unexpected send reply"
	exitStatePrefix   = "Exit: "
	holdoutPrefix     = "Holdout: "
	windowWaitPrefix  = "Wait for send window: "
	sendStatePrefix   = "Send "
	sentChoicePrefix  = "Sent "
	readProfilePrefix = "Read profile "
	readOrderPrefix   = "Read order "
	checkPrefix       = "Check exits "
	// deferredPrefix starts the comment of every Choice rule that routes a
	// deferred send back (Measure leaves these loops out of the longest path).
	deferredPrefix = "deferred: "
)

// hole is a transition still to be pointed at the next state. choice is set
// when the hole is a Choice state's Default: an if step right after it adds
// its rules to that Choice instead of costing a transition of its own.
type hole struct {
	set    func(next string)
	choice *asl.State
}

type compiler struct {
	j      *Journey
	sm     *asl.StateMachine
	origin map[string]*Step // state name → the step that made it
	reads  uses             // what a refresh reads
	ends   asl.States       // shared terminal states, written after the others
	conds  int              // unnamed if steps so far
	cur    *Step
}

// Compile turns a validated journey into its state machine.
func Compile(j *Journey) (*asl.StateMachine, error) {
	sm, _, err := compile(j)
	return sm, err
}

func compile(j *Journey) (*asl.StateMachine, map[string]*Step, error) {
	c := &compiler{j: j, origin: map[string]*Step{}}
	c.sm = &asl.StateMachine{
		Comment:       fmt.Sprintf("%s (journey %q, compiled from journeys/%s/journey.yaml by parcours compile; do not edit)", strings.TrimSpace(j.Description), j.Name, j.Name),
		QueryLanguage: "JSONPath",
	}
	for _, x := range j.Exits {
		c.reads = c.reads.or(x.uses)
	}
	walkSteps(j.Steps, func(s *Step) {
		if s.Kind == KindIf {
			c.reads = c.reads.or(s.condUses)
		}
	})
	if len(j.numbers) > 0 {
		c.reads.profile = true
	}
	start := &hole{}
	start.set = func(n string) {
		if c.sm.StartAt == "" {
			c.sm.StartAt = n
		}
	}
	out, _, pend := c.seq(j.Steps, []hole{*start}, false)
	out = c.settle(out, pend)
	if len(out) > 0 {
		link(out, c.terminal(stateDone, &asl.State{Type: "Succeed", Comment: "The journey ran to its end."}))
	}
	for _, n := range c.ends.Names() {
		c.sm.States.Add(n, c.ends.Get(n))
	}
	return c.sm, c.origin, nil
}

func walkSteps(steps []*Step, f func(*Step)) {
	for _, s := range steps {
		f(s)
		walkSteps(s.Then, f)
		walkSteps(s.Else, f)
		for _, b := range s.Branches {
			walkSteps(b.Steps, f)
		}
	}
}

// add appends a state and points the holes at it. A name already taken by a
// shared state (Done, Exit: ...) just receives the transitions.
func (c *compiler) add(name string, st *asl.State, in []hole) string {
	if c.sm.States.Get(name) == nil {
		c.sm.States.Add(name, st)
		c.origin[name] = c.cur
	}
	link(in, name)
	return name
}

func link(in []hole, name string) {
	for _, h := range in {
		h.set(name)
	}
}

// unique returns base, or base (2), (3)... when taken.
func (c *compiler) unique(base string) string {
	name := base
	for i := 2; c.sm.States.Get(name) != nil || c.ends.Get(name) != nil; i++ {
		name = fmt.Sprintf("%s (%d)", base, i)
	}
	return name
}

func nextHole(st *asl.State) hole {
	return hole{set: func(n string) { st.Next = n }}
}

func defaultHole(st *asl.State) hole {
	return hole{set: func(n string) { st.Default = n }, choice: st}
}

func ruleHole(st *asl.State, i int) hole {
	return hole{set: func(n string) { st.Choices[i].Next = n }}
}

// pendingSend is a send Task whose answer no Choice has looked at yet. A
// wait right after it ends at the answer's resume_at, and the Choice after
// that wait's read sends it again when it was deferred: no "Sent?" Choice.
type pendingSend struct {
	step    *Step
	name    string // the Task's state name
	task    *asl.State
	payload map[string]any
}

// seq compiles a list of steps entered through in. fresh says the profile
// was read since the last wait. It returns the holes leaving the list (none
// when every path ends), whether the profile is still fresh there, and the
// send Tasks those holes leave from when every one of them does (pend;
// the holes are then exactly their Next).
func (c *compiler) seq(steps []*Step, in []hole, fresh bool) ([]hole, bool, []*pendingSend) {
	var pend []*pendingSend
	for _, s := range steps {
		c.cur = s
		if len(pend) > 0 && !c.waitsAfterSend(s) {
			in, pend = c.settle(in, pend), nil
		}
		switch s.Kind {
		case KindWait:
			if len(pend) > 0 {
				in, fresh, pend = c.waitAfterSend(s, pend), true, nil
				continue
			}
			var name string
			if s.Until != "" {
				in, name = c.waitUntil(s, in)
			} else {
				name = c.unique("Wait " + s.WaitText)
				st := &asl.State{Type: "Wait", Seconds: ptr(int64(s.Wait / time.Second))}
				c.add(name, st, in)
				in = []hole{nextHole(st)}
			}
			fresh = false
			if len(c.j.Exits) > 0 {
				in, fresh = c.refresh(in, "after "+name), true
			}
		case KindSend:
			if !fresh && len(c.j.Exits) > 0 {
				in = c.refresh(in, "before "+s.ID)
			}
			p := c.send(s, in)
			in, fresh, pend = []hole{nextHole(p.task)}, true, []*pendingSend{p}
		case KindIf:
			if !fresh && (c.reads != uses{}) {
				in, fresh = c.refresh(in, "before "+c.ifLabel(s, false)), true
			}
			in, fresh, pend = c.ifStep(s, in, fresh)
		case KindSplit:
			in, fresh, pend = c.split(s, in, fresh)
		case KindExit:
			link(in, c.terminal(exitStatePrefix+s.ID, &asl.State{Type: "Succeed", Comment: "exit step"}))
			return nil, fresh, nil
		}
	}
	return in, fresh, pend
}

// waitsAfterSend says whether step s, following send Tasks, takes their
// answers: a duration wait in a journey with exits (the Choice after its
// read handles a deferral).
func (c *compiler) waitsAfterSend(s *Step) bool {
	return s.Kind == KindWait && s.Until == "" && len(c.j.Exits) > 0
}

// merge joins the flows leaving the branches of an if or a split. When
// every branch that goes on leaves from send Tasks, their answers stay
// pending together; otherwise each pending send gets its own Choice.
func (c *compiler) merge(outs [][]hole, pends [][]*pendingSend) ([]hole, []*pendingSend) {
	allPending := true
	for i := range outs {
		if len(outs[i]) > 0 && len(pends[i]) == 0 {
			allPending = false
		}
	}
	var in []hole
	var pend []*pendingSend
	for i := range outs {
		if allPending {
			in = append(in, outs[i]...)
			pend = append(pend, pends[i]...)
		} else {
			in = append(in, c.settle(outs[i], pends[i])...)
		}
	}
	return in, pend
}

// settle gives each pending send its "Sent <id>?" Choice (with the deferral
// loop) and returns the holes leaving them; without pending sends, in.
func (c *compiler) settle(in []hole, pend []*pendingSend) []hole {
	if len(pend) == 0 {
		return in
	}
	var out []hole
	for _, p := range pend {
		out = append(out, c.sentChoice(p))
	}
	return out
}

// waitAfterSend compiles a duration wait right after send Tasks: the send
// function was told the wait (next_wait_seconds) and answered resume_at
// (the send time + the wait, or not_before when it deferred), so the Wait
// takes a TimestampPath; the Choice after the fresh read checks the exits
// first (an order placed during a deferral still ends the journey), then
// sends a deferred email again, then goes on.
func (c *compiler) waitAfterSend(s *Step, pend []*pendingSend) []hole {
	secs := int64(s.Wait / time.Second)
	var in []hole
	for _, p := range pend {
		p.payload["next_wait_seconds"] = secs
		in = append(in, nextHole(p.task))
	}
	name := c.unique("Wait " + s.WaitText)
	st := &asl.State{Type: "Wait", TimestampPath: "$.send.reply.resume_at",
		Comment: fmt.Sprintf("%s after the send (resume_at), or until the deferred send's not_before.", s.WaitText)}
	c.add(name, st, in)
	out := c.refresh([]hole{nextHole(st)}, "after "+name)
	ch := out[0].choice
	for _, p := range pend {
		r := asl.ChoiceRule{Comment: deferredPrefix + "send " + p.step.ID + " again", Variable: "$.send.reply.status", StringEquals: ptr(contract.StatusDeferred), Next: p.name}
		if len(pend) > 1 {
			r = asl.ChoiceRule{Comment: r.Comment, And: []asl.ChoiceRule{
				{Variable: "$.send.step", StringEquals: ptr(p.step.ID)},
				{Variable: "$.send.reply.status", StringEquals: ptr(contract.StatusDeferred)},
			}, Next: p.name}
		}
		ch.Choices = append(ch.Choices, r)
	}
	ch.Choices = append(ch.Choices, c.unexpectedRule())
	return out
}

// unexpectedRule fails the execution on an answer that is neither sent,
// skipped nor deferred.
func (c *compiler) unexpectedRule() asl.ChoiceRule {
	status := "$.send.reply.status"
	return asl.ChoiceRule{Comment: "anything but sent, skipped or deferred", Not: &asl.ChoiceRule{Or: []asl.ChoiceRule{
		{Variable: status, StringEquals: ptr(contract.StatusSent)},
		{Variable: status, StringEquals: ptr(contract.StatusSkipped)},
		{Variable: status, StringEquals: ptr(contract.StatusDeferred)},
	}}, Next: c.failState(stateUnexpected, contract.ErrSendFailed, "The send function answered neither sent, skipped nor deferred.")}
}

// waitUntil compiles wait {until: HH:MM}: JSONPath cannot compute the next
// 09:00 in the profile's time zone, so a Task asks the send function
// (action resolve_wait) and a Wait takes its resume_at.
func (c *compiler) waitUntil(s *Step, in []hole) ([]hole, string) {
	task := &asl.State{
		Type:     "Task",
		Comment:  fmt.Sprintf("The next %s in the profile's time zone (else the shop's), from the send function.", s.Until),
		Resource: ResourceInvoke,
		Parameters: map[string]any{
			"FunctionName": SubstSend,
			"Payload": map[string]any{
				"action":        contract.ActionResolveWait,
				"until":         s.Until,
				"journey":       c.j.Name,
				"execution.$":   "$$.Execution.Name",
				"profile_key.$": "$.profile_key",
			},
		},
		ResultSelector: map[string]any{"resume_at.$": "$.Payload.resume_at"},
		ResultPath:     ptr("$.wait"),
		TimeoutSeconds: ptr(30),
		Retry:          sendRetry(),
	}
	c.add(c.unique("Resolve until "+s.Until), task, in)
	name := c.unique("Wait until " + s.Until)
	c.add(name, &asl.State{Type: "Wait", TimestampPath: "$.wait.resume_at", Comment: "Until " + s.Until + " in the profile's time zone."}, []hole{nextHole(task)})
	return []hole{nextHole(c.sm.States.Get(name))}, name
}

// refresh reads what the journey's conditions need and checks exit_when.
func (c *compiler) refresh(in []hole, when string) []hole {
	if c.reads.order {
		st := &asl.State{
			Type:     "Task",
			Comment:  "Fresh read of the triggering order (pk PROFILE#<email>, sk ORDER#<source>#<id>). A missing item fails the execution (States.Runtime).",
			Resource: ResourceGetItem,
			Parameters: map[string]any{
				"TableName": SubstTable,
				"Key": map[string]any{
					profile.AttrPK: map[string]any{"S.$": "States.Format('PROFILE#{}', $.profile_key)"},
					profile.AttrSK: map[string]any{"S.$": "States.Format('ORDER#{}#{}', $.trigger.source, $.trigger.order.id)"},
				},
				"ConsistentRead": true,
			},
			ResultSelector: map[string]any{"view.$": "States.StringToJson($.Item.view.S)"},
			ResultPath:     ptr("$.order"),
			Retry:          readRetry(),
		}
		c.add(c.unique(readOrderPrefix+when), st, in)
		in = []hole{nextHole(st)}
	}
	if c.reads.profile || !c.reads.order {
		sel := map[string]any{"view.$": "States.StringToJson($.Item.view.S)"}
		if len(c.j.numbers) > 0 {
			nums := map[string]any{}
			for _, n := range c.j.numbers {
				nums[strings.ReplaceAll(n, ".", "_")+".$"] = "States.StringToJson($$.Execution.Input.trigger." + n + ")"
			}
			sel["numbers"] = nums
		}
		st := &asl.State{
			Type:     "Task",
			Comment:  "Fresh read of the profile view (pk PROFILE#<email>, sk PROFILE). A missing item fails the execution (States.Runtime).",
			Resource: ResourceGetItem,
			Parameters: map[string]any{
				"TableName": SubstTable,
				"Key": map[string]any{
					profile.AttrPK: map[string]any{"S.$": "States.Format('PROFILE#{}', $.profile_key)"},
					profile.AttrSK: map[string]any{"S": profile.SKProfile},
				},
				"ConsistentRead": true,
			},
			ResultSelector: sel,
			ResultPath:     ptr("$.profile"),
			Retry:          readRetry(),
		}
		c.add(c.unique(readProfilePrefix+when), st, in)
		in = []hole{nextHole(st)}
	}
	if len(c.j.Exits) == 0 {
		return in
	}
	ch := &asl.State{Type: "Choice"}
	for _, x := range c.j.Exits {
		r := x.Rule
		r.Comment = x.Name
		r.Next = c.gone(exitStatePrefix+x.Name, "exit_when: "+x.Name)
		ch.Choices = append(ch.Choices, r)
	}
	c.add(c.unique(checkPrefix+when), ch, in)
	return []hole{defaultHole(ch)}
}

// gone makes (once) a Succeed state for an exit.
func (c *compiler) gone(name, comment string) string {
	return c.terminal(name, &asl.State{Type: "Succeed", Comment: comment})
}

// terminal adds (once) a shared end state; they are written last.
func (c *compiler) terminal(name string, st *asl.State) string {
	if c.ends.Get(name) == nil {
		c.ends.Add(name, st)
		c.origin[name] = c.cur
	}
	return name
}

func readRetry() []asl.Retrier {
	return []asl.Retrier{{
		ErrorEquals: []string{"States.TaskFailed"}, IntervalSeconds: ptr(1), MaxAttempts: ptr(3),
		BackoffRate: ptr(2.0), MaxDelaySeconds: ptr(30), JitterStrategy: "FULL",
	}}
}

func sendRetry() []asl.Retrier {
	return []asl.Retrier{{
		ErrorEquals:     []string{"Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"},
		IntervalSeconds: ptr(2), MaxAttempts: ptr(sendAttempts), BackoffRate: ptr(2.0), MaxDelaySeconds: ptr(60), JitterStrategy: "FULL",
	}, {
		// Storage or SES failed; the send function left the step
		// retryable (nothing sent, cap given back).
		ErrorEquals:     []string{contract.ErrRetryable},
		IntervalSeconds: ptr(5), MaxAttempts: ptr(sendAttempts), BackoffRate: ptr(2.0), MaxDelaySeconds: ptr(300), JitterStrategy: "FULL",
	}}
}

func (c *compiler) send(s *Step, in []hole) *pendingSend {
	payload := map[string]any{
		"journey":           c.j.Name,
		"step":              s.ID,
		"template":          s.Template,
		"subject":           s.Subject,
		"policy":            c.j.Policy,
		"next_wait_seconds": int64(0),
		"execution.$":       "$$.Execution.Name",
		"profile_key.$":     "$.profile_key",
		"trigger.$":         "$.trigger",
	}
	if len(s.Data) > 0 {
		payload["data"] = s.Data
	}
	task := &asl.State{
		Type:     "Task",
		Comment:  fmt.Sprintf("Email %q (templates %s.html and %s.txt).", s.ID, s.Template, s.Template),
		Resource: ResourceInvoke,
		Parameters: map[string]any{
			"FunctionName": SubstSend,
			"Payload":      payload,
		},
		ResultSelector: map[string]any{"reply.$": "$.Payload", "step": s.ID},
		ResultPath:     ptr("$.send"),
		TimeoutSeconds: ptr(120),
		Retry:          sendRetry(),
		Catch: []asl.Catcher{
			{ErrorEquals: []string{contract.ErrTemplate}, ResultPath: ptr("$.error"), Next: c.failState(stateTemplateErr, contract.ErrTemplate, "A template failed to render; fix it and redeploy.")},
			{ErrorEquals: []string{"States.ALL"}, ResultPath: ptr("$.error"), Next: c.terminal(stateSendFailed, &asl.State{
				Type: "Fail", Comment: "The send step gave up after its retries; the execution fails with the send's own error name and cause.",
				ErrorPath: "$.error.Error", CausePath: "$.error.Cause",
			})},
		},
	}
	name := c.unique(sendStatePrefix + s.ID)
	c.add(name, task, in)
	return &pendingSend{step: s, name: name, task: task, payload: payload}
}

// sentChoice is the "Sent <id>?" Choice of a send no wait follows: a
// deferred answer waits for not_before, re-checks the exits and sends
// again; an unexpected one fails.
func (c *compiler) sentChoice(p *pendingSend) hole {
	c.cur = p.step
	notBefore := "$.send.reply.not_before"
	ch := &asl.State{Type: "Choice", Choices: []asl.ChoiceRule{
		{Comment: deferredPrefix + "wait for not_before, re-check, send again", And: []asl.ChoiceRule{
			{Variable: "$.send.reply.status", StringEquals: ptr(contract.StatusDeferred)},
			{Variable: notBefore, IsPresent: ptr(true)},
			{Variable: notBefore, IsTimestamp: ptr(true)},
		}},
		c.unexpectedRule(),
	}}
	c.add(c.unique(sentChoicePrefix+p.step.ID+"?"), ch, []hole{nextHole(p.task)})

	// The deferral loop: only taken when the send function defers.
	wait := &asl.State{Type: "Wait", Comment: "The send function deferred (quiet hours, frequency cap): wait until not_before.", TimestampPath: notBefore}
	c.add(c.unique(windowWaitPrefix+p.step.ID), wait, []hole{ruleHole(ch, 0)})
	loop := []hole{nextHole(wait)}
	if len(c.j.Exits) > 0 {
		loop = c.refresh(loop, "to retry "+p.step.ID)
	}
	link(loop, p.name)
	return defaultHole(ch)
}

func (c *compiler) failState(name, errName, cause string) string {
	return c.terminal(name, &asl.State{Type: "Fail", Error: errName, Cause: cause})
}

func (c *compiler) ifLabel(s *Step, count bool) string {
	if s.ID != "" {
		return s.ID
	}
	if count {
		c.conds++
		return fmt.Sprintf("Condition %d", c.conds)
	}
	return fmt.Sprintf("Condition %d", c.conds+1)
}

// ifStep adds the condition to the Choice just before it when there is one
// (saving a transition), else to a new Choice.
func (c *compiler) ifStep(s *Step, in []hole, fresh bool) ([]hole, bool, []*pendingSend) {
	label := c.ifLabel(s, true)
	rule := s.Cond
	rule.Comment = label
	var ch *asl.State
	if len(in) == 1 && in[0].choice != nil {
		ch = in[0].choice
	} else {
		ch = &asl.State{Type: "Choice"}
		c.add(c.unique(label+"?"), ch, in)
	}
	ch.Choices = append(ch.Choices, rule)
	thenIn := []hole{ruleHole(ch, len(ch.Choices)-1)}
	elseIn := []hole{defaultHole(ch)}
	out1, f1, p1 := c.seq(s.Then, thenIn, fresh)
	out2, f2, p2 := c.seq(s.Else, elseIn, fresh)
	if out1 == nil {
		f1 = true
	}
	if out2 == nil {
		f2 = true
	}
	out, pend := c.merge([][]hole{out1, out2}, [][]*pendingSend{p1, p2})
	return out, f1 && f2, pend
}

func (c *compiler) split(s *Step, in []hole, fresh bool) ([]hole, bool, []*pendingSend) {
	roll := &asl.State{
		Type:       "Pass",
		Comment:    fmt.Sprintf("Random split %q: a number from 0 to 99.", s.ID),
		Parameters: map[string]any{"id": s.ID, "roll.$": "States.MathRandom(0, 100)"},
		ResultPath: ptr("$.split"),
	}
	c.add(c.unique("Split "+s.ID), roll, in)
	ch := &asl.State{Type: "Choice"}
	c.add(c.unique("Split "+s.ID+": which branch?"), ch, []hole{nextHole(roll)})
	var outs [][]hole
	var pends [][]*pendingSend
	allFresh := true
	upper := 0
	for i, b := range s.Branches {
		upper += b.Percent
		var bin []hole
		if i == len(s.Branches)-1 {
			bin = []hole{{set: func(n string) { ch.Default = n }}}
		} else {
			ch.Choices = append(ch.Choices, asl.ChoiceRule{Comment: fmt.Sprintf("%s (%d%%)", b.Name, b.Percent), Variable: "$.split.roll", NumericLessThan: jsonNumber(fmt.Sprint(upper))})
			bin = []hole{ruleHole(ch, len(ch.Choices)-1)}
		}
		if b.Holdout {
			c.add(c.unique(holdoutPrefix+s.ID+" "+b.Name), &asl.State{Type: "Pass", Comment: fmt.Sprintf("Holdout group of split %q (%d%%): gets nothing, for measuring lift.", s.ID, b.Percent), End: true}, bin)
			continue
		}
		o, f, p := c.seq(b.Steps, bin, fresh)
		if o != nil {
			allFresh = allFresh && f
		}
		outs, pends = append(outs, o), append(pends, p)
	}
	out, pend := c.merge(outs, pends)
	return out, allFresh, pend
}
