package send_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parcours/parcours/internal/asl"
	"github.com/parcours/parcours/internal/journey"
	"github.com/parcours/parcours/internal/journey/contract"
	"github.com/parcours/parcours/internal/mail"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/touchpoint"
	"github.com/parcours/parcours/journeys"
)

// machine runs compiled journeys on the project's ASL engine in virtual
// time with the real send function behind the lambda:invoke Task (embedded
// templates, SES endpoint, embedded DynamoDB) and the getItem reads served
// by the same table through the real SDK client.
type machine struct {
	*env
	clock  *asl.VirtualClock
	calls  int         // send function invocations
	sentAt []time.Time // when the send function answered sent
	dir    string      // journeys folder; default the repository's
}

func newMachine(t *testing.T, at time.Time) *machine {
	e := newEnv(t)
	e.h.Renderer = mail.Renderer{FS: journeys.FS}
	m := &machine{env: e, clock: asl.NewVirtualClock(at)}
	e.now = at
	e.h.Now = m.clock.Now
	e.store.Now = m.clock.Now
	return m
}

func (m *machine) Invoke(ctx context.Context, call asl.TaskCall) (any, error) {
	in, _ := asl.Plain(call.Input).(map[string]any)
	switch call.Resource {
	case journey.ResourceGetItem:
		key := in["Key"].(map[string]any)
		out, err := m.db.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String(m.table), ConsistentRead: aws.Bool(true),
			Key: map[string]types.AttributeValue{
				profile.AttrPK: &types.AttributeValueMemberS{Value: key[profile.AttrPK].(map[string]any)["S"].(string)},
				profile.AttrSK: &types.AttributeValueMemberS{Value: key[profile.AttrSK].(map[string]any)["S"].(string)},
			},
		})
		if err != nil {
			return nil, err
		}
		item := map[string]any{}
		for k, v := range out.Item {
			if s, ok := v.(*types.AttributeValueMemberS); ok {
				item[k] = map[string]any{"S": s.Value}
			}
		}
		if out.Item == nil {
			return map[string]any{}, nil
		}
		return map[string]any{"Item": item}, nil
	case journey.ResourceInvoke:
		b, _ := json.Marshal(in["Payload"])
		var req contract.SendRequest
		if err := json.Unmarshal(b, &req); err != nil {
			return nil, fmt.Errorf("send payload: %w", err)
		}
		m.calls++
		out, err := m.h.Handle(ctx, req)
		var le messages.InvokeResponse_Error
		if errors.As(err, &le) { // what Lambda reports as the function error
			return nil, &asl.Error{Name: le.Type, Cause: le.Message}
		}
		if err != nil {
			return nil, err
		}
		if out.Status == contract.StatusSent {
			m.sentAt = append(m.sentAt, m.clock.Now())
		}
		return map[string]any{"StatusCode": 200, "Payload": out}, nil
	}
	return nil, fmt.Errorf("unexpected resource %s", call.Resource)
}

