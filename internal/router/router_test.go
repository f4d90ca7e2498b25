package router_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/parcours/parcours/internal/asl"
	"github.com/parcours/parcours/internal/ddbtest"
	"github.com/parcours/parcours/internal/emf"
	"github.com/parcours/parcours/internal/journey/contract"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/router"
	"github.com/parcours/parcours/internal/sfnapi"
	"github.com/parcours/parcours/internal/touchpoint"
)

var update = flag.Bool("update", false, "rewrite events/dynamodb-stream fixtures")

const arnPrefix = "arn:aws:states:eu-west-1:123456789012:stateMachine:"

func ptr[T any](v T) *T { return &v }

// manifest has two journeys on checkout_started (one filtered on EUR
// carts) and a welcome journey that a profile enters once.
func manifest() contract.Manifest {
	key := "$.trigger.checkout.id"
	present := asl.ChoiceRule{Variable: key, IsPresent: ptr(true)}
	return contract.Manifest{Journeys: []contract.ManifestJourney{
		{Journey: "abandoned-cart", Events: []touchpoint.Type{touchpoint.CheckoutStarted, touchpoint.CheckoutUpdated},
			TriggerKeyPath: key, Filter: &present, ReEntry: contract.ReEntryAfter, ReEntrySeconds: 7 * 24 * 3600},
		{Journey: "euro-cart", Events: []touchpoint.Type{touchpoint.CheckoutStarted},
			TriggerKeyPath: key, ReEntry: contract.ReEntryAlways, Filter: &asl.ChoiceRule{And: []asl.ChoiceRule{
				present, {Variable: "$.trigger.checkout.currency", StringEquals: ptr("EUR")}}}},
		{Journey: "welcome", Events: []touchpoint.Type{touchpoint.CustomerCreated},
			TriggerKeyPath: "$.profile_key", ReEntry: contract.ReEntryNever},
	}}
}

type env struct {
	h       *router.Handler
	store   *profile.Store
	db      *dynamodb.Client
	table   string
	sfn     *sfnapi.Server
	now     time.Time
	metrics *bytes.Buffer
	seq     int
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db, table := ddbtest.New(t)
	srv := sfnapi.NewServer()
	arns := map[string]string{}
	for _, j := range []string{"abandoned-cart", "euro-cart", "welcome"} {
		srv.AddStateMachine(arnPrefix + "parcours-" + j)
		arns[j] = arnPrefix + "parcours-" + j + ":live"
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	client := sfn.New(sfn.Options{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("t", "t", ""),
		BaseEndpoint: aws.String(ts.URL), RetryMaxAttempts: 1})
	e := &env{db: db, table: table, store: profile.NewStore(db, table), sfn: srv, metrics: &bytes.Buffer{},
		now: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
	e.store.Now = func() time.Time { return e.now }
	e.h = &router.Handler{SFN: client, DB: db, Table: table, Manifest: manifest(), StateMachines: arns,
		Metrics: emf.New(e.metrics, func() time.Time { return e.now }),
		Log:     slog.New(slog.NewJSONHandler(io.Discard, nil)), Now: func() time.Time { return e.now }}
	return e
}

// ingest stores an event through the real profile store and returns the
// stream record DynamoDB would deliver for its event item.
func (e *env) ingest(t *testing.T, ev touchpoint.Event) events.DynamoDBEventRecord {
	t.Helper()
	if _, err := e.store.Apply(context.Background(), ev); err != nil {
		t.Fatalf("apply: %v", err)
	}
	out, err := e.db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: &e.table, Key: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: profile.EventPK(ev.ID)}, "sk": &types.AttributeValueMemberS{Value: profile.SKEvent}}})
	if err != nil || out.Item == nil {
		t.Fatalf("event item: %v %v", out, err)
	}
	e.seq++
	return record("INSERT", out.Item, e.seq, e.now)
}

