package simulate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/parcours/parcours/internal/asl"
	"github.com/parcours/parcours/internal/devstack"
	"github.com/parcours/parcours/internal/journey"
	"github.com/parcours/parcours/internal/journey/contract"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/router"
	"github.com/parcours/parcours/internal/touchpoint"
	"github.com/parcours/parcours/statemachines"
)

// Options configure a run.
type Options struct {
	// Dir is the repository root (template.yaml, statemachines/,
	// journeys/).
	Dir string
	// Journey is the journey whose timeline is reported.
	Journey string
	// Until, when set, stops the clock at t=Until. Zero means: until no
	// execution of the journey started by the scenario is running (at most
	// MaxOffset).
	Until time.Duration
	// Log receives the dev stack's JSON log lines (one write at a time);
	// nil discards them.
	Log io.Writer
}

// UnknownJourneyError is returned for a journey the compiled manifest
// (statemachines/triggers.json) does not hold.
type UnknownJourneyError struct {
	Name  string
	Known []string
}

func (e *UnknownJourneyError) Error() string {
	s := fmt.Sprintf("unknown journey %q", e.Name)
	if c := journey.Closest(e.Name, e.Known); c != "" {
		return s + " (hint: did you mean " + c + "?)"
	}
	return s + " (journeys: " + strings.Join(e.Known, ", ") + ")"
}

// Journeys lists the compiled journeys of the repository at dir.
func Journeys(dir string) ([]string, error) {
	m, err := router.LoadManifest(os.DirFS(filepath.Join(dir, "statemachines")), statemachines.Triggers)
	if err != nil {
		return nil, fmt.Errorf("load the compiled journeys: %w", err)
	}
	var out []string
	for _, j := range m.Journeys {
		out = append(out, j.Journey)
	}
	slices.Sort(out)
	return out, nil
}

