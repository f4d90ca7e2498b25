package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/parcours/parcours/internal/ddbtest"
	"github.com/parcours/parcours/internal/devstack"
	"github.com/parcours/parcours/internal/fault"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/send"
	"github.com/parcours/parcours/internal/touchpoint"
)

// Config is one load run.
type Config struct {
	Dir         string  // repository root (template.yaml)
	Webhooks    int     // deliveries, duplicates included
	Profiles    int     // distinct customers
	Concurrency int     // deliveries in flight
	Duplicates  float64 // share of deliveries that redeliver another
	Suppressed  float64 // share of profiles suppressed before the load
	Seed        int64
	// Faults is the rate of injected errors at every DynamoDB, Step
	// Functions and SES operation (0: none).
	Faults float64
	// MaxAttempts is how often the shop sends a delivery that keeps
	// failing with 5xx before it gives up (a loss).
	MaxAttempts int
	// Drain is how far the clock advances after the load, so retries the
	// state machines scheduled (seconds to minutes) run; waits of hours or
	// days do not fall due.
	Drain time.Duration
	Log   io.Writer // the dev stack's JSON logs (nil: discarded)
	// Progress, when set, gets a line every few seconds.
	Progress io.Writer
}

// Defaults for a zero field.
func (c *Config) defaults() {
	if c.Webhooks == 0 {
		c.Webhooks = 50_000
	}
	if c.Profiles == 0 {
		c.Profiles = 5_000
	}
	if c.Concurrency == 0 {
		c.Concurrency = 64
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 30
	}
	if c.Drain == 0 {
		c.Drain = 20 * time.Minute
	}
}

// StartTime is the stack's virtual start: a Monday, 12:00 UTC (outside
// the default quiet hours in the shop's UTC).
var StartTime = time.Date(2025, 11, 24, 12, 0, 0, 0, time.UTC)

// Result is what a run measured and found.
type Result struct {
	Webhooks, Unique, Duplicates int
	Attempts                     int            // HTTP requests, retries included
	Retried                      int            // deliveries sent more than once
	Status                       map[int]int    // every answer by status
	Answers                      map[string]int // final 2xx answers by body status
	Load, Drain                  time.Duration  // sending, then the stream and the retries
	P50, P99, Max                time.Duration  // per HTTP request
	Faults                       map[string]int // injected, by "service operation kind"
	Requests                     map[string]int // AWS calls seen, by "service operation"
	Events, Profiles, Executions int            // found in the stack
	Emails                       int
	// WelcomeMust and WelcomeMay are how many addresses must and may get
	// the welcome email (oracle.go, Welcomes).
	WelcomeMust, WelcomeMay int
	Rejected                int // unique events the oracle expects a 400 for
	// Unrecorded counts emails SES took whose message item stayed
	// "sending" (the send function's record of SES's answer failed).
	Unrecorded         int
	ExpectedExecutions int
	Problems           []string // every check that failed; empty means no loss
}

// OK says whether every check held.
func (r *Result) OK() bool { return len(r.Problems) == 0 }

// Throughput is deliveries per second while sending.
func (r *Result) Throughput() float64 {
	if r.Load <= 0 {
		return 0
	}
	return float64(r.Webhooks) / r.Load.Seconds()
}

