package journey

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parcours/parcours/internal/asl"
	"github.com/parcours/parcours/internal/ddbtest"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/touchpoint"
)

// world runs a compiled journey on the project's ASL engine in virtual
// time, reading profiles from the embedded DynamoDB through the real SDK
// client, and recording the send function's calls.
type world struct {
	t      *testing.T
	db     *dynamodb.Client
	table  string
	sends  []SendRequest
	sentAt []time.Time // when each send Task was entered
	raw    bool        // answer onSend's reply as is (no resume_at added)
	onSend func(n int, req SendRequest) SendResponse
}

func newWorld(t *testing.T) *world {
	db, table := ddbtest.New(t)
	return &world{t: t, db: db, table: table, onSend: func(int, SendRequest) SendResponse { return SendResponse{Status: StatusSent} }}
}

func (w *world) putProfile(v profile.View) {
	w.t.Helper()
	b, _ := json.Marshal(v)
	_, err := w.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(w.table), Item: map[string]types.AttributeValue{
		profile.AttrPK:   &types.AttributeValueMemberS{Value: profile.ProfilePK(v.Email)},
		profile.AttrSK:   &types.AttributeValueMemberS{Value: profile.SKProfile},
		profile.AttrView: &types.AttributeValueMemberS{Value: string(b)},
	}})
	if err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) Invoke(ctx context.Context, call asl.TaskCall) (any, error) {
	in, _ := call.Input.(map[string]any)
	switch call.Resource {
	case ResourceGetItem:
		key := in["Key"].(map[string]any)
		out, err := w.db.GetItem(ctx, &dynamodb.GetItemInput{
			TableName:      aws.String(w.table),
			ConsistentRead: aws.Bool(true),
			Key: map[string]types.AttributeValue{
				profile.AttrPK: &types.AttributeValueMemberS{Value: key["pk"].(map[string]any)["S"].(string)},
				profile.AttrSK: &types.AttributeValueMemberS{Value: key["sk"].(map[string]any)["S"].(string)},
			},
		})
		if err != nil {
			return nil, err
		}
		if out.Item == nil {
			return map[string]any{}, nil
		}
		item := map[string]any{}
		for k, v := range out.Item {
			if s, ok := v.(*types.AttributeValueMemberS); ok {
				item[k] = map[string]any{"S": s.Value}
			}
		}
		return map[string]any{"Item": item}, nil
	case ResourceInvoke:
		b, _ := json.Marshal(in["Payload"])
		var req SendRequest
		if err := json.Unmarshal(b, &req); err != nil {
			return nil, fmt.Errorf("send payload: %w", err)
		}
		w.sends = append(w.sends, req)
		now, _ := time.Parse(time.RFC3339, call.Context["State"].(map[string]any)["EnteredTime"].(string))
		w.sentAt = append(w.sentAt, now)
		res := w.onSend(len(w.sends), req)
		if res.ResumeAt == "" && !w.raw { // as the send function answers
			res.ResumeAt = res.NotBefore
			if res.Status != StatusDeferred {
				res.ResumeAt = now.Add(time.Duration(req.NextWaitSeconds) * time.Second).UTC().Format(time.RFC3339)
			}
		}
		return map[string]any{"StatusCode": 200, "Payload": res}, nil
	}
	return nil, fmt.Errorf("unexpected resource %s", call.Resource)
}

func (w *world) run(name string, ev touchpoint.Event, key string) *asl.Execution {
	w.t.Helper()
	j, err := Load(filepath.Join(repoRoot, "journeys", name))
	if err != nil {
		w.t.Fatal(err)
	}
	sm, err := Compile(j)
	if err != nil {
		w.t.Fatal(err)
	}
	in := ExecutionInput{Journey: name, ProfileKey: ev.Email, TriggerKey: key, Trigger: ev}
	b, _ := json.Marshal(in)
	var input any
	_ = json.Unmarshal(b, &input)
	x, err := asl.Run(context.Background(), sm, input, asl.EngineOptions{Resolver: w, Start: start})
	if err != nil {
		w.t.Fatal(err)
	}
	return x
}

func (w *world) steps() []string {
	var out []string
	for _, s := range w.sends {
		out = append(out, s.Step)
	}
	return out
}