func record(name string, item map[string]types.AttributeValue, seq int, at time.Time) events.DynamoDBEventRecord {
	img := streamImage(item)
	return events.DynamoDBEventRecord{
		AWSRegion: "eu-west-1", EventID: "e" + strconv.Itoa(seq), EventName: name, EventSource: "aws:dynamodb", EventVersion: "1.1",
		EventSourceArn: "arn:aws:dynamodb:eu-west-1:123456789012:table/parcours/stream/2026-03-01T00:00:00.000",
		Change: events.DynamoDBStreamRecord{
			ApproximateCreationDateTime: events.SecondsEpochTime{Time: at},
			Keys:                        map[string]events.DynamoDBAttributeValue{"pk": img["pk"], "sk": img["sk"]},
			NewImage:                    img, SequenceNumber: strconv.Itoa(100000000000000000 + seq), SizeBytes: 512,
			StreamViewType: "NEW_IMAGE",
		},
	}
}

func streamImage(item map[string]types.AttributeValue) map[string]events.DynamoDBAttributeValue {
	out := map[string]events.DynamoDBAttributeValue{}
	for k, v := range item {
		switch x := v.(type) {
		case *types.AttributeValueMemberS:
			out[k] = events.NewStringAttribute(x.Value)
		case *types.AttributeValueMemberN:
			out[k] = events.NewNumberAttribute(x.Value)
		case *types.AttributeValueMemberBOOL:
			out[k] = events.NewBooleanAttribute(x.Value)
		}
	}
	return out
}

func checkout(id, email, currency string) touchpoint.Event {
	return touchpoint.Event{
		ID: "shopify:shop:checkouts/create:" + id + email, Source: "shopify", Shop: "shop.myshopify.com", Type: touchpoint.CheckoutStarted,
		OccurredAt: time.Date(2026, 3, 10, 11, 0, 0, 0, time.UTC), Email: email,
		Checkout: &touchpoint.Checkout{ID: id, Currency: currency, Total: "129.90", RecoveryURL: "https://shop.example/cart/recover/" + id,
			LineItems: []touchpoint.LineItem{{Title: "Linen shirt", Quantity: 1, Price: "129.90"}},
			UpdatedAt: time.Date(2026, 3, 10, 11, 0, 0, 0, time.UTC)},
	}
}

func (e *env) handle(t *testing.T, recs ...events.DynamoDBEventRecord) events.DynamoDBEventResponse {
	t.Helper()
	resp, err := e.h.Handle(context.Background(), events.DynamoDBEvent{Records: recs})
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	return resp
}

func names(s *sfnapi.Server) []string {
	var out []string
	for _, x := range s.Executions() {
		out = append(out, x.Name)
	}
	return out
}

func sortedNames(s *sfnapi.Server) []string {
	out := names(s)
	sort.Strings(out)
	return out
}

func TestStartsMatchingJourneys(t *testing.T) {
	e := newEnv(t)
	rec := e.ingest(t, checkout("c1", "Ana@Example.com", "EUR"))
	if resp := e.handle(t, rec); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures: %v", resp.BatchItemFailures)
	}
	execs := e.sfn.Executions()
	if len(execs) != 2 {
		t.Fatalf("executions = %v, want abandoned-cart and euro-cart", names(e.sfn))
	}
	x := execs[0]
	wantName := router.ExecutionName("abandoned-cart", "ana@example.com", "c1")
	if x.Name != wantName || x.StateMachineARN != arnPrefix+"parcours-abandoned-cart:live" {
		t.Errorf("execution %s on %s", x.Name, x.StateMachineARN)
	}
	var in contract.ExecutionInput
	if err := json.Unmarshal([]byte(x.Input), &in); err != nil {
		t.Fatal(err)
	}
	if in.Journey != "abandoned-cart" || in.ProfileKey != "ana@example.com" || in.TriggerKey != "c1" ||
		in.Trigger.Type != touchpoint.CheckoutStarted || in.Trigger.Checkout.RecoveryURL != "https://shop.example/cart/recover/c1" ||
		len(in.Trigger.Checkout.LineItems) != 1 {
		t.Errorf("input = %s", x.Input)
	}
	if !strings.Contains(e.metrics.String(), `"Journey":"abandoned-cart","JourneysStarted":1`) {
		t.Errorf("metrics = %s", e.metrics)
	}

	// A USD cart does not pass euro-cart's filter.
	e.handle(t, e.ingest(t, checkout("c2", "bob@example.com", "USD")))
	if n := len(e.sfn.Executions()); n != 3 {
		t.Errorf("after a USD cart: %v", names(e.sfn))
	}
}

