package router_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/parcours/parcours/internal/journey/contract"
	"github.com/parcours/parcours/internal/router"
	"github.com/parcours/parcours/internal/touchpoint"
	"github.com/parcours/parcours/statemachines"
)

func TestParseStateMachineARNs(t *testing.T) {
	m := contract.Manifest{Journeys: []contract.ManifestJourney{{Journey: "a"}, {Journey: "b"}}}
	got, err := router.ParseStateMachineARNs(" a=arn:aws:states:r:1:stateMachine:a:live, b=arn:aws:states:r:1:stateMachine:b:live ", m)
	if err != nil || got["a"] != "arn:aws:states:r:1:stateMachine:a:live" || len(got) != 2 {
		t.Fatalf("got %v %v", got, err)
	}
	for in, want := range map[string]string{
		"a=arn:x":                 "STATE_MACHINE_ARNS has no ARN for journey b",
		"":                        "STATE_MACHINE_ARNS has no ARN for journey a, b",
		"a=arn:x,b=arn:y,c=arn:z": "STATE_MACHINE_ARNS names journeys the manifest does not have: c",
		"a=arn:x,b":               `STATE_MACHINE_ARNS: "b" is not journey=arn`,
		"a=arn:x,b=not-an-arn":    `STATE_MACHINE_ARNS: "b=not-an-arn" is not journey=arn`,
	} {
		if _, err := router.ParseStateMachineARNs(in, m); err == nil || err.Error() != want {
			t.Errorf("%q: err = %v, want %s", in, err, want)
		}
	}
}

// TestCompiledManifest routes one event of each kind through the manifest
// the compiler committed, so a change there that the router cannot follow
// fails here.
func TestCompiledManifest(t *testing.T) {
	m, err := router.LoadManifest(statemachines.FS, statemachines.Triggers)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	e.h.Manifest = m
	for _, j := range m.Journeys {
		arn := arnPrefix + "parcours-" + j.Journey
		e.sfn.AddStateMachine(arn)
		e.h.StateMachines[j.Journey] = arn + ":live"
	}
	at := e.now.Add(-time.Hour)
	order := &touchpoint.Order{ID: "o1", Number: "#1001", Currency: "EUR", Total: "89.00", Status: "fulfilled", CreatedAt: at, UpdatedAt: at,
		LineItems: []touchpoint.LineItem{{ProductID: "p1", Title: "Linen shirt", Quantity: 1, Price: "89.00"}}}
	evs := []touchpoint.Event{
		checkout("c1", "ana@example.com", "EUR"),
		{ID: "pv1", Source: "standard", Type: touchpoint.ProductViewed, OccurredAt: at, Email: "ana@example.com",
			Product: &touchpoint.Product{ID: "p1", Title: "Linen shirt", URL: "https://shop.example/p/linen-shirt", Price: "89.00", Currency: "EUR"}},
		{ID: "op1", Source: "shopify", Type: touchpoint.OrderPlaced, OccurredAt: at, Email: "ana@example.com", Order: order},
		{ID: "of1", Source: "shopify", Type: touchpoint.OrderFulfilled, OccurredAt: at, Email: "ana@example.com", Order: order},
		{ID: "cc1", Source: "shopify", Type: touchpoint.CustomerCreated, OccurredAt: at, Email: "ana@example.com",
			Consent: &touchpoint.Consent{State: "subscribed", UpdatedAt: at}},
	}
	var recs []events.DynamoDBEventRecord
	for _, ev := range evs {
		recs = append(recs, e.ingest(t, ev))
	}
	resp, err := e.h.Handle(context.Background(), events.DynamoDBEvent{Records: recs})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("resp %v err %v", resp, err)
	}
	started := map[string]bool{}
	for _, x := range e.sfn.Executions() {
		started[x.Name[:strings.LastIndexByte(x.Name, '-')]] = true
	}
	for _, j := range m.Journeys {
		if !started[j.Journey] {
			t.Errorf("journey %s did not start (started: %v)", j.Journey, started)
		}
	}
}