// Run starts a dev stack, drives it and checks what it ends with.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg.defaults()
	var inj *fault.Injector
	if cfg.Faults > 0 {
		inj = fault.New(cfg.Seed,
			fault.Rule{Service: fault.DynamoDB, Rate: cfg.Faults},
			fault.Rule{Service: fault.StepFunctions, Operations: []string{"StartExecution"}, Rate: cfg.Faults},
			fault.Rule{Service: fault.SES, Rate: cfg.Faults})
		inj.SetEnabled(false)
	}
	stack, err := devstack.Start(ctx, devstack.Config{Dir: cfg.Dir, Start: StartTime, Faults: inj, Log: cfg.Log})
	if err != nil {
		return nil, err
	}
	defer stack.Close()
	sec := stack.Secrets()
	w, err := Generate(cfg.Seed, cfg.Webhooks, cfg.Profiles, cfg.Duplicates, cfg.Suppressed,
		Secrets{Shopify: sec["SHOPIFY_WEBHOOK_SECRET"], WooCommerce: sec["WOOCOMMERCE_WEBHOOK_SECRET"], Standard: sec["STANDARD_WEBHOOK_SECRET"]}, stack.Now())
	if err != nil {
		return nil, err
	}
	db := ddbtest.NewClient(stack.URL())
	// Bounced addresses, as the feedback function records them.
	store := profile.NewStore(db, stack.Table())
	store.Now = stack.Now
	for _, email := range sortedKeys(w.Suppressed) {
		if _, err := store.Suppress(ctx, email, "bounce", StartTime.Add(-31*24*time.Hour)); err != nil {
			return nil, fmt.Errorf("suppress before the load: %w", err)
		}
	}
	if inj != nil {
		inj.SetEnabled(true)
	}

	r := &Result{Webhooks: len(w.Deliveries), Unique: len(w.Events), Status: map[int]int{}, Answers: map[string]int{}}
	r.Duplicates = r.Webhooks - r.Unique
	stored := sendAll(ctx, cfg, stack.URL(), w, r)
	if err := ctx.Err(); err != nil {
		return r, fmt.Errorf("loadtest stopped after %v, before every delivery was answered: %w", r.Load.Round(time.Second), err)
	}

	t := time.Now()
	stack.Sync()
	stack.Advance(cfg.Drain)
	r.Drain = time.Since(t)
	if inj != nil {
		inj.SetEnabled(false)
		r.Faults, r.Requests = inj.Counts(), inj.Requests()
	}
	for i, n := range stored {
		if w.Events[i].Reject != "" {
			continue // checked with its answer
		}
		if n != 1 {
			r.problem("event %s: answered stored %d times, want exactly once", w.Events[i].ID, n)
		}
	}
	if err := verify(ctx, stack, db, w, r); err != nil {
		return r, err
	}
	return r, nil
}

// sendAll posts every delivery with cfg.Concurrency workers, retrying 5xx
// and transport errors with backoff like a shop, and returns how often
// each unique event was answered "stored".
func sendAll(ctx context.Context, cfg Config, url string, w *Workload, r *Result) []int {
	client := &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{
		MaxIdleConns: cfg.Concurrency, MaxIdleConnsPerHost: cfg.Concurrency, IdleConnTimeout: time.Minute}}
	defer client.CloseIdleConnections()
	stored := make([]int, len(w.Events))
	var (
		mu        sync.Mutex
		latencies = make([]time.Duration, 0, len(w.Deliveries)+len(w.Deliveries)/10)
		next      atomic.Int64
		done      atomic.Int64
		wg        sync.WaitGroup
	)
	start := time.Now()
	stop := make(chan struct{})
	if cfg.Progress != nil {
		go func() {
			tk := time.NewTicker(5 * time.Second)
			defer tk.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tk.C:
					n := done.Load()
					fmt.Fprintf(cfg.Progress, "  %d/%d deliveries, %.0f/s\n", n, len(w.Deliveries), float64(n)/time.Since(start).Seconds())
				}
			}
		}()
	}
	for worker := range cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(worker)))
			for {
				i := int(next.Add(1) - 1)
				if i >= len(w.Deliveries) || ctx.Err() != nil {
					return
				}
				d := w.Deliveries[i]
				codes := map[int]int{}
				status, answer, lats, err := deliverWithRetries(ctx, client, url, d, cfg.MaxAttempts, rng, codes)
				mu.Lock()
				for c, n := range codes {
					r.Status[c] += n
				}
				latencies = append(latencies, lats...)
				r.Attempts += len(lats)
				if len(lats) > 1 {
					r.Retried++
				}
				ev := w.Events[d.Event]
				switch {
				case err != nil:
					r.problem("delivery of %s: %v", ev.ID, err)
				case ev.Reject != "":
					if want := rejection(ev.Reject); status != http.StatusBadRequest || answer != want {
						r.problem("delivery of %s: answer %d %s, want 400 %s", ev.ID, status, answer, want)
					}
					r.Answers["rejected"]++
				case status != http.StatusOK:
					r.problem("delivery of %s: final answer %d %s", ev.ID, status, answer)
				default:
					r.Answers[answer]++
					if answer == "stored" {
						stored[d.Event]++
					}
				}
				mu.Unlock()
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	close(stop)
	r.Load = time.Since(start)
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	if n := len(latencies); n > 0 {
		r.P50, r.P99, r.Max = latencies[n/2], latencies[min(n-1, n*99/100)], latencies[n-1]
	}
	return stored
}

