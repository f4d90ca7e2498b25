package cost

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/parcours/parcours/internal/asl"
	"github.com/parcours/parcours/internal/journey"
	"github.com/parcours/parcours/internal/journey/contract"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/touchpoint"
)

// Run is what one scenario of a journey did on the engine.
type Run struct {
	Scenario    string
	Status      string
	End         string // the last state entered
	Transitions int    // states entered: what Step Functions bills
	Reads       int    // dynamodb:getItem task calls
	ReadUnits   float64
	Sends       int // send function invocations (lambda:invoke calls)
	Emails      int // invocations answered "sent"
	Deferrals   int // invocations answered "deferred"
	Retries     int // task attempts after a failed attempt
	Resolves    int // resolve_wait calls (wait until a time of day)
}

// JourneyRuns are the scenarios of one compiled journey.
type JourneyRuns struct {
	Name    string
	ReEntry string // always, never, after
	Static  journey.Stats
	// Best exits at the first check (an unsubscribed profile).
	Best Run
	// Worst sends every email on the longest branch (the most transitions
	// over every tried trigger, profile and split roll).
	Worst Run
	// Deferral is Worst with its first send deferred once.
	Deferral Run
	// Retry is Worst with its first send failing once with
	// Lambda.ServiceException (retried by the Task's Retrier).
	Retry Run
}

// Scenario inputs of the worst path: each trigger money variant with each
// profile variant and each seed (splits roll States.MathRandom).
var (
	moneyVariants = []string{"", "1.00", "100000.00"} // "" keeps the sample
	seeds         = []int64{1, 2, 3, 4}
)

