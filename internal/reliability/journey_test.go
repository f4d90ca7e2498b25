package reliability_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parcours/parcours/internal/ddbtest"
	"github.com/parcours/parcours/internal/devstack"
	"github.com/parcours/parcours/internal/emf"
	"github.com/parcours/parcours/internal/fault"
	"github.com/parcours/parcours/internal/router"
	"github.com/parcours/parcours/statemachines"
)

func mustPost(t *testing.T, s *devstack.Stack, ds ...deliveryLike) {
	t.Helper()
	for _, d := range ds {
		if status, body := post(t, s.URL(), d); status != http.StatusOK {
			t.Fatalf("webhook: %d %s", status, body)
		}
	}
}

// SES throttles (429) and fails (500) every SendEmail for a while: the
// send function answers Parcours.Retryable, the state machine retries the
// step (virtual seconds later), and once SES recovers exactly one email
// per step goes out.
func TestSESFaultsRetriedByTheStateMachine(t *testing.T) {
	t.Parallel() // most of the time is real-time SDK retry backoff
	inj := fault.New(5, fault.Rule{Service: fault.SES, Rate: 1, Kinds: []fault.Kind{fault.TooManyRequests, fault.InternalFailure}})
	s := start(t, devstack.Config{Faults: inj})
	const n = 4
	for i := range n {
		mustPost(t, s, subscribe(t, s, i, fmt.Sprintf("ses-%d@example.com", i)))
	}
	// Every welcome-1 send has failed once; the retries wait 5 s (full
	// jitter) and fail again while SES is down.
	s.Advance(10 * time.Second)
	if got := len(s.Outbox()); got != 0 {
		t.Fatalf("%d emails while SES fails every call", got)
	}
	if inj.Total() < n {
		t.Fatalf("faults %v: SES was not called", inj.Counts())
	}
	inj.SetEnabled(false)
	s.Advance(10 * time.Minute) // the remaining retries run; the 2-day wait does not fall due
	out := s.Outbox()
	per := map[string]int{}
	for _, m := range out {
		per[m.Journey+"/"+m.Step+" "+strings.Join(m.To, ",")]++
	}
	if len(per) != n || len(out) != n {
		t.Fatalf("%d emails, %v: want one welcome-1 per profile", len(out), per)
	}
	for _, x := range s.Executions("welcome", "") {
		if x.Status != "RUNNING" || x.State != "Wait 2d" {
			t.Errorf("%s: %s in %q (%s %s), want RUNNING in Wait 2d", x.Profile, x.Status, x.State, x.Error, x.Cause)
		}
		if f := taskFailures(t, s, x.ARN, "Parcours.Retryable"); f < 2 {
			t.Errorf("%s: %d TaskFailed Parcours.Retryable in the history, want the state machine's retries", x.Profile, f)
		}
	}
	t.Logf("faults: %v", inj.Counts())
}

// SES never recovers: the send step is retried as compiled (Retry on
// Parcours.Retryable, 6 attempts), then caught, and the execution ends
// FAILED with the send's error name — visible, never a silent success.
func TestSendFailureEndsInANamedFailure(t *testing.T) {
	t.Parallel() // most of the time is real-time SDK retry backoff
	inj := fault.New(5, fault.Rule{Service: fault.SES, Rate: 1, Kinds: []fault.Kind{fault.InternalFailure}})
	s := start(t, devstack.Config{Faults: inj})
	mustPost(t, s, subscribe(t, s, 1, "down@example.com"))
	s.Advance(2 * time.Hour) // > the sum of the retry delays (at most 5+10+…+160 s, capped at 300 s)
	xs := s.Executions("welcome", "down@example.com")
	if len(xs) != 1 {
		t.Fatalf("%d executions", len(xs))
	}
	x := xs[0]
	if x.Status != "FAILED" || x.Error != "Parcours.Retryable" || x.State != "Send failed" {
		t.Fatalf("execution %s in %q, error %q: want FAILED in \"Send failed\" with Parcours.Retryable", x.Status, x.State, x.Error)
	}
	if !strings.Contains(x.Cause, "Parcours.Retryable") {
		t.Errorf("cause %q does not carry the send's error", x.Cause)
	}
	// 1 attempt + 6 retries as compiled, each a send invocation whose SES
	// client tries 3 times.
	if f := taskFailures(t, s, x.ARN, "Parcours.Retryable"); f != 7 {
		t.Errorf("%d TaskFailed Parcours.Retryable in the history, want 7 (1 + MaxAttempts 6)", f)
	}
	calls := inj.Requests()["ses SendEmail"]
	if calls != 7*3 {
		t.Errorf("SES called %d times, want 21 (7 invocations × the SDK's 3 attempts)", calls)
	}
	if n := len(s.Outbox()); n != 0 {
		t.Errorf("%d emails", n)
	}
	t.Logf("SES calls: %d, execution cause: %.200s", calls, x.Cause)
}