var start = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func cartEvent(total string) touchpoint.Event {
	return touchpoint.Event{ID: "e1", Source: "shopify", Type: touchpoint.CheckoutStarted, OccurredAt: start, Email: "ada@example.com",
		Checkout: &touchpoint.Checkout{ID: "c-1", RecoveryURL: "https://shop.example/r", Currency: "EUR", Total: total,
			LineItems: []touchpoint.LineItem{{Title: "Shirt", Quantity: 1, Price: total}}, UpdatedAt: start}}
}

func subscriber() profile.View {
	return profile.View{Email: "ada@example.com", Subscribed: true, Frequency: "prospect", CreatedAt: start.Add(-time.Hour), UpdatedAt: start}
}

func TestAbandonedCartRuns(t *testing.T) {
	t.Run("no order: three emails, small cart gets the plain second email", func(t *testing.T) {
		w := newWorld(t)
		w.putProfile(subscriber())
		x := w.run("abandoned-cart", cartEvent("59.90"), "c-1")
		if x.Status != asl.StatusSucceeded {
			t.Fatalf("status %s %s %s", x.Status, x.Error, x.Cause)
		}
		if got, want := w.steps(), []string{"cart-reminder-1", "cart-reminder-2", "cart-reminder-3"}; !slices.Equal(got, want) {
			t.Errorf("sent %v, want %v", got, want)
		}
		if got := x.Transitions(); got != 14 {
			t.Errorf("%d transitions, want 14", got)
		}
	})
	t.Run("big cart gets the discount variant", func(t *testing.T) {
		w := newWorld(t)
		w.putProfile(subscriber())
		w.run("abandoned-cart", cartEvent("129.90"), "c-1")
		if got, want := w.steps(), []string{"cart-reminder-1", "cart-reminder-2-discount", "cart-reminder-3"}; !slices.Equal(got, want) {
			t.Errorf("sent %v, want %v", got, want)
		}
		if w.sends[1].Data["discount_code"] != "COMEBACK10" {
			t.Errorf("discount data not passed: %v", w.sends[1].Data)
		}
	})
	t.Run("ordered during the wait after email 1: no further email", func(t *testing.T) {
		w := newWorld(t)
		w.putProfile(subscriber())
		w.onSend = func(n int, req SendRequest) SendResponse {
			ordered := subscriber()
			at := start.Add(5 * time.Hour)
			ordered.LastOrderAt, ordered.OrderCount, ordered.Frequency = &at, 1, "new"
			w.putProfile(ordered)
			return SendResponse{Status: StatusSent}
		}
		x := w.run("abandoned-cart", cartEvent("59.90"), "c-1")
		if got := w.steps(); !slices.Equal(got, []string{"cart-reminder-1"}) {
			t.Errorf("sent %v, want only cart-reminder-1", got)
		}
		if last := x.StateNames(); last[len(last)-1] != "Exit: Ordered since start" {
			t.Errorf("ended in %q", last[len(last)-1])
		}
	})
	t.Run("deferred send waits for not_before, re-checks and sends again", func(t *testing.T) {
		w := newWorld(t)
		w.putProfile(subscriber())
		w.onSend = func(n int, req SendRequest) SendResponse {
			if n == 1 {
				return SendResponse{Status: StatusDeferred, Reason: "quiet_hours", NotBefore: start.Add(20 * time.Hour).Format(time.RFC3339)}
			}
			return SendResponse{Status: StatusSent}
		}
		x := w.run("abandoned-cart", cartEvent("59.90"), "c-1")
		if got, want := w.steps(), []string{"cart-reminder-1", "cart-reminder-1", "cart-reminder-2", "cart-reminder-3"}; !slices.Equal(got, want) {
			t.Errorf("sent %v, want %v", got, want)
		}
		// The Wait after the send ends at not_before, the exits are
		// re-checked on a fresh read, and the send is tried again.
		names := x.StateNames()
		i := slices.Index(names, "Send cart-reminder-1")
		if want := []string{"Send cart-reminder-1", "Wait 20h", "Read profile after Wait 20h", "Check exits after Wait 20h", "Send cart-reminder-1"}; i < 0 || !slices.Equal(names[i:i+5], want) {
			t.Errorf("states %v, want the deferral loop %v", names, want)
		}
		// 4h, deferred to +20h, sent; email 2 comes 20h after that send.
		want := []time.Time{start.Add(4 * time.Hour), start.Add(20 * time.Hour), start.Add(40 * time.Hour), start.Add(88 * time.Hour)}
		if !slices.EqualFunc(w.sentAt, want, time.Time.Equal) {
			t.Errorf("send times %v, want %v", w.sentAt, want)
		}
		if got := x.Transitions(); got != 18 {
			t.Errorf("%d transitions, want 14 + 4 for the deferral", got)
		}
	})
	t.Run("an order placed during a deferral ends the journey", func(t *testing.T) {
		w := newWorld(t)
		w.putProfile(subscriber())
		w.onSend = func(n int, req SendRequest) SendResponse {
			ordered := subscriber()
			at := start.Add(6 * time.Hour)
			ordered.LastOrderAt, ordered.OrderCount = &at, 1
			w.putProfile(ordered)
			return SendResponse{Status: StatusDeferred, Reason: "frequency_cap", NotBefore: start.Add(10 * time.Hour).Format(time.RFC3339)}
		}
		x := w.run("abandoned-cart", cartEvent("59.90"), "c-1")
		if names := x.StateNames(); len(w.sends) != 1 || names[len(names)-1] != "Exit: Ordered since start" {
			t.Errorf("%d sends, states %v", len(w.sends), names)
		}
	})
	t.Run("deferred every time: bounded by the send function's skip", func(t *testing.T) {
		w := newWorld(t)
		w.putProfile(subscriber())
		w.onSend = func(n int, req SendRequest) SendResponse {
			if n <= MaxDeferrals {
				return SendResponse{Status: StatusDeferred, Reason: "quiet_hours", NotBefore: start.Add(time.Duration(4+n) * time.Hour).Format(time.RFC3339)}
			}
			return SendResponse{Status: StatusSkipped, Reason: "deferred_too_often"}
		}
		x := w.run("abandoned-cart", cartEvent("59.90"), "c-1")
		if x.Status != asl.StatusSucceeded || len(w.sends) != MaxDeferrals+3 {
			t.Errorf("status %s, %d sends, want %d", x.Status, len(w.sends), MaxDeferrals+3)
		}
	})
	t.Run("an unexpected reply fails the execution visibly", func(t *testing.T) {
		w := newWorld(t)
		w.putProfile(subscriber())
		w.onSend = func(int, SendRequest) SendResponse { return SendResponse{Status: "maybe"} }
		x := w.run("abandoned-cart", cartEvent("59.90"), "c-1")
		if x.Status != asl.StatusFailed || x.Error != ErrSendFailed || len(w.sends) != 1 {
			t.Errorf("status %s error %q after %d sends, want FAILED %s after 1", x.Status, x.Error, len(w.sends), ErrSendFailed)
		}
	})
	t.Run("a reply without resume_at fails the execution visibly", func(t *testing.T) {
		w := newWorld(t)
		w.putProfile(subscriber())
		w.raw = true
		x := w.run("abandoned-cart", cartEvent("59.90"), "c-1")
		if x.Status != asl.StatusFailed || x.Error != asl.ErrRuntime || len(w.sends) != 1 {
			t.Errorf("status %s error %q after %d sends, want FAILED %s after 1", x.Status, x.Error, len(w.sends), asl.ErrRuntime)
		}
	})
	t.Run("profile missing: the execution fails visibly, nothing sent", func(t *testing.T) {
		w := newWorld(t) // no profile item
		x := w.run("abandoned-cart", cartEvent("59.90"), "c-1")
		if x.Status != asl.StatusFailed || x.Error != asl.ErrRuntime || len(w.sends) != 0 {
			t.Errorf("status %s error %q, %d sends; want FAILED %s before any send", x.Status, x.Error, len(w.sends), asl.ErrRuntime)
		}
	})
	t.Run("unsubscribed before email 1: exits without sending", func(t *testing.T) {
		w := newWorld(t)
		p := subscriber()
		p.Subscribed = false
		w.putProfile(p)
		x := w.run("abandoned-cart", cartEvent("59.90"), "c-1")
		if len(w.sends) != 0 || !strings.HasPrefix(x.StateNames()[len(x.StateNames())-1], "Exit: Unsubscribed") {
			t.Errorf("sent %v, ended %v", w.steps(), x.StateNames())
		}
	})
}
