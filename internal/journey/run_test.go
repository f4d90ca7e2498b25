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
	"github.com/parcours/parcours/internal/journey/contract"
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
	sends  []contract.SendRequest
	sentAt []time.Time // when each send Task was entered
	raw    bool        // answer onSend's reply as is (no resume_at added)
	dir    string      // journeys folder; default the repository's
	seed   int64
	onSend func(n int, req contract.SendRequest) contract.SendResponse
}

func newWorld(t *testing.T) *world {
	db, table := ddbtest.New(t)
	return &world{t: t, db: db, table: table, onSend: func(int, contract.SendRequest) contract.SendResponse {
		return contract.SendResponse{Status: contract.StatusSent}
	}}
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
	in, _ := asl.Plain(call.Input).(map[string]any)
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
		var req contract.SendRequest
		if err := json.Unmarshal(b, &req); err != nil {
			return nil, fmt.Errorf("send payload: %w", err)
		}
		w.sends = append(w.sends, req)
		now, _ := time.Parse(time.RFC3339, call.ContextObject()["State"].(map[string]any)["EnteredTime"].(string))
		w.sentAt = append(w.sentAt, now)
		res := w.onSend(len(w.sends), req)
		if res.ResumeAt == "" && !w.raw { // as the send function answers
			res.ResumeAt = res.NotBefore
			if res.Status != contract.StatusDeferred {
				res.ResumeAt = now.Add(time.Duration(req.NextWaitSeconds) * time.Second).UTC().Format(time.RFC3339)
			}
		}
		return map[string]any{"StatusCode": 200, "Payload": res}, nil
	}
	return nil, fmt.Errorf("unexpected resource %s", call.Resource)
}