// One stream record whose StartExecution always fails: the dev stream
// redelivers only that record, up to its budget, then drops it into
// DeadLetters (the OnFailure destination's stand-in); the records around
// it start their journeys once. A poison record (an event item the router
// cannot read) is logged at ERROR, counted and reported, so it lands in
// DeadLetters too after the same budget.
func TestRouterFailuresThroughTheStream(t *testing.T) {
	t.Parallel() // most of the time is real-time SDK retry backoff
	var mu sync.Mutex
	calls := map[string]int{}
	match := func(b []byte) bool {
		for _, id := range []string{"ord-ok-1", "ord-bad", "ord-ok-2"} {
			if strings.Contains(string(b), id) {
				mu.Lock()
				calls[id]++
				mu.Unlock()
				return id == "ord-bad"
			}
		}
		return false
	}
	inj := fault.New(1, fault.Rule{Service: fault.StepFunctions, Operations: []string{"StartExecution"}, Rate: 1, Kinds: []fault.Kind{fault.ServiceUnavailable}, Match: match})
	logs := &logBuffer{}
	s := start(t, devstack.Config{Faults: inj, StreamBackoff: time.Millisecond, StreamAttempts: 3, Log: logs})

	// A poison record: an event item whose event is not an event.
	db := ddbtest.NewClient(s.URL())
	if _, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(s.Table()), Item: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "EVENT#poison"}, "sk": &types.AttributeValueMemberS{Value: "EVENT"},
		"event": &types.AttributeValueMemberS{Value: "{not json"}}}); err != nil {
		t.Fatal(err)
	}
	mustPost(t, s, order(t, s, "ord-ok-1", "a@example.com"), order(t, s, "ord-bad", "b@example.com"), order(t, s, "ord-ok-2", "c@example.com"))
	s.Sync()

	// The SDK's own retryer makes 3 attempts per invocation; the stream
	// invokes the router 3 times for the failing record only.
	mu.Lock()
	defer mu.Unlock()
	if calls["ord-ok-1"] != 1 || calls["ord-ok-2"] != 1 || calls["ord-bad"] != 3*3 {
		t.Errorf("StartExecution calls %v: want 1 for each good record and 3×3 for the failing one", calls)
	}
	var started []string
	for _, x := range s.Executions("win-back", "") {
		started = append(started, x.Profile)
	}
	slices.Sort(started)
	if !slices.Equal(started, []string{"a@example.com", "c@example.com"}) {
		t.Errorf("win-back started for %v", started)
	}
	dl := s.DeadLetters()
	var dead []string
	for _, d := range dl {
		if d.Attempts != 3 {
			t.Errorf("dead letter %s after %d attempts, want 3", d.Record.Change.Keys["pk"].String(), d.Attempts)
		}
		dead = append(dead, d.Record.Change.Keys["pk"].String())
	}
	slices.Sort(dead)
	if !slices.Equal(dead, []string{"EVENT#poison", "EVENT#standard:msg_ord-bad"}) {
		t.Fatalf("dead letters %v, want the poison record and the ord-bad record", dead)
	}
	if p := logs.lines("poison record, reported for the failure destination"); len(p) != 3 || p[0]["level"] != "ERROR" {
		t.Errorf("poison log lines: %v, want 3 at ERROR (one per attempt)", p)
	}
	if r := logs.lines("record failed, reported for retry"); len(r) != 3 {
		t.Errorf("%d 'reported for retry' lines, want 3 (one per attempt of the failing record)", len(r))
	}
	for _, l := range logs.lines("") {
		if b := fmt.Sprint(l); strings.Contains(b, "ord-ok") && strings.Contains(b, "retry") {
			t.Errorf("a good record was retried: %v", l)
		}
	}
}

