package erase_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/parcours/parcours/internal/asl"
	"github.com/parcours/parcours/internal/ddbtest"
	"github.com/parcours/parcours/internal/emf"
	"github.com/parcours/parcours/internal/erase"
	"github.com/parcours/parcours/internal/ingest"
	"github.com/parcours/parcours/internal/journey/contract"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/router"
	"github.com/parcours/parcours/internal/sfnapi"
	"github.com/parcours/parcours/internal/touchpoint"
)

// fixtureTime is when the fixtures were signed (the Standard source checks
// the timestamp).
var fixtureTime = time.Unix(1763798400, 0).UTC()

const arnPrefix = "arn:aws:states:eu-west-1:123456789012:stateMachine:parcours-"

type env struct {
	db     *dynamodb.Client
	table  string
	sfn    *sfnapi.Server
	sfnc   *sfn.Client
	ingest *ingest.Handler
	router *router.Handler
	eraser *erase.Eraser
	logs   *bytes.Buffer
}

func ptr[T any](v T) *T { return &v }

func newEnv(t *testing.T) *env {
	t.Helper()
	db, table := ddbtest.New(t)
	return newEnvOn(t, db, table)
}

// newEnvOn is newEnv on a given client and table (erase_dynalite_test.go
// runs it on dynalite too).
func newEnvOn(t *testing.T, db *dynamodb.Client, table string) *env {
	t.Helper()
	e := &env{logs: &bytes.Buffer{}}
	e.db, e.table = db, table
	e.sfn = sfnapi.NewServer()
	arns := map[string]string{}
	for _, j := range []string{"welcome", "abandoned-cart", "cancelled"} {
		e.sfn.AddStateMachine(arnPrefix + j)
		arns[j] = arnPrefix + j + ":live"
	}
	ts := httptest.NewServer(e.sfn)
	t.Cleanup(ts.Close)
	e.sfnc = sfn.New(sfn.Options{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("t", "t", ""),
		BaseEndpoint: aws.String(ts.URL), RetryMaxAttempts: 1})
	now := func() time.Time { return fixtureTime }
	log := slog.New(slog.NewJSONHandler(e.logs, nil))
	store := profile.NewStore(e.db, e.table)
	store.Now = now
	e.eraser = erase.New(e.db, e.sfnc, e.table, log)
	e.eraser.Now = now
	sh, _ := touchpoint.NewShopify(touchpoint.DevShopifySecret)
	wc, _ := touchpoint.NewWooCommerce(touchpoint.DevWooCommerceSecret)
	sd, err := touchpoint.NewStandard(touchpoint.DevStandardSecret, now)
	if err != nil {
		t.Fatal(err)
	}
	e.ingest = ingest.New(store, emf.New(io.Discard, now), log, sh, wc, sd)
	e.ingest.Privacy = e.eraser
	present := func(p string) *asl.ChoiceRule { return &asl.ChoiceRule{Variable: p, IsPresent: ptr(true)} }
	e.router = &router.Handler{SFN: e.sfnc, DB: e.db, Table: e.table, StateMachines: arns, Now: now,
		Metrics: emf.New(io.Discard, now), Log: log,
		Manifest: contract.Manifest{Journeys: []contract.ManifestJourney{
			{Journey: "welcome", Events: []touchpoint.Type{touchpoint.CustomerCreated}, TriggerKeyPath: "$.profile_key", ReEntry: contract.ReEntryNever},
			{Journey: "abandoned-cart", Events: []touchpoint.Type{touchpoint.CheckoutStarted, touchpoint.CartUpdated},
				TriggerKeyPath: "$.trigger.checkout.id", Filter: present("$.trigger.checkout.id"), ReEntry: contract.ReEntryAlways},
			{Journey: "cancelled", Events: []touchpoint.Type{touchpoint.OrderCancelled},
				TriggerKeyPath: "$.trigger.order.id", Filter: present("$.trigger.order.id"), ReEntry: contract.ReEntryAfter, ReEntrySeconds: 86400},
		}}}
	t.Cleanup(func() {
		if strings.Contains(e.logs.String(), "@") {
			t.Errorf("a log line contains an email address:\n%s", e.logs.String())
		}
	})
	return e
}