// SimulateAll runs every statemachines/*.asl.json under root whose journey
// is in root/journeys, in name order.
func SimulateAll(ctx context.Context, root string) ([]JourneyRuns, error) {
	js, err := journey.LoadAll(filepath.Join(root, "journeys"))
	if err != nil {
		return nil, err
	}
	byName := map[string]*journey.Journey{}
	for _, j := range js {
		byName[j.Name] = j
	}
	defs, err := filepath.Glob(filepath.Join(root, "statemachines", "*.asl.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(defs)
	var out []JourneyRuns
	for _, def := range defs {
		name := strings.TrimSuffix(filepath.Base(def), ".asl.json")
		j, ok := byName[name]
		if !ok {
			return nil, fmt.Errorf("%s: no journeys/%s/journey.yaml", def, name)
		}
		b, err := os.ReadFile(def)
		if err != nil {
			return nil, err
		}
		sm, err := asl.Parse(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", def, err)
		}
		r, err := Simulate(ctx, j, sm)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// scenario is one set of inputs and send answers.
type scenario struct {
	name    string
	trigger touchpoint.Event
	profile profile.View
	order   profile.OrderView
	seed    int64
	// reply answers the n-th send invocation (1-based) of attempt.
	reply func(n, attempt int, enteredAt time.Time) (contract.SendResponse, error)
}

func sendAlways(n, attempt int, _ time.Time) (contract.SendResponse, error) {
	return contract.SendResponse{Status: contract.StatusSent}, nil
}

// Simulate runs a compiled journey's scenarios on the ASL engine.
func Simulate(ctx context.Context, j *journey.Journey, sm *asl.StateMachine) (JourneyRuns, error) {
	jr := JourneyRuns{Name: j.Name, ReEntry: j.ReEntry, Static: journey.Measure(sm)}
	var firstSend *journey.Step
	walk(j.Steps, func(s *journey.Step) {
		if s.Kind == journey.KindSend && firstSend == nil {
			firstSend = s
		}
	})
	if firstSend == nil {
		firstSend = &journey.Step{}
	}
	sample := journey.SampleData(j, firstSend)
	base := scenario{trigger: sample.Trigger, profile: sample.Profile, seed: 1, reply: sendAlways}
	if o := sample.Trigger.Order; o != nil {
		base.order = profile.OrderView{Source: sample.Trigger.Source, ID: o.ID, Number: o.Number, Status: o.Status, Currency: o.Currency, Total: o.Total, CreatedAt: o.CreatedAt}
	}

	best := base
	best.name = "best: exits at the first check (unsubscribed)"
	best.profile.Subscribed = false
	var err error
	if jr.Best, err = run(ctx, sm, j, best); err != nil {
		return jr, err
	}

	var worst scenario
	for _, money := range moneyVariants {
		for pi, p := range profileVariants(sample.Profile) {
			for _, seed := range seeds {
				sc := base
				sc.trigger = withMoney(sample.Trigger, money)
				sc.profile, sc.seed = p, seed
				r, err := run(ctx, sm, j, sc)
				if err != nil {
					return jr, err
				}
				if r.Emails > jr.Worst.Emails || (r.Emails == jr.Worst.Emails && r.Transitions > jr.Worst.Transitions) {
					sc.name = fmt.Sprintf("worst: every email sent, longest branch (total %q, profile %d, seed %d)", money, pi, seed)
					r.Scenario = sc.name
					jr.Worst, worst = r, sc
				}
			}
		}
	}
	jr.Worst.Scenario = "worst: every email sent, longest branch"

	def := worst
	def.name = "worst, first send deferred once"
	def.reply = func(n, attempt int, at time.Time) (contract.SendResponse, error) {
		if n == 1 {
			return contract.SendResponse{Status: contract.StatusDeferred, Reason: "quiet_hours", NotBefore: at.Add(time.Hour).UTC().Format(time.RFC3339)}, nil
		}
		return contract.SendResponse{Status: contract.StatusSent}, nil
	}
	if jr.Deferral, err = run(ctx, sm, j, def); err != nil {
		return jr, err
	}

	retry := worst
	retry.name = "worst, first send fails once (Lambda.ServiceException)"
	retry.reply = func(n, attempt int, _ time.Time) (contract.SendResponse, error) {
		if n == 1 {
			return contract.SendResponse{}, &asl.Error{Name: "Lambda.ServiceException", Cause: "simulated"}
		}
		return contract.SendResponse{Status: contract.StatusSent}, nil
	}
	if jr.Retry, err = run(ctx, sm, j, retry); err != nil {
		return jr, err
	}
	return jr, nil
}

// profileVariants are subscribed profiles of each frequency segment, none of
// which ordered since the sample trigger.
func profileVariants(p profile.View) []profile.View {
	p.Subscribed = true
	prospect := p
	prospect.OrderCount, prospect.Frequency, prospect.AOV, prospect.LastOrderAt = 0, "prospect", 0, nil
	vip := p
	past := p.CreatedAt.Add(-90 * 24 * time.Hour)
	vip.OrderCount, vip.Frequency, vip.AOV, vip.LastOrderAt, vip.Tags = 12, "vip", 500, &past, []string{"vip"}
	return []profile.View{p, prospect, vip}
}

// withMoney sets the trigger's money totals to v ("" keeps them).
func withMoney(ev touchpoint.Event, v string) touchpoint.Event {
	if v == "" {
		return ev
	}
	if ev.Checkout != nil {
		c := *ev.Checkout
		c.Total, c.Subtotal = v, v
		ev.Checkout = &c
	}
	if ev.Order != nil {
		o := *ev.Order
		o.Total = v
		ev.Order = &o
	}
	if ev.Product != nil {
		p := *ev.Product
		p.Price = v
		ev.Product = &p
	}
	return ev
}

func walk(steps []*journey.Step, f func(*journey.Step)) {
	for _, s := range steps {
		f(s)
		walk(s.Then, f)
		walk(s.Else, f)
		for _, b := range s.Branches {
			walk(b.Steps, f)
		}
	}
}

// run executes one scenario to its end in virtual time.
func run(ctx context.Context, sm *asl.StateMachine, j *journey.Journey, sc scenario) (Run, error) {
	r := Run{Scenario: sc.name}
	view, err := json.Marshal(sc.profile)
	if err != nil {
		return r, err
	}
	order, err := json.Marshal(sc.order)
	if err != nil {
		return r, err
	}
	pk := profile.ProfilePK(sc.profile.Email)
	resolver := asl.ResolverFunc(func(ctx context.Context, call asl.TaskCall) (any, error) {
		if call.Attempt > 0 {
			r.Retries++
		}
		switch call.Resource {
		case journey.ResourceGetItem:
			in, _ := asl.Plain(call.Input).(map[string]any)
			key, _ := in["Key"].(map[string]any)
			sk, _ := key[profile.AttrSK].(map[string]any)
			skv, _ := sk["S"].(string)
			body := view
			if strings.HasPrefix(skv, "ORDER#") {
				body = order
			}
			r.Reads++
			size := len(profile.AttrPK) + len(pk) + len(profile.AttrSK) + len(skv) + len(profile.AttrView) + len(body)
			r.ReadUnits += readUnits(size, true)
			return map[string]any{"Item": map[string]any{
				profile.AttrPK:   map[string]any{"S": pk},
				profile.AttrSK:   map[string]any{"S": skv},
				profile.AttrView: map[string]any{"S": string(body)},
			}}, nil
		case journey.ResourceInvoke:
			at := time.Now()
			if st, ok := call.ContextObject()["State"].(map[string]any); ok {
				if s, ok := st["EnteredTime"].(string); ok {
					at, _ = time.Parse(time.RFC3339Nano, s)
				}
			}
			in, _ := asl.Plain(call.Input).(map[string]any)
			payload, _ := in["Payload"].(map[string]any)
			if payload["action"] == contract.ActionResolveWait {
				// wait {until}: the send function answers the next moment
				// (a day later at most); no email.
				r.Resolves++
				return map[string]any{"StatusCode": 200, "Payload": contract.SendResponse{ResumeAt: at.Add(24 * time.Hour).UTC().Format(time.RFC3339)}}, nil
			}
			r.Sends++
			out, err := sc.reply(r.Sends, call.Attempt, at)
			if err != nil {
				return nil, err
			}
			// As internal/send answers: resume_at is not_before when
			// deferred, else now + the wait that follows the send.
			next, _ := payload["next_wait_seconds"].(float64)
			switch out.Status {
			case contract.StatusSent:
				r.Emails++
				out.ResumeAt = at.Add(time.Duration(next) * time.Second).UTC().Format(time.RFC3339)
			case contract.StatusDeferred:
				r.Deferrals++
				out.ResumeAt = out.NotBefore
			default:
				out.ResumeAt = at.Add(time.Duration(next) * time.Second).UTC().Format(time.RFC3339)
			}
			return map[string]any{"StatusCode": 200, "Payload": out}, nil
		}
		return nil, fmt.Errorf("cost: no simulation for resource %s", call.Resource)
	})
	in := contract.ExecutionInput{Journey: j.Name, ProfileKey: sc.profile.Email, TriggerKey: "k-1", Trigger: sc.trigger}
	b, err := json.Marshal(in)
	if err != nil {
		return r, err
	}
	var input any
	if err := json.Unmarshal(b, &input); err != nil {
		return r, err
	}
	start := sc.trigger.OccurredAt.Add(time.Minute)
	x, err := asl.Run(ctx, sm, input, asl.EngineOptions{Resolver: resolver, Start: start, Seed: sc.seed, StateMachineName: journey.LogicalID(j.Name)})
	if err != nil {
		return r, fmt.Errorf("%s: %w", sc.name, err)
	}
	r.Status, r.Transitions = x.Status, x.Transitions()
	if names := x.StateNames(); len(names) > 0 {
		r.End = names[len(names)-1]
	}
	if x.Status != asl.StatusSucceeded {
		return r, fmt.Errorf("%s: execution %s in %q: %s %s", sc.name, x.Status, r.End, x.Error, x.Cause)
	}
	return r, nil
}