// A batch of three records, the middle one's StartExecution failing: the
// router reports exactly that record in BatchItemFailures and starts the
// other two; replaying the batch once Step Functions recovers starts the
// third execution and none twice.
func TestRouterBatchItemFailures(t *testing.T) {
	t.Parallel() // most of the time is real-time SDK retry backoff
	var failing atomic.Bool
	failing.Store(true)
	inj := fault.New(1, fault.Rule{Service: fault.StepFunctions, Operations: []string{"StartExecution"}, Rate: 1,
		Kinds: []fault.Kind{fault.Throttling}, Match: func(b []byte) bool { return failing.Load() && strings.Contains(string(b), "ord-b2") }})
	s := start(t, devstack.Config{Faults: inj, StreamAttempts: 1, StreamBackoff: time.Millisecond})
	// The profiles exist (the router starts nothing for an erased one);
	// consent not_subscribed starts no journey.
	for i, id := range []string{"ord-b1", "ord-b2", "ord-b3"} {
		at := s.Now().Add(-time.Hour).Format(time.RFC3339)
		mustPost(t, s, standard(t, s, fmt.Sprint("msg_p", i), fmt.Sprintf(
			`{"type":"consent_changed","occurred_at":%q,"email":"%s@example.com","consent":{"state":"not_subscribed","updated_at":%q}}`, at, id, at)))
	}
	s.Sync()
	if n := len(s.Executions("", "")); n != 0 {
		t.Fatalf("%d executions before the batch", n)
	}
	env := s.Env(devstack.RouterFunction)
	m, err := router.LoadManifest(os.DirFS(filepath.Join(repoRoot(t), "statemachines")), statemachines.Triggers)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := router.ConfigFromEnv(func(k string) string { return env[k] }, m)
	if err != nil {
		t.Fatal(err)
	}
	h := &router.Handler{
		SFN: sfnClient(s),
		DB:  ddbtest.NewClient(s.URL()), Table: cfg.Table, Manifest: m, StateMachines: cfg.StateMachines,
		Metrics: emf.New(&logBuffer{}, s.Now), Log: slogDiscard(), Now: s.Now,
	}
	batch := events.DynamoDBEvent{}
	for i, id := range []string{"ord-b1", "ord-b2", "ord-b3"} {
		batch.Records = append(batch.Records, winBackRecord(t, i+1, id, id+"@example.com", s.Now()))
	}
	resp, err := h.Handle(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != batch.Records[1].Change.SequenceNumber {
		t.Fatalf("BatchItemFailures = %+v, want only the second record", resp.BatchItemFailures)
	}
	if got := profilesOf(s.Executions("win-back", "")); !slices.Equal(got, []string{"ord-b1@example.com", "ord-b3@example.com"}) {
		t.Fatalf("started for %v", got)
	}
	// Lambda replays from the reported record: records 2 and 3.
	failing.Store(false)
	resp, err = h.Handle(context.Background(), events.DynamoDBEvent{Records: batch.Records[1:]})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("replay: %+v %v", resp, err)
	}
	if got := profilesOf(s.Executions("win-back", "")); !slices.Equal(got, []string{"ord-b1@example.com", "ord-b2@example.com", "ord-b3@example.com"}) {
		t.Fatalf("after the replay, started for %v (one each)", got)
	}
}