func fixture(t *testing.T, rel string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../events", rel))
	if err != nil {
		t.Fatal(err)
	}
	var req events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &req); err != nil {
		t.Fatal(err)
	}
	return req
}

func (e *env) post(t *testing.T, rel string) (int, string) {
	t.Helper()
	resp, err := e.ingest.Handle(context.Background(), fixture(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Body
}

// load posts every webhook fixture, routes the stored events as the
// stream would, and has each execution's first step write what the send
// function writes: a message item and the frequency cap.
func (e *env) load(t *testing.T) {
	t.Helper()
	var files []string
	for _, src := range []string{"shopify", "woocommerce", "standard"} {
		f, _ := filepath.Glob(filepath.Join("../../events", src, "*.json"))
		for _, p := range f {
			if b := filepath.Base(p); b == "customers-redact.json" || b == "shop-redact.json" || b == "customers-data-request.json" {
				continue
			}
			files = append(files, src+"/"+filepath.Base(p))
		}
	}
	for _, f := range files {
		if status, body := e.post(t, f); status >= 300 && status != 202 {
			t.Fatalf("%s: %d %s", f, status, body)
		}
	}
	var recs []events.DynamoDBEventRecord
	for _, it := range ddbtest.Scan(t, e.db, e.table) {
		if s(it, "sk") != profile.SKEvent {
			continue
		}
		recs = append(recs, events.DynamoDBEventRecord{EventName: "INSERT", Change: events.DynamoDBStreamRecord{
			SequenceNumber: s(it, "pk"),
			NewImage: map[string]events.DynamoDBAttributeValue{
				"sk": events.NewStringAttribute(profile.SKEvent), "event": events.NewStringAttribute(s(it, "event")),
				"email": events.NewStringAttribute(s(it, "email")),
			}}})
	}
	resp, err := e.router.Handle(context.Background(), events.DynamoDBEvent{Records: recs})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("router: %v %v", resp, err)
	}
	for _, x := range e.sfn.Executions() {
		var in contract.ExecutionInput
		if err := json.Unmarshal([]byte(x.Input), &in); err != nil {
			t.Fatal(err)
		}
		put(t, e, map[string]types.AttributeValue{
			"pk": str("MESSAGE#" + x.Name), "sk": str("STEP#first"), "status": str("sent"), "journey": str(in.Journey),
			"profile_pk": str(profile.ProfilePK(in.ProfileKey)), "ses_message_id": str("0100-" + x.Name),
		})
		put(t, e, map[string]types.AttributeValue{
			"pk": str(profile.ProfilePK(in.ProfileKey)), "sk": str("CAP"), "holder": str(x.Name + "#first"),
		})
	}
}

func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func s(it map[string]types.AttributeValue, a string) string {
	if v, ok := it[a].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func put(t *testing.T, e *env, item map[string]types.AttributeValue) {
	t.Helper()
	if _, err := e.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: &e.table, Item: item}); err != nil {
		t.Fatal(err)
	}
}

// dump is every item as one JSON line, for "contains" checks.
func dump(t *testing.T, e *env) []string {
	t.Helper()
	var out []string
	for _, it := range ddbtest.Scan(t, e.db, e.table) {
		var m map[string]any
		if err := attributevalue.UnmarshalMap(it, &m); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(m)
		out = append(out, string(b))
	}
	sort.Strings(out)
	return out
}

// executionsOf returns the names of the executions started for email.
func executionsOf(t *testing.T, e *env, email string) []sfnapi.Execution {
	t.Helper()
	var out []sfnapi.Execution
	for _, x := range e.sfn.Executions() {
		var in contract.ExecutionInput
		if err := json.Unmarshal([]byte(x.Input), &in); err != nil {
			t.Fatal(err)
		}
		if in.ProfileKey == email {
			out = append(out, x)
		}
	}
	return out
}

