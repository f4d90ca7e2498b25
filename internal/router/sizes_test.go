package router_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/parcours/parcours/internal/journey/contract"
	"github.com/parcours/parcours/internal/router"
	"github.com/parcours/parcours/internal/sfnapi"
	"github.com/parcours/parcours/internal/touchpoint"
	"github.com/parcours/parcours/internal/touchpoint/sizetest"
)

// TestLargestEventStartsJourneys: the largest checkout the decoders can
// produce (500 lines and 250 tags fitted to their budgets, free text as
// long as the event budget allows, in 6-byte characters) starts both its
// journeys through the local Step Functions endpoint, which refuses an
// input over 262,144 bytes as AWS does; the input is the whole event and
// stays under the limit with room for the profile view the journey adds.
func TestLargestEventStartsJourneys(t *testing.T) {
	e := newEnv(t)
	ev := sizetest.Checkout("worst@example.com", "c-largest", 0)
	resp, err := e.h.Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{e.ingest(t, ev)}})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("Handle: %+v, %v", resp, err)
	}
	execs := e.sfn.Executions()
	if len(execs) != 2 {
		t.Fatalf("%d executions, want abandoned-cart and euro-cart", len(execs))
	}
	for _, x := range execs {
		var in contract.ExecutionInput
		if err := json.Unmarshal([]byte(x.Input), &in); err != nil {
			t.Fatal(err)
		}
		if in.Trigger.Checkout == nil || in.Trigger.Checkout.LineItemsOmitted == 0 ||
			len(in.Trigger.Checkout.LineItems)+in.Trigger.Checkout.LineItemsOmitted != touchpoint.MaxLineItems {
			t.Fatalf("%s: trigger checkout %+v", x.Name, in.Trigger.Checkout)
		}
		// The journey adds the profile view (at most profile.MaxViewBytes).
		if len(x.Input) > touchpoint.MaxEventBytes+1024 || len(x.Input)+64*1024 > sfnapi.MaxInput-32*1024 {
			t.Fatalf("%s: input of %d bytes", x.Name, len(x.Input))
		}
		t.Logf("%s: input of %d bytes", x.Name, len(x.Input))
	}
}

// TestInputOverLimitNotStarted: an event stored without the decoders'
// budgets whose execution input would exceed Step Functions' limit
// starts nothing, is counted (JourneysNotStarted, input_too_large) and
// is not retried: Step Functions would refuse it every time.
func TestInputOverLimitNotStarted(t *testing.T) {
	e := newEnv(t)
	ev := checkout("c-big", "big@example.com", "EUR")
	ev.Checkout.LineItems = []touchpoint.LineItem{{Title: strings.Repeat("a", router.MaxExecutionInput), Quantity: 1, Price: "1.00"}}
	resp, err := e.h.Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{e.ingest(t, ev)}})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("Handle: %+v, %v", resp, err)
	}
	if n := len(e.sfn.Executions()); n != 0 {
		t.Fatalf("%d executions", n)
	}
	if got := e.metrics.String(); strings.Count(got, `"Reason":"input_too_large"`) != 2 || strings.Contains(got, "RouterPoisonRecords") {
		t.Fatalf("metrics:\n%s", got)
	}
}