// message is a message item of the send function.
type message struct{ pk, step, profile, status string }

// rejection is the body ingest answers a 400 with.
func rejection(reason string) string {
	return string(mustJSON(struct {
		Status string `json:"status"`
		Reason string `json:"reason"`
	}{"rejected", reason}))
}

// deliverWithRetries sends one delivery until it gets a non-5xx answer, as
// Shopify and WooCommerce do (exponential backoff with jitter; the real
// ones wait minutes to hours, the load test milliseconds).
func deliverWithRetries(ctx context.Context, client *http.Client, url string, d Delivery, maxAttempts int, rng *rand.Rand, codes map[int]int) (int, string, []time.Duration, error) {
	var lats []time.Duration
	wait := 20 * time.Millisecond
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+d.Path, bytes.NewReader(d.Body))
		if err != nil {
			return 0, "", lats, err
		}
		req.Header = d.Header.Clone()
		t := time.Now()
		resp, err := client.Do(req)
		var body []byte
		if err == nil {
			body, _ = io.ReadAll(io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
		}
		lats = append(lats, time.Since(t))
		if err == nil {
			codes[resp.StatusCode]++
		} else {
			codes[0]++ // transport error
		}
		if err == nil && resp.StatusCode < 500 {
			var out struct {
				Status string `json:"status"`
				Reason string `json:"reason"`
			}
			_ = json.Unmarshal(body, &out)
			if resp.StatusCode != http.StatusOK {
				return resp.StatusCode, strings.TrimSpace(string(body)), lats, nil
			}
			return resp.StatusCode, out.Status, lats, nil
		}
		if attempt >= maxAttempts {
			if err != nil {
				return 0, "", lats, fmt.Errorf("gave up after %d attempts: %w", attempt, err)
			}
			return resp.StatusCode, strings.TrimSpace(string(body)), lats, fmt.Errorf("gave up after %d attempts: %d", attempt, resp.StatusCode)
		}
		sleep := time.Duration(rng.Int64N(int64(wait))) + wait/2
		select {
		case <-ctx.Done():
			return 0, "", lats, ctx.Err()
		case <-time.After(sleep):
		}
		wait = min(2*wait, time.Second)
	}
}

