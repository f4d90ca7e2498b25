package cost

import (
	"bytes"
	"context"
	"flag"
	"io"
	"log/slog"
	"math"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/parcours/parcours/internal/ddbtest"
	"github.com/parcours/parcours/internal/emf"
	"github.com/parcours/parcours/internal/journey/contract"
	"github.com/parcours/parcours/internal/mail"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/send"
	"github.com/parcours/parcours/internal/sesapi"
	"github.com/parcours/parcours/internal/touchpoint"
	"github.com/parcours/parcours/internal/unsubscribe"
	"github.com/parcours/parcours/journeys"
)

var update = flag.Bool("update", false, "rewrite testdata/report.golden")

// testAssumptions are the defaults with the committed template's memory.
func testAssumptions(t *testing.T) Assumptions {
	a := DefaultAssumptions
	if err := a.MemoryFromTemplate("../../template.yaml"); err != nil {
		t.Fatal(err)
	}
	return a
}

// TestReportGolden is parcours cost over the committed journeys and
// fixtures at the dated list prices.
func TestReportGolden(t *testing.T) {
	r, err := Build(context.Background(), "../..", ListPrices, testAssumptions(t), DefaultVolume)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := r.Write(&b); err != nil {
		t.Fatal(err)
	}
	const golden = "testdata/report.golden"
	if *update {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Errorf("report differs from %s (run go test ./internal/cost -update after a deliberate change):\n%s", golden, b.String())
	}
}

func TestScenarios(t *testing.T) {
	rs, err := SimulateAll(context.Background(), "../..")
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 5 {
		t.Fatalf("%d journeys, want the 5 committed ones", len(rs))
	}
	for _, j := range rs {
		t.Run(j.Name, func(t *testing.T) {
			if j.Best.Emails != 0 || j.Best.End != "Exit: Unsubscribed" {
				t.Errorf("best path sent %d emails and ended in %q, want 0 and the Unsubscribed exit", j.Best.Emails, j.Best.End)
			}
			if j.Worst.Transitions != j.Static.Transitions || j.Worst.Emails != j.Static.Emails {
				t.Errorf("worst run %d transitions/%d emails, compiler's longest path %d/%d", j.Worst.Transitions, j.Worst.Emails, j.Static.Transitions, j.Static.Emails)
			}
			if j.Deferral.Deferrals != 1 || j.Deferral.Emails != j.Worst.Emails || j.Deferral.Transitions <= j.Worst.Transitions {
				t.Errorf("deferral run %+v against worst %+v", j.Deferral, j.Worst)
			}
			if j.Retry.Retries != 1 || j.Retry.Sends != j.Worst.Sends+1 || j.Retry.Emails != j.Worst.Emails {
				t.Errorf("retry run %+v against worst %+v", j.Retry, j.Worst)
			}
		})
	}
}

func TestEntryPrice(t *testing.T) {
	p := ListPrices
	a := Assumptions{SendMS: 100, SendMB: 1024, RetryTransitions: 1}
	r := Run{Transitions: 16, Reads: 3, ReadUnits: 3, Sends: 3, Emails: 3}
	got := Entry(p, a, r, 1)
	want := Bill{
		StepFunctions: 16 * 0.000025,
		Lambda:        3 * (0.0000002 + 0.1*0.0000133334),
		DynamoDB:      (3+3*2)*0.000000125 + (1+3*3)*0.000000625,
		SES:           3 * 0.0001,
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"step functions", got.StepFunctions, want.StepFunctions}, {"lambda", got.Lambda, want.Lambda}, {"dynamodb", got.DynamoDB, want.DynamoDB}, {"ses", got.SES, want.SES}} {
		t.Run(c.name, func(t *testing.T) {
			if math.Abs(c.got-c.want) > 1e-12 {
				t.Errorf("got %.10f, want %.10f", c.got, c.want)
			}
		})
	}
	r.Retries = 2
	if d := Entry(p, a, r, 1).StepFunctions - got.StepFunctions; math.Abs(d-2*0.000025) > 1e-12 {
		t.Errorf("two retries add %.8f, want two transitions", d)
	}
}

func TestItemSize(t *testing.T) {
	for _, c := range []struct {
		name string
		item map[string]types.AttributeValue
		want int
	}{
		{"string", map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "PROFILE#a@b.c"}}, 2 + 13},
		{"number", map[string]types.AttributeValue{"n": &types.AttributeValueMemberN{Value: "1763798400"}}, 1 + 6},
		{"bool and null", map[string]types.AttributeValue{"b": &types.AttributeValueMemberBOOL{Value: true}, "z": &types.AttributeValueMemberNULL{Value: true}}, 2 + 2},
		{"map", map[string]types.AttributeValue{"m": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"k": &types.AttributeValueMemberS{Value: "vv"}}}}, 1 + 3 + 1 + 1 + 2},
		{"list", map[string]types.AttributeValue{"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "abc"}}}}, 1 + 3 + 1 + 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := ItemSize(c.item); got != c.want {
				t.Errorf("ItemSize = %d, want %d", got, c.want)
			}
		})
	}
	for _, c := range []struct {
		size       int
		write      float64
		read, half float64
	}{{0, 1, 1, 0.5}, {1024, 1, 1, 0.5}, {1025, 2, 1, 0.5}, {4097, 5, 2, 1}} {
		if w, r, h := writeUnits(c.size), readUnits(c.size, true), readUnits(c.size, false); w != c.write || r != c.read || h != c.half {
			t.Errorf("size %d: write %v read %v eventual %v, want %v %v %v", c.size, w, r, h, c.write, c.read, c.half)
		}
	}
}