func TestExecutionName(t *testing.T) {
	a := router.ExecutionName("abandoned-cart", "ana@example.com", "c1")
	if a != router.ExecutionName("abandoned-cart", "ana@example.com", "c1") {
		t.Error("not deterministic")
	}
	long := router.ExecutionName(strings.Repeat("very-long-journey-name", 5), "ana@example.com", "c1")
	for _, n := range []string{a, long, router.ExecutionName("odd name/é", "a", "b")} {
		if len(n) > 80 || strings.Trim(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "" {
			t.Errorf("invalid name %q (%d)", n, len(n))
		}
	}
	if a == router.ExecutionName("abandoned-cart", "ana@example.com", "c2") {
		t.Error("different trigger keys share a name")
	}
	if router.ExecutionName("a", "b\x00c", "d") == router.ExecutionName("a", "b", "c\x00d") ||
		router.ExecutionName("a", "b:", "c") == router.ExecutionName("a", "b", ":c") {
		t.Error("shifted separators share a name")
	}
}

func TestDuplicateRecords(t *testing.T) {
	e := newEnv(t)
	rec := e.ingest(t, checkout("c1", "ana@example.com", "EUR"))
	// The same record twice in one batch, then the batch again (a replay).
	for range 2 {
		if resp := e.handle(t, rec, rec); len(resp.BatchItemFailures) != 0 {
			t.Fatalf("failures: %v", resp.BatchItemFailures)
		}
	}
	if n := len(e.sfn.Executions()); n != 2 {
		t.Errorf("executions = %v, want one per journey", names(e.sfn))
	}
	// The same checkout updated later: same trigger key, new input. The
	// execution exists already (ExecutionAlreadyExists is success).
	e.now = e.now.Add(time.Hour)
	upd := checkout("c1", "ana@example.com", "EUR")
	upd.ID, upd.Type = "shopify:shop:checkouts/update:c1", touchpoint.CheckoutUpdated
	if resp := e.handle(t, e.ingest(t, upd)); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures: %v", resp.BatchItemFailures)
	}
	if n := len(e.sfn.Executions()); n != 2 {
		t.Errorf("after an update of the same checkout: %v", names(e.sfn))
	}
}

func TestReEntry(t *testing.T) {
	e := newEnv(t)
	e.handle(t, e.ingest(t, checkout("c1", "ana@example.com", "GBP")))
	// A new cart within the 7-day window: abandoned-cart holds back.
	e.now = e.now.Add(24 * time.Hour)
	e.handle(t, e.ingest(t, checkout("c2", "ana@example.com", "GBP")))
	if got := names(e.sfn); len(got) != 1 {
		t.Fatalf("within the window: %v", got)
	}
	if !strings.Contains(e.metrics.String(), `"Journey":"abandoned-cart","JourneysNotStarted":1,"Reason":"re_entry"`) {
		t.Errorf("metrics = %s", e.metrics)
	}
	// The held-back start leaves no execution item (export would list it,
	// erasure would try to stop it).
	if got, want := e.execItems(t), sortedNames(e.sfn); !reflect.DeepEqual(got, want) {
		t.Fatalf("execution items %v, want the started executions %v", got, want)
	}
	// After the window, a new cart starts it again.
	e.now = e.now.Add(7 * 24 * time.Hour)
	e.handle(t, e.ingest(t, checkout("c3", "ana@example.com", "GBP")))
	if got := names(e.sfn); len(got) != 2 || got[1] != router.ExecutionName("abandoned-cart", "ana@example.com", "c3") {
		t.Fatalf("after the window: %v", got)
	}

	// never: welcome runs once per profile, even for a second
	// customer_created (another shop).
	created := func(id string) touchpoint.Event {
		return touchpoint.Event{ID: id, Source: "shopify", Type: touchpoint.CustomerCreated, OccurredAt: e.now, Email: "bob@example.com"}
	}
	first := e.ingest(t, created("w1"))
	e.handle(t, first)
	e.handle(t, e.ingest(t, created("w2")))
	// A replay of the first record (same trigger key) is not held back by its own entry.
	if resp := e.handle(t, first); len(resp.BatchItemFailures) != 0 {
		t.Fatal(resp.BatchItemFailures)
	}
	welcome := 0
	for _, x := range e.sfn.Executions() {
		if strings.HasPrefix(x.Name, "welcome-") {
			welcome++
		}
	}
	if welcome != 1 {
		t.Errorf("welcome executions = %d, want 1: %v", welcome, names(e.sfn))
	}
	if got, want := e.execItems(t), sortedNames(e.sfn); !reflect.DeepEqual(got, want) {
		t.Errorf("execution items %v, want the started executions %v", got, want)
	}
}