func (r *Result) problem(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

// verify compares what the stack holds with the oracle.
func verify(ctx context.Context, stack *devstack.Stack, db *dynamodb.Client, w *Workload, r *Result) error {
	// Events and profiles, from a scan through the real client.
	wantEvents := map[string]bool{}
	for _, ev := range w.Events {
		if ev.Reject == "" {
			wantEvents[ev.ID] = true
		} else {
			r.Rejected++
		}
	}
	gotEvents := map[string]bool{}
	views := map[string]profile.View{}
	markers := map[string]map[string]types.AttributeValue{}
	var messages []message
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: aws.String(stack.Table())})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("scan %s: %w", stack.Table(), err)
		}
		for _, it := range page.Items {
			pk, sk := str(it[profile.AttrPK]), str(it[profile.AttrSK])
			if strings.HasPrefix(pk, send.MessagePK("")) {
				messages = append(messages, message{pk: pk, step: str(it["journey"]) + "/" + str(it["step"]),
					profile: str(it[profile.AttrProfilePK]), status: str(it[send.AttrStatus])})
				continue
			}
			switch sk {
			case profile.SKOptOut:
				markers[pk] = it
			case profile.SKEvent:
				gotEvents[strings.TrimPrefix(pk, "EVENT#")] = true
			case profile.SKProfile:
				var v profile.View
				if err := json.Unmarshal([]byte(str(it[profile.AttrView])), &v); err != nil {
					r.problem("profile %s: view: %v", pk, err)
					continue
				}
				views[v.Email] = v
			}
		}
	}
	r.Events, r.Profiles = len(gotEvents), len(views)
	for id := range wantEvents {
		if !gotEvents[id] {
			r.problem("event %s: not stored", id)
		}
	}
	for id := range gotEvents {
		if !wantEvents[id] {
			r.problem("event %s: stored but never sent", id)
		}
	}
	want := Profiles(w)
	for email, e := range want {
		v, ok := views[email]
		if !ok {
			r.problem("profile %s: missing", email)
			continue
		}
		for _, d := range compare(e, v) {
			r.problem("profile %s: %s", email, d)
		}
	}
	for email := range views {
		if want[email] == nil {
			r.problem("profile %s: not in the input", email)
		}
	}
	// Every bounce recorded before the load is on the address's marker,
	// whether or not an event created the profile since.
	for email := range w.Suppressed {
		if m := markers[profile.OptOutPK(email)]; str(m[profile.AttrSuppressionKind]) != "bounce" {
			r.problem("address marker of suppressed %s: %v", email, m)
		}
	}

	// Journeys: every execution's input through the Step Functions API.
	sf := sfn.New(sfn.Options{Region: devstack.LocalRegion, BaseEndpoint: aws.String(stack.URL()),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
	wantStarts := Journeys(w)
	r.ExpectedExecutions = len(wantStarts)
	got := map[Start]int{}
	execs := stack.Executions("", "")
	r.Executions = len(execs)
	for _, x := range execs {
		out, err := sf.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(x.ARN)})
		if err != nil {
			return fmt.Errorf("describe execution %s: %w", x.Name, err)
		}
		var in struct {
			Journey    string `json:"journey"`
			ProfileKey string `json:"profile_key"`
			TriggerKey string `json:"trigger_key"`
		}
		if err := json.Unmarshal([]byte(aws.ToString(out.Input)), &in); err != nil {
			r.problem("execution %s: input: %v", x.Name, err)
			continue
		}
		s := Start{in.Journey, in.ProfileKey, in.TriggerKey}
		got[s]++
		if string(out.Status) == "FAILED" || string(out.Status) == "TIMED_OUT" || string(out.Status) == "ABORTED" {
			r.problem("execution %s (%s): %s %s", x.Name, s, out.Status, aws.ToString(out.Error))
		}
	}
	for s := range wantStarts {
		if got[s] == 0 {
			r.problem("journey not started: %s", s)
		}
	}
	for s, n := range got {
		switch {
		case !wantStarts[s]:
			r.problem("journey started without a trigger: %s", s)
		case n > 1:
			r.problem("journey started %d times: %s", n, s)
		}
	}

	// Emails: the welcome email to every address that must get it and to
	// no address that may not (oracle.go, Welcomes), nothing else, at most
	// one per journey step and address.
	must, may := Welcomes(want)
	r.WelcomeMust, r.WelcomeMay = len(must), len(may)
	sent := map[string]int{}
	outbox := stack.Outbox()
	r.Emails = len(outbox)
	for _, m := range outbox {
		for _, to := range m.To {
			to = profile.NormalizeEmail(to)
			e := want[to]
			step := m.Journey + "/" + m.Step
			switch {
			case e == nil:
				r.problem("email %s to an unknown address", step)
			case step != WelcomeEmail:
				r.problem("email %s to %s: no journey but welcome sends within the drain", step, to)
			case e.Suppressed:
				r.problem("email %s to suppressed %s", step, to)
			case !e.EverSubscribed:
				r.problem("email %s to %s, who never subscribed", step, to)
			}
			sent[step+" "+to]++
		}
	}
	for k, n := range sent {
		if n > 1 {
			r.problem("email %s sent %d times", k, n)
		}
	}
	// Message items: each step the send function claimed ends "sent", or
	// "sending" with its email in the outbox (SES took it, recording its
	// answer failed: send answers sent and leaves the item). "sending"
	// without the email is a step whose retry answers in_doubt and sends
	// nothing: an email possibly lost.
	byStep := map[string]int{}
	for _, m := range outbox {
		for _, to := range m.To {
			byStep[m.Journey+"/"+m.Step+" "+profile.ProfilePK(profile.NormalizeEmail(to))]++
		}
	}
	for _, m := range messages {
		switch {
		case m.status == "sent":
		case m.status == "sending" && byStep[m.step+" "+m.profile] == 1:
			r.Unrecorded++
		default:
			r.problem("message %s %s: %s, without its email in the outbox", m.pk, m.step, m.status)
		}
	}
	if len(messages) != len(outbox) {
		r.problem("%d message items, %d emails in the outbox", len(messages), len(outbox))
	}
	for _, dl := range stack.DeadLetters() {
		r.problem("stream record %s dropped after %d attempts: %s", dl.Record.Change.SequenceNumber, dl.Attempts, dl.Error)
	}
	return nil
}