// traces are what must not remain of a customer: the address in any
// case, its hash as logs print it, identifying details, and the names of
// its executions (hashes over the address).
func traces(t *testing.T, e *env, email string, extra ...string) []string {
	out := append([]string{email, profile.AddressHash(email)}, extra...)
	for _, x := range executionsOf(t, e, email) {
		out = append(out, x.Name)
	}
	return out
}

func findTraces(rows []string, traces []string) []string {
	var found []string
	for _, r := range rows {
		for _, tr := range traces {
			if strings.Contains(strings.ToLower(r), strings.ToLower(tr)) {
				found = append(found, tr+" in "+r)
			}
		}
	}
	return found
}

func TestCustomerRedact(t *testing.T) {
	e := newEnv(t)
	e.load(t)
	carol := "carol@example.com"
	carolTraces := traces(t, e, carol, "Nguyen", "+33698765432", "12 rue des Lilas")
	carolExecs := executionsOf(t, e, carol)
	if len(carolExecs) < 2 {
		t.Fatalf("carol has %d executions; the test needs some to stop", len(carolExecs))
	}
	if got := findTraces(dump(t, e), carolTraces[:2]); len(got) == 0 {
		t.Fatal("carol is not in the table before the test: the check below could not fail")
	}
	others := map[string]profile.View{}
	for _, em := range []string{"alice@example.com", "bob@example.com", "dave.leroy@example.com", "erin.petit@example.com"} {
		v, err := profile.NewStore(e.db, e.table).GetView(context.Background(), em)
		if err != nil {
			t.Fatalf("%s: %v", em, err)
		}
		others[em] = v
	}

	t.Run("data request saves an export", func(t *testing.T) {
		if status, body := e.post(t, "shopify/customers-data-request.json"); status != 200 || body != `{"status":"exported"}` {
			t.Fatalf("got %d %s", status, body)
		}
		saved, err := e.eraser.SavedExports(context.Background(), carol)
		if err != nil || len(saved) != 1 {
			t.Fatalf("exports %d, %v", len(saved), err)
		}
		var x erase.Export
		if err := json.Unmarshal(saved[0], &x); err != nil {
			t.Fatal(err)
		}
		if x.Email != carol || x.Profile == nil || x.Profile.LastName != "Nguyen" || len(x.Orders) != 2 || len(x.Events) < 4 ||
			len(x.Journeys) == 0 || len(x.Messages) != len(carolExecs) || x.FrequencyCap == nil || len(x.Aliases) == 0 {
			t.Fatalf("export: %s", saved[0])
		}
	})

	t.Run("redact erases every trace", func(t *testing.T) {
		if status, body := e.post(t, "shopify/customers-redact.json"); status != 200 || body != `{"status":"erased"}` {
			t.Fatalf("got %d %s", status, body)
		}
		rows := dump(t, e)
		if got := findTraces(rows, carolTraces); len(got) > 0 {
			t.Fatalf("left after erasure:\n%s", strings.Join(got, "\n"))
		}
		// Her Shopify customer id stays only in the keys of erased consent
		// events (docs/privacy.md), until their ttl.
		for _, r := range findTraces(rows, []string{"7281045668022"}) {
			if !strings.Contains(r, `"erased_at"`) || !strings.Contains(r, `:consent:7281045668022:`) {
				t.Fatalf("customer id left outside an erased event key: %s", r)
			}
		}
		for _, x := range carolExecs {
			d, err := e.sfn.DescribeExecution(x.ARN)
			if err != nil || d.Status != sfnapi.StatusAborted || d.Error != erase.StopError {
				t.Fatalf("execution %s: %+v %v", x.Name, d, err)
			}
		}
		// What remains of her events is their dedupe key, until their ttl.
		tombstones := 0
		for _, it := range ddbtest.Scan(t, e.db, e.table) {
			if _, ok := it[profile.AttrErasedAt]; ok {
				tombstones++
				keys := []string{}
				for k := range it {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				if !reflect.DeepEqual(keys, []string{"erased_at", "pk", "sk", "ttl"}) {
					t.Fatalf("erased event item keeps %v", keys)
				}
			}
		}
		if tombstones < 4 {
			t.Fatalf("%d erased event items", tombstones)
		}
		for em, want := range others {
			got, err := profile.NewStore(e.db, e.table).GetView(context.Background(), em)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("%s changed: %v", em, err)
			}
		}
	})

	t.Run("redelivered old events create nothing", func(t *testing.T) {
		before := dump(t, e)
		for _, f := range []string{"shopify/customers-create.json", "shopify/orders-cancelled.json", "woocommerce/order-updated-cancelled.json"} {
			if status, body := e.post(t, f); status != 200 || body != `{"status":"duplicate"}` {
				t.Fatalf("%s: %d %s", f, status, body)
			}
		}
		if after := dump(t, e); !reflect.DeepEqual(before, after) {
			t.Fatal("a redelivery changed the table")
		}
	})

	t.Run("a second redact changes nothing", func(t *testing.T) {
		before := dump(t, e)
		if status, body := e.post(t, "shopify/customers-redact.json"); status != 200 || body != `{"status":"erased"}` {
			t.Fatalf("got %d %s", status, body)
		}
		if after := dump(t, e); !reflect.DeepEqual(before, after) {
			t.Fatal("a second erasure changed the table")
		}
	})

	t.Run("a data request for an unknown customer writes nothing", func(t *testing.T) {
		before := dump(t, e)
		if status, body := e.post(t, "shopify/customers-data-request.json"); status != 200 || body != `{"status":"exported"}` {
			t.Fatalf("got %d %s", status, body)
		}
		if after := dump(t, e); !reflect.DeepEqual(before, after) {
			t.Fatal("a data request for an erased customer wrote something")
		}
	})
}