func (m *machine) run(t *testing.T, name string, ev touchpoint.Event, key string) *asl.Execution {
	t.Helper()
	dir := m.dir
	if dir == "" {
		dir = filepath.Join("..", "..", "journeys")
	}
	j, err := journey.Load(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	sm, err := journey.Compile(j)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(contract.ExecutionInput{Journey: name, ProfileKey: ev.Email, TriggerKey: key, Trigger: ev})
	var input any
	_ = json.Unmarshal(b, &input)
	x, err := asl.Run(context.Background(), sm, input, asl.EngineOptions{Resolver: m, Clock: m.clock, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func (m *machine) sentSteps() []string {
	var out []string
	for _, msg := range m.ses.Outbox() {
		out = append(out, msg.Tags["step"])
	}
	return out
}

func cart(email string, at time.Time) touchpoint.Event {
	return touchpoint.Event{ID: "shopify:c-1:1", Source: "shopify", Type: touchpoint.CheckoutStarted, OccurredAt: at, Email: email,
		Checkout: &touchpoint.Checkout{ID: "c-1", Currency: "EUR", Total: "59.90", RecoveryURL: "https://shop.example/r",
			LineItems: []touchpoint.LineItem{{Title: "Shirt", Quantity: 1, Price: "59.90"}}, UpdatedAt: at}}
}

// TestSendFailuresRetry: the send function answers storage and SES
// failures with Parcours.Retryable; the compiled send Task retries them
// with backoff and, when they never pass, fails the execution with that
// name.
func TestSendFailuresRetry(t *testing.T) {
	const email = "ana@example.com"
	t.Run("SES fails twice then accepts: one email, execution succeeds", func(t *testing.T) {
		m := newMachine(t, t0)
		m.addProfile(t, email, touchpoint.ConsentSubscribed, "Europe/Paris")
		m.ses.RejectNext(2)
		x := m.run(t, "abandoned-cart", cart(email, t0), "c-1")
		if x.Status != asl.StatusSucceeded {
			t.Fatalf("status %s %s: %s", x.Status, x.Error, x.Cause)
		}
		want := []string{"cart-reminder-1", "cart-reminder-2", "cart-reminder-3"}
		if got := m.sentSteps(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("SES received %v, want %v (one email per step)", got, want)
		}
		if m.calls != 5 { // 3 attempts of the first step, then one each
			t.Errorf("%d send invocations, want 5", m.calls)
		}
	})
	t.Run("SES always fails: execution FAILED with Parcours.Retryable", func(t *testing.T) {
		m := newMachine(t, t0)
		m.addProfile(t, email, touchpoint.ConsentSubscribed, "Europe/Paris")
		m.ses.RejectNext(1000)
		x := m.run(t, "abandoned-cart", cart(email, t0), "c-1")
		if x.Status != asl.StatusFailed || x.Error != contract.ErrRetryable {
			t.Fatalf("status %s error %q, want FAILED %s", x.Status, x.Error, contract.ErrRetryable)
		}
		if len(m.ses.Outbox()) != 0 {
			t.Errorf("%d emails sent", len(m.ses.Outbox()))
		}
		if m.calls != 7 { // the first attempt and 6 retries
			t.Errorf("%d send invocations, want 7", m.calls)
		}
		if names := x.StateNames(); names[len(names)-1] != "Send failed" {
			t.Errorf("ended in %q, want the Send failed state", names[len(names)-1])
		}
	})
}

// TestWaitUntil runs the wait {until} feature journey with the real send
// function across the spring-forward night in Paris: the first email goes
// at 09:00 CEST; the evening one is held by the frequency cap, then by
// quiet hours, and goes at 08:00 the next morning.
func TestWaitUntil(t *testing.T) {
	const email = "ana@example.com"
	at := time.Date(2026, 3, 28, 6, 0, 0, 0, time.UTC) // 07:00 CET, the day before the change
	m := newMachine(t, at)
	m.dir = filepath.Join("..", "journey", "testdata", "features")
	m.h.Renderer = mail.Renderer{FS: os.DirFS(m.dir)}
	m.addProfile(t, email, touchpoint.ConsentSubscribed, "Europe/Paris")
	ev := touchpoint.Event{ID: "o-1", Source: "shopify", Type: touchpoint.OrderPlaced, OccurredAt: at, Email: email,
		Order: &touchpoint.Order{ID: "o-1", Currency: "EUR", Total: "10.00", CreatedAt: at}}
	x := m.run(t, "wait-until", ev, "o-1")
	if x.Status != asl.StatusSucceeded {
		t.Fatalf("status %s %s: %s", x.Status, x.Error, x.Cause)
	}
	want := []time.Time{
		time.Date(2026, 3, 29, 7, 0, 0, 0, time.UTC), // 09:00 CEST (1d later it is 08:00 CEST)
		time.Date(2026, 3, 30, 6, 0, 0, 0, time.UTC), // 18:30 capped until 01:00, quiet until 08:00 CEST
	}
	if !slices.EqualFunc(m.sentAt, want, time.Time.Equal) {
		t.Errorf("sent at %v, want %v", m.sentAt, want)
	}
	if got := m.sentSteps(); !slices.Equal(got, []string{"morning", "evening"}) {
		t.Errorf("SES received %v", got)
	}
}