// execItems lists the execution names of the table's EXEC# items, sorted.
func (e *env) execItems(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, it := range ddbtest.Scan(t, e.db, e.table) {
		if sk := it["sk"].(*types.AttributeValueMemberS).Value; strings.HasPrefix(sk, profile.SKExecPrefix) {
			out = append(out, strings.TrimPrefix(sk, profile.SKExecPrefix))
		}
	}
	sort.Strings(out)
	return out
}

func TestPoisonAndFailureIsolation(t *testing.T) {
	e := newEnv(t)
	good1 := e.ingest(t, checkout("c1", "ana@example.com", "GBP"))
	good2 := e.ingest(t, checkout("c2", "bob@example.com", "GBP"))
	bad := good1
	bad.Change.SequenceNumber = "bad-json"
	bad.Change.NewImage = map[string]events.DynamoDBAttributeValue{
		"pk": events.NewStringAttribute("EVENT#x"), "sk": events.NewStringAttribute("EVENT"), "event": events.NewStringAttribute("{not json"),
	}
	noImage := good1
	noImage.Change.SequenceNumber = "no-image"
	noImage.Change.NewImage = nil
	profileItem := good1
	profileItem.Change.NewImage = map[string]events.DynamoDBAttributeValue{"pk": events.NewStringAttribute("PROFILE#a"), "sk": events.NewStringAttribute("PROFILE")}
	removed := good2
	removed.EventName = "REMOVE"
	// An erasure's tombstone inserted where the event had expired: not
	// poison, nothing to start (a second poison metric would be counted).
	tombstone := good1
	tombstone.Change.SequenceNumber = "tombstone"
	tombstone.Change.NewImage = map[string]events.DynamoDBAttributeValue{
		"pk": events.NewStringAttribute("EVENT#y"), "sk": events.NewStringAttribute("EVENT"), profile.AttrErasedAt: events.NewStringAttribute("2026-11-22T10:00:00Z"),
	}

	resp := e.handle(t, good1, bad, noImage, tombstone, profileItem, removed, good2)
	// The two poison records are reported, so that the event source
	// mapping sends them to its failure destination once its retries are
	// spent; nothing else is.
	var reported []string
	for _, f := range resp.BatchItemFailures {
		reported = append(reported, f.ItemIdentifier)
	}
	if !slices.Equal(reported, []string{"bad-json", "no-image"}) {
		t.Errorf("reported %v, want the two poison records [bad-json no-image]", reported)
	}
	if got := names(e.sfn); len(got) != 2 {
		t.Errorf("executions = %v, want both good records started", got)
	}
	if n := strings.Count(e.metrics.String(), `"RouterPoisonRecords":1`); n != 2 {
		t.Errorf("poison metrics = %d: %s", n, e.metrics)
	}

	// A journey whose start fails (its state machine does not exist) is
	// reported for retry; the other records and journeys are not.
	e.h.StateMachines["euro-cart"] = arnPrefix + "missing:live"
	gbp := e.ingest(t, checkout("c3", "cy@example.com", "GBP"))
	eur := e.ingest(t, checkout("c4", "dee@example.com", "EUR"))
	resp = e.handle(t, gbp, eur)
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != eur.Change.SequenceNumber {
		t.Fatalf("failures = %v, want only %s", resp.BatchItemFailures, eur.Change.SequenceNumber)
	}
	if got := names(e.sfn); len(got) != 4 {
		t.Fatalf("executions = %v: the GBP cart and abandoned-cart of the EUR cart should have started", got)
	}
	// Fixed, the retried batch starts only what was missing.
	e.h.StateMachines["euro-cart"] = arnPrefix + "parcours-euro-cart:live"
	if resp := e.handle(t, gbp, eur); len(resp.BatchItemFailures) != 0 {
		t.Fatal(resp.BatchItemFailures)
	}
	if got := names(e.sfn); len(got) != 5 {
		t.Errorf("after the retry: %v", got)
	}
}