// compare lists the differences between the oracle and a stored view.
func compare(e *Expected, v profile.View) []string {
	var d []string
	diff := func(field string, want, got any) {
		if fmt.Sprint(want) != fmt.Sprint(got) {
			d = append(d, fmt.Sprintf("%s = %v, want %v", field, got, want))
		}
	}
	diff("order_count", e.OrderCount, v.OrderCount)
	spent := map[string]string{}
	for c, cents := range e.Spent {
		if cents > 0 {
			spent[c] = formatCents(cents)
		}
	}
	diff("total_spent", spent, v.TotalSpent)
	diff("first_order_at", tp(e.FirstOrder), v.FirstOrderAt)
	diff("last_order_at", tp(e.LastOrder), v.LastOrderAt)
	consent := ""
	var consentAt time.Time
	if v.Consent != nil {
		consent, consentAt = v.Consent.State, v.Consent.UpdatedAt
	}
	diff("consent.state", e.Consent, consent)
	diff("consent.updated_at", e.ConsentAt, consentAt)
	diff("subscribed", e.Subscribed(), v.Subscribed)
	diff("suppressed", e.Suppressed, v.Suppressed != nil)
	diff("last_seen_at", tp(e.LastSeen), v.LastSeenAt)
	diff("last_product_view_at", tp(e.LastView), v.LastProductViewAt)
	diff("last_checkout_at", tp(e.LastCheck), v.LastCheckoutAt)
	diff("last_cart_at", tp(time.Time{}), v.LastCartAt)
	diff("last_review_at", tp(time.Time{}), v.LastReviewAt)
	diff("consent.opt_in_level", map[bool]string{true: "single_opt_in"}[e.Consent != ""], optIn(v.Consent))

	diff("first_name", e.FirstName, v.FirstName)
	diff("last_name", e.LastName, v.LastName)
	diff("timezone", e.Timezone, v.Timezone)
	diff("tags", e.Tags, v.Tags)
	tag := map[string]bool{}
	for _, t := range e.Tags {
		tag[t] = true
	}
	diff("tag", tag, v.Tag)
	diff("categories", e.Categories(), v.Categories)
	fav := ""
	if c := e.Categories(); len(c) > 0 {
		fav = c[0]
	}
	diff("favourite_category", fav, v.FavouriteCategory)
	diff("frequency", e.Segment(), v.Frequency)
	avg := map[string]string{}
	for c := range spent {
		avg[c] = formatCents(e.Average(c))
	}
	diff("average_order_value", avg, v.AverageOrderValue)
	shopSpent, shopCur := e.shopSpent()
	diff("spent", float64(shopSpent)/100, v.SpentInShopCurrency)
	aov := 0.0
	if shopCur != "" {
		aov = float64(e.Average(shopCur)) / 100
	}
	diff("aov", aov, v.AOV)
	var inactive, lost time.Time
	if !e.LastOrder.IsZero() {
		inactive, lost = e.LastOrder.Add(90*24*time.Hour), e.LastOrder.Add(180*24*time.Hour)
	}
	diff("inactive_at", tp(inactive), v.InactiveAt)
	diff("lost_at", tp(lost), v.LostAt)
	channel := ""
	if v.LastTouch != nil {
		channel = v.LastTouch.Channel
		diff("last_touch", touchpoint.Touch{Channel: e.Channel}, *v.LastTouch)
	}
	diff("last_touch.channel", e.Channel, channel)
	var co, coTotal string
	var coAt time.Time
	var coDone *time.Time
	if c := v.LastCheckout; c != nil {
		co, coAt, coTotal, coDone = c.ID, c.UpdatedAt, c.Total, c.CompletedAt
	}
	diff("last_checkout.id", e.Checkout, co)
	diff("last_checkout.updated_at", e.CheckoutAt, coAt)
	diff("last_checkout.total", map[bool]string{true: "37.00"}[e.Checkout != ""], coTotal)
	diff("last_checkout.completed_at", (*time.Time)(nil), coDone)
	return d
}

func optIn(c *touchpoint.Consent) string {
	if c == nil {
		return ""
	}
	return c.OptInLevel
}

// tp prints a time the way a *time.Time field prints, nil for zero.
func tp(t time.Time) string {
	if t.IsZero() {
		return fmt.Sprint((*time.Time)(nil))
	}
	return fmt.Sprint(&t)
}

func str(av types.AttributeValue) string {
	if s, ok := av.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// ErrLoss is returned by callers when a run found problems.
var ErrLoss = errors.New("loadtest: checks failed")
