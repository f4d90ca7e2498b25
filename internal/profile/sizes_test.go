package profile_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parcours/parcours/internal/ddbtest"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/touchpoint"
	"github.com/parcours/parcours/internal/touchpoint/sizetest"
)

// The limits the budgets keep every item and payload under, with the
// margin these tests demand.
const (
	ddbItemLimit = 400 * 1024 // DynamoDB: item size, names and values
	sfnLimit     = 256 * 1024 // Step Functions: execution input, state input and output, task result
	margin       = 32 * 1024
)

// itemSize is an item's size as DynamoDB counts it: attribute names plus
// values (strings in UTF-8 bytes; numbers bounded by their text).
func itemSize(item map[string]types.AttributeValue) int {
	n := 0
	for k, v := range item {
		n += len(k)
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			n += len(v.Value)
		case *types.AttributeValueMemberN:
			n += len(v.Value) + 1
		default:
			n += 64
		}
	}
	return n
}

func str(item map[string]types.AttributeValue, k string) string {
	s, _ := item[k].(*types.AttributeValueMemberS)
	if s == nil {
		return ""
	}
	return s.Value
}

// getItemResult is what the journeys' dynamodb:getItem task returns to
// Step Functions for the profile item: {"Item": {name: {"S": value}}},
// the view and totals JSON escaped once more inside it.
func getItemResult(t *testing.T, item map[string]types.AttributeValue) int {
	t.Helper()
	m := map[string]any{}
	for k, v := range item {
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			m[k] = map[string]string{"S": v.Value}
		case *types.AttributeValueMemberN:
			m[k] = map[string]string{"N": v.Value}
		}
	}
	b, err := json.Marshal(map[string]any{"Item": m})
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}

// stateSize is the largest state a journey holds after reading the
// profile: the execution input (journey, profile key, trigger key, the
// trigger event) with the view under $.profile, plus room for a send
// reply and a caught error.
func stateSize(t *testing.T, ev touchpoint.Event, view string) int {
	t.Helper()
	in, err := json.Marshal(map[string]any{"journey": strings.Repeat("j", 64), "profile_key": ev.Email,
		"trigger_key": strings.Repeat("k", 255), "trigger": ev, "profile": map[string]any{"view": json.RawMessage(view), "numbers": map[string]float64{"checkout_total": 750}}})
	if err != nil {
		t.Fatal(err)
	}
	return len(in) + 8*1024
}

// checkSizes asserts every item of the table and the journey payloads
// built from it stay within their limits with margin.
func checkSizes(t *testing.T, db *dynamodb.Client, table string, evs []touchpoint.Event) {
	t.Helper()
	var view string
	largest := map[string]int{}
	defer func() { t.Logf("largest: %v", largest) }()
	for _, item := range ddbtest.Scan(t, db, table) {
		size, sk := itemSize(item), str(item, profile.AttrSK)
		kind, _, _ := strings.Cut(sk, "#")
		largest[kind] = max(largest[kind], size)
		if size > ddbItemLimit-margin {
			t.Errorf("%s item: %d bytes", sk, size)
		}
		switch {
		case sk == profile.SKEvent && size > touchpoint.MaxEventBytes+2048:
			t.Errorf("event item: %d bytes, over MaxEventBytes", size)
		case sk == profile.SKProfile:
			view = str(item, profile.AttrView)
			if len(view) > profile.MaxViewBytes {
				t.Errorf("view: %d bytes", len(view))
			}
			n := getItemResult(t, item)
			largest["getItem result"] = n
			if n > sfnLimit-margin {
				t.Errorf("getItem result of the profile: %d bytes", n)
			}
		}
	}
	if view == "" {
		t.Fatal("no profile item")
	}
	for _, ev := range evs {
		n := stateSize(t, ev, view)
		largest["state"] = max(largest["state"], n)
		if n > sfnLimit-margin {
			t.Errorf("state of a journey triggered by %s: %d bytes", ev.ID, n)
		}
	}
}