// failingDB is the real client, failing with an error after n calls that
// write: a crash in the middle of an erasure.
type failingDB struct {
	erase.DynamoDB
	writes, n int
}

var errInjected = errors.New("injected failure")

func (f *failingDB) fail() error {
	f.writes++
	if f.writes > f.n {
		return errInjected
	}
	return nil
}

func (f *failingDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	if err := f.fail(); err != nil {
		return nil, err
	}
	return f.DynamoDB.PutItem(ctx, in, o...)
}

func (f *failingDB) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	if err := f.fail(); err != nil {
		return nil, err
	}
	return f.DynamoDB.DeleteItem(ctx, in, o...)
}

// TestPartialFailure: an erasure interrupted after any number of writes is
// finished by running it again, with the same result as an uninterrupted
// one.
func TestPartialFailure(t *testing.T) {
	ref := newEnv(t)
	ref.load(t)
	if _, err := ref.eraser.Customer(context.Background(), "bob@example.com"); err != nil {
		t.Fatal(err)
	}
	want := dump(t, ref)
	for _, n := range []int{0, 1, 5, 12, 30} {
		t.Run("after "+itoa(n)+" writes", func(t *testing.T) {
			e := newEnv(t)
			e.load(t)
			broken := *e.eraser
			broken.DB = &failingDB{DynamoDB: e.db, n: n}
			if _, err := broken.Customer(context.Background(), "bob@example.com"); !errors.Is(err, errInjected) {
				t.Fatalf("err = %v, want the injected failure", err)
			}
			if _, err := e.eraser.Customer(context.Background(), "bob@example.com"); err != nil {
				t.Fatal(err)
			}
			// erased_at is the same clock in both runs.
			if got := dump(t, e); !reflect.DeepEqual(got, want) {
				t.Fatalf("re-run left a different table:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestShopRedact(t *testing.T) {
	e := newEnv(t)
	e.load(t)
	shopifyPeople := []string{"alice@example.com", "bob@example.com", "carol@example.com", "dave.leroy@example.com"}
	var all []string
	for _, em := range shopifyPeople {
		all = append(all, traces(t, e, em)...)
	}
	if status, body := e.post(t, "shopify/shop-redact.json"); status != 200 || body != `{"status":"erased"}` {
		t.Fatalf("got %d %s", status, body)
	}
	rows := dump(t, e)
	if got := findTraces(rows, all); len(got) > 0 {
		t.Fatalf("left after shop/redact:\n%s", strings.Join(got, "\n"))
	}
	if got := findTraces(rows, []string{"ALIAS#shopify#parcours-demo.myshopify.com#"}); len(got) > 0 {
		t.Fatalf("shop aliases left:\n%s", strings.Join(got, "\n"))
	}
	// A customer known only from another source stays.
	if _, err := profile.NewStore(e.db, e.table).GetView(context.Background(), "erin.petit@example.com"); err != nil {
		t.Fatalf("erin: %v", err)
	}
	for _, x := range e.sfn.Executions() {
		if x.Status == sfnapi.StatusRunning && !strings.Contains(x.Input, "erin.petit") {
			t.Fatalf("execution %s still running", x.Name)
		}
	}
}

func TestExecutionARN(t *testing.T) {
	for _, tc := range []struct{ sm, want string }{
		{"arn:aws:states:eu-west-1:123456789012:stateMachine:AbandonedCart:live", "arn:aws:states:eu-west-1:123456789012:execution:AbandonedCart:x-1"},
		{"arn:aws:states:eu-west-1:123456789012:stateMachine:AbandonedCart:3", "arn:aws:states:eu-west-1:123456789012:execution:AbandonedCart:x-1"},
		{"arn:aws:states:eu-west-1:123456789012:stateMachine:AbandonedCart", "arn:aws:states:eu-west-1:123456789012:execution:AbandonedCart:x-1"},
		{"arn:aws-cn:states:cn-north-1:123456789012:stateMachine:A", "arn:aws-cn:states:cn-north-1:123456789012:execution:A:x-1"},
	} {
		if got := erase.ExecutionARN(tc.sm, "x-1"); got != tc.want {
			t.Errorf("ExecutionARN(%s) = %s, want %s", tc.sm, got, tc.want)
		}
	}
}

// TestBounceAfterErasure: a bounce for a customer erased while an email was
// in flight writes the address marker alone. No trace of her comes back,
// an export shows the suppression without counting as data found (so
// SaveExport would not store her address again), and a profile created
// later for the address starts suppressed.
func TestBounceAfterErasure(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.load(t)
	carol := "carol@example.com"
	carolTraces := traces(t, e, carol, "Nguyen", "+33698765432", "12 rue des Lilas")
	if status, body := e.post(t, "shopify/customers-redact.json"); status != 200 || body != `{"status":"erased"}` {
		t.Fatalf("got %d %s", status, body)
	}
	store := profile.NewStore(e.db, e.table)
	bounced := time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC)
	existed, err := store.Suppress(ctx, carol, "bounce", bounced)
	if err != nil || existed {
		t.Fatalf("Suppress = %v, %v; want no profile", existed, err)
	}
	if got := findTraces(dump(t, e), carolTraces); len(got) > 0 {
		t.Fatalf("the bounce brought back:\n%s", strings.Join(got, "\n"))
	}
	x, found, err := e.eraser.Export(ctx, carol)
	want := profile.Suppression{Reason: "bounce", At: bounced}
	if err != nil || found || x.Suppressed == nil || *x.Suppressed != want {
		t.Fatalf("export: found %v, suppressed %+v, %v", found, x.Suppressed, err)
	}
	if err := store.SetConsent(ctx, carol, touchpoint.ConsentSubscribed, bounced.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if v, err := store.GetView(ctx, carol); err != nil || v.Suppressed == nil || *v.Suppressed != want || v.Subscribed {
		t.Fatalf("new profile: %+v, %v", v, err)
	}
}