func (w *world) run(name string, ev touchpoint.Event, key string) *asl.Execution {
	w.t.Helper()
	dir := w.dir
	if dir == "" {
		dir = filepath.Join(repoRoot, "journeys")
	}
	j, err := Load(filepath.Join(dir, name))
	if err != nil {
		w.t.Fatal(err)
	}
	sm, err := Compile(j)
	if err != nil {
		w.t.Fatal(err)
	}
	in := contract.ExecutionInput{Journey: name, ProfileKey: ev.Email, TriggerKey: key, Trigger: ev}
	b, _ := json.Marshal(in)
	var input any
	_ = json.Unmarshal(b, &input)
	x, err := asl.Run(context.Background(), sm, input, asl.EngineOptions{Resolver: w, Start: start, Seed: w.seed})
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
		w.onSend = func(n int, req contract.SendRequest) contract.SendResponse {
			ordered := subscriber()
			at := start.Add(5 * time.Hour)
			ordered.LastOrderAt, ordered.OrderCount, ordered.Frequency = &at, 1, "new"
			w.putProfile(ordered)
			return contract.SendResponse{Status: contract.StatusSent}
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
		w.onSend = func(n int, req contract.SendRequest) contract.SendResponse {
			if n == 1 {
				return contract.SendResponse{Status: contract.StatusDeferred, Reason: "quiet_hours", NotBefore: start.Add(20 * time.Hour).Format(time.RFC3339)}
			}
			return contract.SendResponse{Status: contract.StatusSent}
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
		w.onSend = func(n int, req contract.SendRequest) contract.SendResponse {
			ordered := subscriber()
			at := start.Add(6 * time.Hour)
			ordered.LastOrderAt, ordered.OrderCount = &at, 1
			w.putProfile(ordered)
			return contract.SendResponse{Status: contract.StatusDeferred, Reason: "frequency_cap", NotBefore: start.Add(10 * time.Hour).Format(time.RFC3339)}
		}
		x := w.run("abandoned-cart", cartEvent("59.90"), "c-1")
		if names := x.StateNames(); len(w.sends) != 1 || names[len(names)-1] != "Exit: Ordered since start" {
			t.Errorf("%d sends, states %v", len(w.sends), names)
		}
	})
	t.Run("deferred every time: bounded by the send function's skip", func(t *testing.T) {
		w := newWorld(t)
		w.putProfile(subscriber())
		w.onSend = func(n int, req contract.SendRequest) contract.SendResponse {
			if n <= contract.MaxDeferrals {
				return contract.SendResponse{Status: contract.StatusDeferred, Reason: "quiet_hours", NotBefore: start.Add(time.Duration(4+n) * time.Hour).Format(time.RFC3339)}
			}
			return contract.SendResponse{Status: contract.StatusSkipped, Reason: "deferred_too_often"}
		}
		x := w.run("abandoned-cart", cartEvent("59.90"), "c-1")
		if x.Status != asl.StatusSucceeded || len(w.sends) != contract.MaxDeferrals+3 {
			t.Errorf("status %s, %d sends, want %d", x.Status, len(w.sends), contract.MaxDeferrals+3)
		}
	})
	t.Run("an unexpected reply fails the execution visibly", func(t *testing.T) {
		w := newWorld(t)
		w.putProfile(subscriber())
		w.onSend = func(int, contract.SendRequest) contract.SendResponse { return contract.SendResponse{Status: "maybe"} }
		x := w.run("abandoned-cart", cartEvent("59.90"), "c-1")
		if x.Status != asl.StatusFailed || x.Error != contract.ErrSendFailed || len(w.sends) != 1 {
			t.Errorf("status %s error %q after %d sends, want FAILED %s after 1", x.Status, x.Error, len(w.sends), contract.ErrSendFailed)
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

func (w *world) putOrder(o profile.OrderView) {
	w.t.Helper()
	b, _ := json.Marshal(o)
	_, err := w.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(w.table), Item: map[string]types.AttributeValue{
		profile.AttrPK:   &types.AttributeValueMemberS{Value: profile.ProfilePK("ada@example.com")},
		profile.AttrSK:   &types.AttributeValueMemberS{Value: profile.OrderSK(o.Source, o.ID)},
		profile.AttrView: &types.AttributeValueMemberS{Value: string(b)},
	}})
	if err != nil {
		w.t.Fatal(err)
	}
}

// TestShippedJourneysRun runs every shipped journey other than
// abandoned-cart (TestAbandonedCartRuns) on the engine: its happy path
// (every email, the pinned transition count) and its main exit.
func TestShippedJourneysRun(t *testing.T) {
	at := func(d time.Duration) *time.Time { v := start.Add(d); return &v }
	product := touchpoint.Event{ID: "e2", Source: "shopify", Type: touchpoint.ProductViewed, OccurredAt: start, Email: "ada@example.com",
		Product: &touchpoint.Product{ID: "p-1", Title: "Shirt", URL: "https://shop.example/p/shirt"}}
	order := func(typ touchpoint.Type) touchpoint.Event {
		return touchpoint.Event{ID: "e3", Source: "shopify", Type: typ, OccurredAt: start, Email: "ada@example.com",
			Order: &touchpoint.Order{ID: "1001", Number: "1001", Currency: "EUR", Total: "42.00", Status: "paid", CreatedAt: start}}
	}
	signup := touchpoint.Event{ID: "e4", Source: "shopify", Type: touchpoint.CustomerCreated, OccurredAt: start, Email: "ada@example.com",
		Consent: &touchpoint.Consent{State: touchpoint.ConsentSubscribed, UpdatedAt: start}}
	orderView := func(status string) profile.OrderView {
		return profile.OrderView{Source: "shopify", ID: "1001", Number: "1001", Status: status, CreatedAt: start}
	}
	tests := []struct {
		name, journey, key string
		ev                 touchpoint.Event
		profile            func(v *profile.View)
		order              *profile.OrderView
		onSend             func(w *world) func(int, contract.SendRequest) contract.SendResponse
		sends              []string
		end                string
		transitions        int
	}{
		{name: "browse-abandonment: one email", journey: "browse-abandonment", key: "p-1", ev: product,
			sends: []string{"browse-reminder"}, end: "Done", transitions: 6},
		{name: "browse-abandonment: carted since start", journey: "browse-abandonment", key: "p-1", ev: product,
			profile: func(v *profile.View) { v.LastCartAt = at(time.Hour) }, end: "Exit: Carted since start"},
		{name: "win-back: three emails", journey: "win-back", key: "1001", ev: order(touchpoint.OrderPlaced),
			profile: func(v *profile.View) { v.LastOrderAt, v.OrderCount = at(0), 1 },
			sends:   []string{"win-back-1", "win-back-2", "win-back-3"}, end: "Done", transitions: 14},
		{name: "win-back: a newer order owns the customer", journey: "win-back", key: "1001", ev: order(touchpoint.OrderPlaced),
			profile: func(v *profile.View) { v.LastOrderAt, v.OrderCount = at(10*24*time.Hour), 2 }, end: "Exit: Newer order"},
		{name: "review-request: two emails", journey: "review-request", key: "1001", ev: order(touchpoint.OrderDelivered),
			order: ptr(orderView("fulfilled")), sends: []string{"review-request-1", "review-request-2"}, end: "Done", transitions: 12},
		{name: "review-request: refunded order", journey: "review-request", key: "1001", ev: order(touchpoint.OrderDelivered),
			order: ptr(orderView("refunded")), end: "Exit: Order refunded or cancelled"},
		{name: "review-request: reviewed after the first email", journey: "review-request", key: "1001", ev: order(touchpoint.OrderDelivered),
			order: ptr(orderView("fulfilled")),
			onSend: func(w *world) func(int, contract.SendRequest) contract.SendResponse {
				return func(int, contract.SendRequest) contract.SendResponse {
					o := orderView("fulfilled")
					o.ReviewedAt = at(15 * 24 * time.Hour)
					w.putOrder(o)
					return contract.SendResponse{Status: contract.StatusSent}
				}
			},
			sends: []string{"review-request-1"}, end: "Exit: Order reviewed"},
		{name: "welcome: three emails", journey: "welcome", key: "ada@example.com", ev: signup,
			sends: []string{"welcome-1", "welcome-2", "welcome-3"}, end: "Done", transitions: 13},
		{name: "welcome: unsubscribed after the first email", journey: "welcome", key: "ada@example.com", ev: signup,
			onSend: func(w *world) func(int, contract.SendRequest) contract.SendResponse {
				return func(int, contract.SendRequest) contract.SendResponse {
					p := subscriber()
					p.Subscribed = false
					w.putProfile(p)
					return contract.SendResponse{Status: contract.StatusSent}
				}
			},
			sends: []string{"welcome-1"}, end: "Exit: Unsubscribed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			p := subscriber()
			if tt.profile != nil {
				tt.profile(&p)
			}
			w.putProfile(p)
			if tt.order != nil {
				w.putOrder(*tt.order)
			}
			if tt.onSend != nil {
				w.onSend = tt.onSend(w)
			}
			x := w.run(tt.journey, tt.ev, tt.key)
			if x.Status != asl.StatusSucceeded {
				t.Fatalf("status %s %s: %s", x.Status, x.Error, x.Cause)
			}
			if got := w.steps(); !slices.Equal(got, tt.sends) {
				t.Errorf("sent %v, want %v", got, tt.sends)
			}
			if names := x.StateNames(); names[len(names)-1] != tt.end {
				t.Errorf("ended in %q, want %q", names[len(names)-1], tt.end)
			}
			if tt.transitions != 0 && x.Transitions() != tt.transitions {
				t.Errorf("%d transitions, want %d (docs/journeys.md)", x.Transitions(), tt.transitions)
			}
		})
	}
}

// TestFeatureJourneysRun runs the split and segment feature journeys.
func TestFeatureJourneysRun(t *testing.T) {
	features := filepath.Join("testdata", "features")
	ev := touchpoint.Event{ID: "e3", Source: "shopify", Type: touchpoint.OrderPlaced, OccurredAt: start, Email: "ada@example.com",
		Order: &touchpoint.Order{ID: "1001", Currency: "EUR", Total: "42.00", CreatedAt: start}}
	t.Run("split: every arm is taken, the holdout gets nothing, arms join before the survey", func(t *testing.T) {
		want := map[string][]string{
			"control": nil,
			"now":     {"thanks-now", "survey"},
			"later":   {"thanks-later", "survey"},
		}
		seen := map[string]int{}
		for seed := int64(1); seed <= 40; seed++ {
			w := newWorld(t)
			w.dir, w.seed = features, seed
			w.putProfile(subscriber())
			x := w.run("split-holdout", ev, "1001")
			if x.Status != asl.StatusSucceeded {
				t.Fatalf("seed %d: status %s %s", seed, x.Status, x.Error)
			}
			arm := "now"
			switch names := x.StateNames(); {
			case slices.Contains(names, "Holdout: follow-up control"):
				arm = "control"
			case slices.Contains(names, "Wait 2d"):
				arm = "later"
			}
			seen[arm]++
			if got := w.steps(); !slices.Equal(got, want[arm]) {
				t.Errorf("seed %d, arm %s: sent %v, want %v", seed, arm, got, want[arm])
			}
		}
		t.Logf("arms over 40 runs: %v", seen)
		if len(seen) != 3 || seen["control"] > seen["now"] || seen["control"] > seen["later"] {
			t.Errorf("arms over 40 runs: %v (10%% / 45%% / 45%%)", seen)
		}
	})
	day := 24 * time.Hour
	at := func(d time.Duration) *time.Time { v := start.Add(d); return &v }
	for _, c := range []struct {
		name    string
		profile func(v *profile.View)
		sends   []string
		end     string
	}{
		{"tagged VIP, then the exit step", func(v *profile.View) { v.Tag = map[string]bool{"vip": true} }, []string{"vip"}, "Exit: vip handled"},
		{"loyal with a high AOV", func(v *profile.View) {
			v.Frequency, v.AOV, v.LastOrderAt, v.InactiveAt, v.LostAt = "loyal", 95, at(-day), at(89*day), at(179*day)
		}, []string{"loyal"}, "Done"},
		{"loyal with a low AOV falls through to recency", func(v *profile.View) {
			v.Frequency, v.AOV, v.LastOrderAt, v.InactiveAt, v.LostAt = "loyal", 40, at(-200*day), at(-110*day), at(-20*day)
		}, []string{"lapsed"}, "Done"},
		{"inactive (not active) is lapsed", func(v *profile.View) {
			v.Frequency, v.LastOrderAt, v.InactiveAt, v.LostAt = "repeat", at(-100*day), at(-10*day), at(80*day)
		}, []string{"lapsed"}, "Done"},
		{"active shirt fan on mobile from email", func(v *profile.View) {
			v.Frequency, v.LastOrderAt, v.InactiveAt, v.LostAt, v.FavouriteCategory = "new", at(-day), at(89*day), at(179*day), "Knitwear"
			v.LastTouch = &touchpoint.Touch{Channel: "email", Device: "mobile"}
		}, []string{"shirts"}, "Done"},
		{"active shirt fan on desktop gets nothing", func(v *profile.View) {
			v.Frequency, v.LastOrderAt, v.InactiveAt, v.LostAt, v.FavouriteCategory = "new", at(-day), at(89*day), at(179*day), "Shirts"
			v.LastTouch = &touchpoint.Touch{Channel: "email", Device: "desktop"}
		}, nil, "Done"},
	} {
		t.Run("segments: "+c.name, func(t *testing.T) {
			w := newWorld(t)
			w.dir = features
			p := subscriber()
			c.profile(&p)
			w.putProfile(p)
			x := w.run("segments", ev, "1001")
			if x.Status != asl.StatusSucceeded {
				t.Fatalf("status %s %s: %s", x.Status, x.Error, x.Cause)
			}
			if got := w.steps(); !slices.Equal(got, c.sends) {
				t.Errorf("sent %v, want %v", got, c.sends)
			}
			if names := x.StateNames(); names[len(names)-1] != c.end {
				t.Errorf("ended in %q, want %q", names[len(names)-1], c.end)
			}
		})
	}
}