// TestBackendsWorstCaseSizes stores the largest events the decoders can
// produce — checkouts with 500 lines and 250 tags, orders with 500 lines
// in 500 categories, reviews, names and URLs as long as the event budget
// allows, in 6-byte characters — over many orders, on minidyn and on
// dynalite (which refuses items over 400 KB as DynamoDB does). Every
// write succeeds, every item and journey payload stays under its limit
// with margin, and a later ordinary webhook for the same customer is
// still stored.
func TestBackendsWorstCaseSizes(t *testing.T) {
	ctx := context.Background()
	ddbtest.ForEachBackend(t, func(t *testing.T, db *dynamodb.Client, table string) {
		s := newStore(db, table)
		const email = "worst@example.com"
		var evs []touchpoint.Event
		apply := func(ev touchpoint.Event) {
			t.Helper()
			out, err := s.Apply(ctx, ev)
			if err != nil || out.Status != profile.Stored {
				t.Fatalf("apply %s: %+v, %v", ev.ID, out, err)
			}
			evs = append(evs, ev)
		}
		const orders = 12 // 12 × 25 counted categories: past MaxTrackedCategories
		for i := range orders {
			checkoutID := fmt.Sprintf("%03d", i) + sizetest.Lt(touchpoint.MaxIDBytes-3)
			orderID := fmt.Sprintf("o%03d", i) + sizetest.Lt(touchpoint.MaxIDBytes-4)
			apply(sizetest.Checkout(email, checkoutID, 3*i))
			apply(sizetest.Order(email, orderID, checkoutID, fmt.Sprintf("c%02d", i), 3*i+1))
			apply(sizetest.Review(email, orderID, 3*i+2))
		}
		checkSizes(t, db, table, evs)

		p, err := s.Get(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		v := p.View
		if v.OrderCount != orders || v.TotalSpent["EUR"] != fmt.Sprintf("%d.00", 750*orders) {
			t.Errorf("order_count %d, total_spent %v: money must stay exact", v.OrderCount, v.TotalSpent)
		}
		if len(p.Totals.Categories) != profile.MaxTrackedCategories && profile.MaxCategoriesBytes/(6*255) >= profile.MaxTrackedCategories {
			t.Errorf("tracked categories: %d", len(p.Totals.Categories))
		}
		if len(p.Totals.Categories) == 0 || len(v.Categories) == 0 || len(v.Categories) > profile.MaxViewCategories {
			t.Errorf("categories: %d tracked, %d in the view", len(p.Totals.Categories), len(v.Categories))
		}
		if len(p.Totals.CompletedCheckouts) == 0 || len(p.Totals.ReviewedOrders) == 0 {
			t.Errorf("completed checkouts %d, reviewed orders %d", len(p.Totals.CompletedCheckouts), len(p.Totals.ReviewedOrders))
		}
		if c := v.LastCheckout; c == nil || c.LineItemsOmitted == 0 || len(c.LineItems)+c.LineItemsOmitted != touchpoint.MaxLineItems {
			t.Errorf("last checkout: %+v", c)
		}
		if v.TagsOmitted == 0 || len(v.Tags)+v.TagsOmitted != touchpoint.MaxTags {
			t.Errorf("tags: %d kept, %d omitted", len(v.Tags), v.TagsOmitted)
		}

		// The customer's later webhooks are still stored.
		later := touchpoint.Event{ID: "standard:later", Source: "standard", Type: touchpoint.OrderPlaced, Topic: "order_placed",
			OccurredAt: sizetest.At(1000), Email: email,
			Order: &touchpoint.Order{ID: "later", Currency: "EUR", Total: "10.00", CreatedAt: sizetest.At(1000), UpdatedAt: sizetest.At(1000),
				LineItems: []touchpoint.LineItem{{Title: "Mug", Quantity: 1, Price: "10.00", Category: "Kitchen"}}}}
		apply(later)
		if v, err := s.GetView(ctx, email); err != nil || v.OrderCount != orders+1 {
			t.Fatalf("after a later order: %d orders, %v", v.OrderCount, err)
		}
		checkSizes(t, db, table, evs)
	})
}

// TestShrinkView: a view past MaxViewBytes loses its least needed parts
// first, and only as many as needed.
func TestShrinkView(t *testing.T) {
	long := sizetest.Lt(touchpoint.MaxString)
	v := profile.View{Email: "a@example.com", FirstName: "Ann", Timezone: "Europe/Paris",
		Tags: sizetest.Tags()[:20], LastTouch: &touchpoint.Touch{Channel: "web", LandingSite: long, ReferringSite: long},
		LastCheckout: &touchpoint.Checkout{ID: "c1", Token: long, RecoveryURL: long,
			LineItems: []touchpoint.LineItem{{Title: long}, {Title: long}}}}
	got, b, err := profile.ShrinkView(v)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > profile.MaxViewBytes {
		t.Fatalf("%d bytes", len(b))
	}
	if got.LastCheckout == nil || got.LastCheckout.LineItems != nil || got.LastCheckout.LineItemsOmitted != 2 ||
		got.LastTouch == nil || got.LastTouch.LandingSite != "" || got.LastTouch.Channel != "web" {
		t.Fatalf("first steps: %+v %+v", got.LastCheckout, got.LastTouch)
	}
	if got.LastCheckout.RecoveryURL != "" || len(got.Tags) != 20 || got.TagsOmitted != 0 || got.FirstName != "Ann" || got.LastCheckout.ID != "c1" {
		t.Fatalf("the view lost more than needed, or not what comes first: %+v", got)
	}
	if v.LastCheckout.LineItems == nil {
		t.Fatal("ShrinkView changed its argument")
	}
	small := profile.View{Email: "a@example.com", FirstName: "Ann"}
	if got, _, _ := profile.ShrinkView(small); got.FirstName != "Ann" {
		t.Fatal("a small view changed")
	}
}