// Result is what a scenario did.
type Result struct {
	Scenario string    `json:"scenario"`
	File     string    `json:"file"`
	Journey  string    `json:"journey"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	// Timezone is the zone local times are shown in: the profile's, else
	// the shop's (what quiet hours use).
	Timezone string `json:"timezone"`
	Profile  string `json:"profile"`
	// Executions are the journey's executions started at or after t=0.
	Executions []ExecutionSummary `json:"executions"`
	Timeline   []Entry            `json:"timeline"`
	// Others are other journeys' executions for the profile: started by
	// the scenario, or started before t=0 and still running then.
	Others []Other `json:"others"`
	// Unplayed are the events after --until, not played.
	Unplayed []string `json:"unplayed,omitempty"`
	// Checks are the expect block's outcomes (empty without one).
	Checks []Check `json:"checks"`

	loc *time.Location
}

// ExecutionSummary is one execution of the journey.
type ExecutionSummary struct {
	Name       string    `json:"name"`
	TriggerKey string    `json:"trigger_key"`
	Status     string    `json:"status"`
	StartedAt  time.Time `json:"started_at"`
	StoppedAt  time.Time `json:"stopped_at,omitzero"`
	// Ending is "Done", an exit name, "failed: <error>" or "running".
	Ending string `json:"ending"`
}

// Entry is one line of the timeline.
type Entry struct {
	At     time.Time `json:"at"`
	Offset string    `json:"offset"`
	// Kind is event, start, wait, email, end or failed.
	Kind string `json:"kind"`
	// Journey and Execution are empty for scenario events.
	Journey   string `json:"journey,omitempty"`
	Execution string `json:"execution,omitempty"`
	State     string `json:"state,omitempty"`
	// Step, Status, Reason and NotBefore are a send's decision.
	Step      string `json:"step,omitempty"`
	Status    string `json:"status,omitempty"`
	Reason    string `json:"reason,omitempty"`
	NotBefore string `json:"not_before,omitempty"`
	Subject   string `json:"subject,omitempty"`
	// Until is when a wait ends (zero while it still waits).
	Until time.Time `json:"until,omitzero"`
	// Detail is the rest, in words.
	Detail string `json:"detail,omitempty"`
}

// Other is another journey's execution for the same profile.
type Other struct {
	Journey    string    `json:"journey"`
	TriggerKey string    `json:"trigger_key"`
	StartedAt  time.Time `json:"started_at"`
	Status     string    `json:"status"`
	Emails     []string  `json:"emails"`
}

// Check is one expectation.
type Check struct {
	Name string `json:"name"`
	Want string `json:"want"`
	Got  string `json:"got"`
	Pass bool   `json:"pass"`
}

// Passed reports whether every check passed.
func (r *Result) Passed() bool {
	for _, c := range r.Checks {
		if !c.Pass {
			return false
		}
	}
	return true
}

// seedOrderTotal is the total of each order a profile is seeded with.
const seedOrderTotal = "60.00"

// Run plays a scenario on a fresh in-process dev stack.
func Run(ctx context.Context, opts Options, sc *Scenario) (*Result, error) {
	known, err := Journeys(opts.Dir)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(known, opts.Journey) {
		return nil, &UnknownJourneyError{Name: opts.Journey, Known: known}
	}
	if opts.Until < 0 || opts.Until > MaxOffset {
		return nil, fmt.Errorf("until %s: want at most %s", FormatOffset(opts.Until), FormatOffset(MaxOffset))
	}
	def, err := loadDefinition(opts.Dir, opts.Journey)
	if err != nil {
		return nil, err
	}
	stackStart := sc.Start
	if !sc.Profile.New {
		stackStart = sc.Start.Add(-sc.Profile.Since)
	}
	logs := &lockedBuffer{tee: opts.Log}
	s, err := devstack.Start(ctx, devstack.Config{Dir: opts.Dir, Start: stackStart, Log: logs, Seed: devstack.FixedSeed})
	if err != nil {
		return nil, fmt.Errorf("start the dev stack: %w", err)
	}
	defer s.Close()
	r := &runner{dir: opts.Dir, s: s, sc: sc, email: profile.NormalizeEmail(sc.Profile.Email), secret: s.Secrets()["STANDARD_WEBHOOK_SECRET"]}

	if !sc.Profile.New {
		if err := r.seed(ctx); err != nil {
			return nil, err
		}
		if d := sc.Start.Sub(s.Now()); d > 0 {
			s.Advance(d)
		}
	}
	res := &Result{Scenario: sc.Name, File: sc.File, Journey: opts.Journey, Start: sc.Start, Profile: r.email}
	res.Timezone, res.loc = r.zone()
	for i, ev := range sc.Events {
		if opts.Until > 0 && ev.At > opts.Until {
			res.Unplayed = append(res.Unplayed, fmt.Sprintf("%s at +%s", ev.Type, FormatOffset(ev.At)))
			continue
		}
		if d := sc.Start.Add(ev.At).Sub(s.Now()); d > 0 {
			s.Advance(d)
		}
		if err := r.post(ctx, fmt.Sprintf("sim-event-%d", i+1), ev.Type, eventBody(ev, sc.Profile), s.Now()); err != nil {
			// The scenario's event did not go in: say where it is.
			return nil, &Error{File: sc.File, Line: ev.Line, Column: ev.Column,
				Msg: fmt.Sprintf("event %d (%s at %s): %v", i+1, ev.Type, FormatOffset(ev.At), err)}
		}
		res.Timeline = append(res.Timeline, Entry{At: s.Now(), Kind: "event", Detail: describeEvent(ev)})
	}

	if opts.Until > 0 {
		if d := sc.Start.Add(opts.Until).Sub(s.Now()); d > 0 {
			s.Advance(d)
		}
	} else {
		r.runToEnd(ctx, opts.Journey)
	}
	res.End = s.Now()
	r.collect(res, def)
	res.Timeline = append(res.Timeline, notStarted(logs.Bytes(), opts.Journey, sc.Start)...)
	slices.SortStableFunc(res.Timeline, func(a, b Entry) int { return a.At.Compare(b.At) })
	res.Checks = check(sc.Expect, res)
	for i := range res.Timeline {
		res.Timeline[i].Offset = FormatOffset(res.Timeline[i].At.Sub(sc.Start))
	}
	return res, nil
}

type runner struct {
	dir    string
	s      *devstack.Stack
	sc     *Scenario
	email  string
	secret string
}

// seed creates the profile at the stack's start (t=0 minus since) and
// places its orders a minute apart, all through the webhook route.
func (r *runner) seed(ctx context.Context) error {
	p := r.sc.Profile
	body := map[string]any{"email": r.email, "consent": map[string]any{"state": p.Consent}}
	if c := customerOf(p); len(c) > 0 {
		body["customer"] = c
	}
	if err := r.post(ctx, "sim-seed-profile", touchpoint.CustomerCreated, body, r.s.Now()); err != nil {
		return fmt.Errorf("seed the profile: %w", err)
	}
	for i := 1; i <= p.Orders; i++ {
		r.s.Advance(time.Minute)
		id := "seed-" + strconv.Itoa(i)
		order := map[string]any{"id": id, "number": "S" + strconv.Itoa(i), "currency": "EUR", "total": seedOrderTotal,
			"line_items": []any{map[string]any{"title": "Earlier order", "quantity": 1, "price": seedOrderTotal}}}
		if err := r.post(ctx, "sim-seed-order-"+strconv.Itoa(i), touchpoint.OrderPlaced, map[string]any{"email": r.email, "order": order}, r.s.Now()); err != nil {
			return fmt.Errorf("seed order %d: %w", i, err)
		}
	}
	return nil
}

func customerOf(p Profile) map[string]any {
	c := map[string]any{}
	for k, v := range map[string]string{"first_name": p.FirstName, "last_name": p.LastName, "timezone": p.Timezone} {
		if v != "" {
			c[k] = v
		}
	}
	if len(p.Tags) > 0 {
		c["tags"] = p.Tags
	}
	return c
}

// eventBody is a scenario event's webhook body fields: the profile's email
// unless the event names the customer itself, and the profile's customer
// details on customer_created and customer_updated events without any.
func eventBody(ev Event, p Profile) map[string]any {
	body := maps.Clone(ev.Body)
	if body["email"] == nil && body["customer_id"] == nil {
		body["email"] = profile.NormalizeEmail(p.Email)
	}
	if (ev.Type == touchpoint.CustomerCreated || ev.Type == touchpoint.CustomerUpdated) && body["customer"] == nil {
		if c := customerOf(p); len(c) > 0 {
			body["customer"] = c
		}
	}
	return body
}

// webhookBody is the Standard Webhooks body of an event at a time.
func webhookBody(ev Event, email string, at time.Time) ([]byte, error) {
	body := maps.Clone(ev.Body)
	if body["email"] == nil && body["customer_id"] == nil {
		body["email"] = email
	}
	body["type"] = string(ev.Type)
	body["occurred_at"] = at.UTC().Format(time.RFC3339)
	return json.Marshal(body)
}

// post signs a Standard Webhooks delivery at the stack's time and posts it
// to the stack's webhook route, as a storefront would.
func (r *runner) post(ctx context.Context, id string, typ touchpoint.Type, fields map[string]any, at time.Time) error {
	body, err := webhookBody(Event{Type: typ, Body: fields}, r.email, at)
	if err != nil {
		return fmt.Errorf("encode the webhook body: %w", err)
	}
	sig, err := touchpoint.SignStandard(r.secret, id, at, body)
	if err != nil {
		return fmt.Errorf("sign the webhook: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.s.URL()+"/webhooks/standard", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build the webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("post the webhook: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the webhook route answered %d %s", resp.StatusCode, strings.TrimSpace(string(b)))
	}
	r.s.Sync()
	return nil
}

// runToEnd advances the clock wait by wait until no execution of the
// journey started since t=0 is running, or MaxOffset is reached.
func (r *runner) runToEnd(ctx context.Context, name string) {
	limit := r.sc.Start.Add(MaxOffset)
	for {
		running := false
		for _, x := range r.s.Executions(name, r.email) {
			if x.Status == "RUNNING" && !x.StartedAt.Before(r.sc.Start) {
				running = true
			}
		}
		if !running {
			return
		}
		next, ok := r.nextWait(ctx)
		if !ok || next.After(limit) {
			if d := limit.Sub(r.s.Now()); d > 0 && ok {
				r.s.Advance(d)
			}
			return
		}
		d := next.Sub(r.s.Now())
		if d <= 0 {
			d = time.Second
		}
		r.s.Advance(d)
	}
}

// nextWait asks the dev API when the next wait falls due.
func (r *runner) nextWait(ctx context.Context) (time.Time, bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.s.URL()+"/_dev/api/clock", nil)
	if err != nil {
		return time.Time{}, false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return time.Time{}, false
	}
	defer resp.Body.Close()
	var c struct {
		NextWait string `json:"next_wait"`
	}
	if json.NewDecoder(resp.Body).Decode(&c) != nil || c.NextWait == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, c.NextWait)
	return t, err == nil
}

// zone is the time zone local times are shown in.
func (r *runner) zone() (string, *time.Location) {
	name := r.sc.Profile.Timezone
	if v, err := r.s.Profile(r.email); err == nil && v.Timezone != "" {
		name = v.Timezone
	}
	if name == "" {
		name = r.s.Env(devstack.SendFunction)["SHOP_TIMEZONE"]
	}
	if name == "" {
		name = "UTC"
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return "UTC", time.UTC
	}
	return name, loc
}

// definition is what the timeline needs from the compiled state machine.
type definition struct {
	sm *asl.StateMachine
}

func loadDefinition(dir, name string) (*definition, error) {
	b, err := os.ReadFile(filepath.Join(dir, "statemachines", name+".asl.json"))
	if err != nil {
		return nil, fmt.Errorf("read the compiled journey: %w", err)
	}
	sm, err := asl.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("parse statemachines/%s.asl.json: %w", name, err)
	}
	return &definition{sm: sm}, nil
}

// sendStep returns the step a Task state sends (its lambda:invoke payload
// carries a step and no action), and the action of other send-function
// calls (resolve_wait).
func (d *definition) sendStep(state string) (step, action string, resultPath string) {
	st := d.sm.States.Get(state)
	if st == nil || st.Type != "Task" {
		return "", "", ""
	}
	params, _ := st.Parameters.(map[string]any)
	payload, _ := params["Payload"].(map[string]any)
	step, _ = payload["step"].(string)
	action, _ = payload["action"].(string)
	if st.ResultPath != nil {
		resultPath = *st.ResultPath
	}
	return step, action, resultPath
}

// collect builds the timeline from the executions, their states and the
// outbox.
func (r *runner) collect(res *Result, def *definition) {
	outbox := r.s.Outbox()
	subject := func(journeyName, step string, at time.Time) string {
		for _, m := range outbox {
			if m.Journey == journeyName && m.Step == step && m.SentAt.Equal(at) && slices.Contains(m.To, r.email) {
				return m.Subject
			}
		}
		return ""
	}
	loaded := map[string]*definition{res.Journey: def}
	defs := func(name string) (*definition, error) {
		if d, ok := loaded[name]; ok {
			return d, nil
		}
		d, err := loadDefinition(r.dir, name)
		if err == nil {
			loaded[name] = d
		}
		return d, err
	}
	for _, x := range r.s.Executions("", r.email) {
		d, ok := r.s.ExecutionDetail(x.Name)
		if !ok {
			continue
		}
		key := triggerKey(d.Input)
		x.StoppedAt = stoppedAt(x, d)
		if x.StartedAt.Before(r.sc.Start) && x.Status != "RUNNING" && x.StoppedAt.Before(r.sc.Start) {
			continue // over before t=0
		}
		if x.Journey != res.Journey {
			// Another journey: one line in the report, and its emails
			// since t=0 in the timeline (they take the frequency cap).
			o := Other{Journey: x.Journey, TriggerKey: key, StartedAt: x.StartedAt, Status: x.Status, Emails: []string{}}
			odef, err := defs(x.Journey)
			for _, st := range d.States {
				if err != nil || st.Type != "Task" || st.ExitedAt.Before(r.sc.Start) {
					continue
				}
				step, action, rp := odef.sendStep(st.Name)
				if step == "" || action != "" || replyOf(st.Output, rp).Status != contract.StatusSent {
					continue
				}
				o.Emails = append(o.Emails, step)
				res.Timeline = append(res.Timeline, Entry{At: st.ExitedAt, Kind: "email", Journey: x.Journey, Execution: x.Name, State: st.Name,
					Step: step, Status: contract.StatusSent, Subject: subject(x.Journey, step, st.ExitedAt)})
			}
			res.Others = append(res.Others, o)
			continue
		}
		if x.StartedAt.Before(r.sc.Start) {
			o := Other{Journey: x.Journey, TriggerKey: key, StartedAt: x.StartedAt, Status: x.Status, Emails: []string{}}
			res.Others = append(res.Others, o)
			continue
		}
		sum := ExecutionSummary{Name: x.Name, TriggerKey: key, Status: x.Status, StartedAt: x.StartedAt, StoppedAt: x.StoppedAt}
		res.Timeline = append(res.Timeline, Entry{At: x.StartedAt, Kind: "start", Journey: x.Journey, Execution: x.Name,
			Detail: fmt.Sprintf("trigger %s, key %s", triggerType(d.Input), key)})
		for i, st := range d.States {
			e := Entry{At: st.EnteredAt, Journey: x.Journey, Execution: x.Name, State: st.Name}
			switch st.Type {
			case "Wait":
				e.Kind = "wait"
				if !st.ExitedAt.IsZero() {
					e.Until = st.ExitedAt
					e.Detail = "→ " + signed(st.ExitedAt.Sub(r.sc.Start))
				} else {
					e.Detail = "→ still waiting"
				}
			case "Task":
				step, action, rp := def.sendStep(st.Name)
				if step == "" && action == "" {
					continue // a read
				}
				reply := replyOf(st.Output, rp)
				if action != "" {
					e.Kind = "wait"
					// wait {until: HH:MM}: the send function resolves the
					// time of day in the profile's zone.
					e.Detail = action
					if t, err := time.Parse(time.RFC3339, reply.ResumeAt); err == nil {
						e.Until = t
						e.Detail = "→ " + signed(t.Sub(r.sc.Start)) + " (" + action + ")"
					}
					break
				}
				e.Kind, e.Step = "email", step
				if st.Output == nil {
					e.Status = "error"
					if i+1 < len(d.States) {
						e.Detail = "caught: " + d.States[i+1].Name
					}
					break
				}
				e.Status, e.Reason, e.NotBefore = reply.Status, reply.Reason, reply.NotBefore
				at := st.ExitedAt
				if at.IsZero() {
					at = st.EnteredAt
				}
				e.At = at
				if e.Status == contract.StatusSent {
					e.Subject = subject(x.Journey, step, at)
				}
			case "Succeed":
				e.Kind = "end"
				e.Detail = strings.TrimPrefix(st.Name, "Exit: ")
			case "Fail":
				e.Kind = "failed"
				e.Detail = strings.TrimSpace(x.Error + ": " + x.Cause)
			case "Pass":
				e.Kind = "pass"
			default:
				continue
			}
			res.Timeline = append(res.Timeline, e)
		}
		sum.Ending = ending(x, d)
		res.Executions = append(res.Executions, sum)
	}
}

type reply struct {
	Status    string `json:"status"`
	Reason    string `json:"reason"`
	NotBefore string `json:"not_before"`
	ResumeAt  string `json:"resume_at"`
}

// replyOf reads the send function's answer from a Task's output: at its
// ResultPath, under "reply" when the compiler's ResultSelector put it
// there.
func replyOf(output any, resultPath string) reply {
	v := output
	for _, part := range strings.Split(strings.TrimPrefix(resultPath, "$"), ".") {
		if part == "" {
			continue
		}
		m, _ := v.(map[string]any)
		v = m[part]
	}
	if m, ok := v.(map[string]any); ok {
		if inner, ok := m["reply"].(map[string]any); ok {
			v = inner
		}
	}
	var out reply
	if b, err := json.Marshal(v); err == nil {
		_ = json.Unmarshal(b, &out)
	}
	return out
}

// stoppedAt is when an execution ended: when it entered its last state.
// (The dev stack closes executions in its Step Functions endpoint when an
// Advance returns, so its stop date is the end of that Advance.)
func stoppedAt(x devstack.Execution, d devstack.ExecutionDetail) time.Time {
	if x.Status == "RUNNING" || len(d.States) == 0 {
		return x.StoppedAt
	}
	last := d.States[len(d.States)-1]
	if !last.ExitedAt.IsZero() {
		return last.ExitedAt
	}
	return last.EnteredAt
}

func ending(x devstack.Execution, d devstack.ExecutionDetail) string {
	switch x.Status {
	case "RUNNING":
		return "running"
	case "FAILED":
		return "failed: " + x.Error
	case "SUCCEEDED":
		if n := len(d.States); n > 0 {
			return strings.TrimPrefix(d.States[n-1].Name, "Exit: ")
		}
	}
	return strings.ToLower(x.Status)
}

func triggerKey(input any) string {
	m, _ := input.(map[string]any)
	s, _ := m["trigger_key"].(string)
	return s
}

func triggerType(input any) string {
	m, _ := input.(map[string]any)
	t, _ := m["trigger"].(map[string]any)
	s, _ := t["type"].(string)
	return s
}

// describeEvent names an event and the thing it is about.
func describeEvent(ev Event) string {
	s := string(ev.Type)
	for _, part := range []string{"checkout", "order", "product", "review"} {
		if m, ok := ev.Body[part].(map[string]any); ok && m["id"] != nil {
			s += fmt.Sprintf(" (%s %v)", part, m["id"])
			break
		}
	}
	if c, ok := ev.Body["consent"].(map[string]any); ok && c["state"] != nil {
		s += fmt.Sprintf(" (consent %v)", c["state"])
	}
	return s
}

// lockedBuffer collects the stack's log lines, written from its
// goroutines, and copies them to tee (Options.Log) under the same lock.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	tee io.Writer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tee != nil {
		_, _ = b.tee.Write(p)
	}
	return b.buf.Write(p)
}

func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// notStarted reads the router's JourneysNotStarted metrics (Embedded
// Metric Format lines in the stack's log, stamped with the virtual clock)
// for the journey: an event that would have started it and did not, and
// why (re_entry, no_trigger_key, filter_error, no_profile).
func notStarted(logs []byte, name string, start time.Time) []Entry {
	var out []Entry
	for line := range bytes.Lines(logs) {
		if !bytes.Contains(line, []byte(`"JourneysNotStarted"`)) {
			continue
		}
		var m struct {
			Journey string `json:"Journey"`
			Reason  string `json:"Reason"`
			AWS     struct {
				Timestamp int64 `json:"Timestamp"`
			} `json:"_aws"`
		}
		if json.Unmarshal(line, &m) != nil || m.Journey != name {
			continue
		}
		at := time.UnixMilli(m.AWS.Timestamp).UTC()
		if at.Before(start) {
			continue
		}
		out = append(out, Entry{At: at, Kind: "not started", Journey: name, Reason: m.Reason})
	}
	return out
}