// TestFixture runs the committed sample stream event (the one `sam local
// invoke RouterFunction -e` uses) and rewrites it with -update.
func TestFixture(t *testing.T) {
	e := newEnv(t)
	path := filepath.Join("..", "..", "events", "dynamodb-stream", "checkout-started.json")
	if *update {
		ev := checkout("1234567890123", "ana.martin@example.com", "EUR")
		ev.ID = "shopify:shop.myshopify.com:checkouts/create:b5e3d1a2-0000-4000-8000-000000000001"
		b, err := json.MarshalIndent(events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{e.ingest(t, ev)}}, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		e = newEnv(t)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var in events.DynamoDBEvent
	if err := json.Unmarshal(b, &in); err != nil {
		t.Fatal(err)
	}
	// The event's profile exists, as it does when the stream carries the
	// event item (same transaction); the router starts nothing for a
	// profile that is gone (TestErasedProfile).
	var ev touchpoint.Event
	if err := json.Unmarshal([]byte(in.Records[0].Change.NewImage["event"].String()), &ev); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Apply(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	resp, err := e.h.Handle(context.Background(), in)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("resp %v err %v", resp, err)
	}
	if got := names(e.sfn); len(got) != 2 {
		t.Errorf("executions = %v", got)
	}
}

// TestErasedProfile: a stream record whose profile was erased since
// (docs/privacy.md) starts nothing and writes nothing; a started journey
// leaves an execution item under the profile for the eraser.
func TestErasedProfile(t *testing.T) {
	e := newEnv(t)
	rec := e.ingest(t, checkout("c-1", "ana@example.com", "EUR"))
	del := func(sk string) {
		_, err := e.db.DeleteItem(context.Background(), &dynamodb.DeleteItemInput{TableName: &e.table, Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: profile.ProfilePK("ana@example.com")}, "sk": &types.AttributeValueMemberS{Value: sk}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Run("started journeys are recorded", func(t *testing.T) {
		resp, err := e.h.Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{rec}})
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("resp %v err %v", resp, err)
		}
		started := names(e.sfn)
		if len(started) == 0 {
			t.Fatal("nothing started")
		}
		execs := 0
		for _, it := range ddbtest.Scan(t, e.db, e.table) {
			sk := it["sk"].(*types.AttributeValueMemberS).Value
			if strings.HasPrefix(sk, profile.SKExecPrefix) {
				execs++
				if it["pk"].(*types.AttributeValueMemberS).Value != profile.ProfilePK("ana@example.com") ||
					!strings.HasPrefix(it["state_machine_arn"].(*types.AttributeValueMemberS).Value, arnPrefix) {
					t.Fatalf("execution item %v", it)
				}
			}
		}
		if execs != len(started) {
			t.Fatalf("%d execution items for %d executions", execs, len(started))
		}
	})
	t.Run("erased profile", func(t *testing.T) {
		before := len(names(e.sfn))
		for _, it := range ddbtest.Scan(t, e.db, e.table) {
			if it["pk"].(*types.AttributeValueMemberS).Value == profile.ProfilePK("ana@example.com") {
				del(it["sk"].(*types.AttributeValueMemberS).Value)
			}
		}
		snapshot := ddbtest.Scan(t, e.db, e.table)
		e.metrics.Reset()
		rec2 := rec
		rec2.Change.SequenceNumber = "99"
		resp, err := e.h.Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{rec2}})
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("resp %v err %v", resp, err)
		}
		if got := len(names(e.sfn)); got != before {
			t.Fatalf("executions %d, want %d", got, before)
		}
		if after := ddbtest.Scan(t, e.db, e.table); !reflect.DeepEqual(snapshot, after) {
			t.Fatal("the router wrote under an erased profile")
		}
		if !strings.Contains(e.metrics.String(), `"Reason":"no_profile"`) {
			t.Fatalf("metrics: %s", e.metrics.String())
		}
	})
}