// TestSendUnits runs the real send function through a Meter and checks
// SendSentUnits and SendDeferredUnits, which the estimate uses.
func TestSendUnits(t *testing.T) {
	db, table := ddbtest.New(t)
	meter := &Meter{DB: db}
	ses := httptest.NewServer(sesapi.NewServer())
	t.Cleanup(ses.Close)
	signer, err := unsubscribe.NewSigner(bytes.Repeat([]byte("s"), 32))
	if err != nil {
		t.Fatal(err)
	}
	noon := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	now := noon
	store := profile.NewStore(db, table)
	store.Now = func() time.Time { return now }
	h := &send.Handler{
		DB: meter, Profiles: profile.NewStore(meter, table), Renderer: mail.Renderer{FS: journeys.FS}, Signer: signer,
		SES: sesv2.New(sesv2.Options{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("t", "t", ""), BaseEndpoint: aws.String(ses.URL), RetryMaxAttempts: 1}),
		Config: send.Config{Table: table, From: "Shop <hello@shop.example>", ConfigurationSet: "parcours", UnsubscribeURL: "https://shop.example/unsubscribe",
			Shop: mail.Shop{Name: "Shop", URL: "https://shop.example"}, ShopTimezone: "UTC", ShopLocation: time.UTC,
			FrequencyCap: send.DefaultFrequencyCap, QuietHours: send.DefaultQuietHours, MessageTTL: send.DefaultMessageTTL},
		Metrics: emf.New(io.Discard, func() time.Time { return now }),
		Log:     slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Now:     func() time.Time { return now },
	}
	ev := touchpoint.Event{ID: "test:ana", Source: "standard", Type: touchpoint.CustomerCreated, OccurredAt: noon.Add(-time.Hour), Email: "ana@example.com",
		Customer: &touchpoint.Customer{FirstName: "Ana", Timezone: "UTC"}, Consent: &touchpoint.Consent{State: touchpoint.ConsentSubscribed, UpdatedAt: noon.Add(-time.Hour)}}
	if _, err := store.Apply(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	trigger := touchpoint.Event{ID: "ev1", Source: "shopify", Type: touchpoint.CheckoutStarted, Email: "ana@example.com", OccurredAt: noon,
		Checkout: &touchpoint.Checkout{ID: "c1", Currency: "EUR", Total: "129.90", RecoveryURL: "https://shop.example/r", LineItems: []touchpoint.LineItem{{Title: "Shirt", Quantity: 1, Price: "129.90"}}}}
	req := contract.SendRequest{Journey: "abandoned-cart", Step: "cart-reminder-1", Template: "cart-reminder-1", Subject: "Hi",
		Policy: contract.Policy{Consent: contract.ConsentSubscribed, FrequencyCap: true, QuietHours: true}, ProfileKey: "ana@example.com", Trigger: trigger}
	for _, c := range []struct {
		name   string
		at     time.Time
		exec   string
		status string
		want   Units
	}{
		{"sent at noon", noon, "x-1", contract.StatusSent, SendSentUnits},
		{"deferred at night (quiet hours)", noon.Add(11 * time.Hour), "x-2", contract.StatusDeferred, SendDeferredUnits},
	} {
		t.Run(c.name, func(t *testing.T) {
			now = c.at
			meter.Reset()
			req.Execution = c.exec
			out, err := h.Handle(context.Background(), req)
			if err != nil || out.Status != c.status {
				t.Fatalf("send answered %+v, %v; want %s", out, err, c.status)
			}
			if got := meter.Units(); got.Read != c.want.Read || got.Write != c.want.Write {
				t.Errorf("send used %v RRU + %v WRU (%v), the estimate assumes %v + %v", got.Read, got.Write, got.Calls, c.want.Read, c.want.Write)
			}
		})
	}
}

func TestMemoryFromTemplate(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name, yaml          string
		ingest, send        float64
		wantErr, wantSource string
	}{
		{"globals", "Globals:\n  Function:\n    MemorySize: 256\nResources:\n  IngestFunction:\n    Properties:\n      CodeUri: !Ref X\n", 256, 256, "", "template.yaml Globals.Function.MemorySize"},
		{"per function", "Globals:\n  Function:\n    MemorySize: 256\nResources:\n  SendFunction:\n    Properties:\n      MemorySize: 512\n", 256, 512, "", "template.yaml (per function, else Globals)"},
		{"none", "Resources: {}\n", 128, 128, "", "Lambda default (none in template.yaml)"},
		{"broken", "Globals: [\n", 0, 0, "parse template: yaml: line 1: did not find expected node content", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := dir + "/" + c.name + ".yaml"
			if err := os.WriteFile(p, []byte(c.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			a := DefaultAssumptions
			err := a.MemoryFromTemplate(p)
			if c.wantErr != "" {
				if err == nil || err.Error() != c.wantErr {
					t.Fatalf("error %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil || a.IngestMB != c.ingest || a.SendMB != c.send || a.MemorySource != c.wantSource {
				t.Errorf("got %v/%v from %q (%v), want %v/%v from %q", a.IngestMB, a.SendMB, a.MemorySource, err, c.ingest, c.send, c.wantSource)
			}
		})
	}
}
