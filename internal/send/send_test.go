package send_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
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
)

var testFS = fstest.MapFS{
	"cart/reminder.txt":  {Data: []byte("Hi {{.Profile.FirstName}}, your cart of {{money .Checkout.Total .Checkout.Currency}} is waiting.\nUnsubscribe: {{.UnsubscribeURL}}\n")},
	"cart/reminder.html": {Data: []byte(`<p>Hi {{.Profile.FirstName}}</p><a href="{{.UnsubscribeURL}}">Unsubscribe</a>`)},
	"cart/broken.txt":    {Data: []byte("{{.Nope}}")},
	"cart/broken.html":   {Data: []byte("<p></p>")},
	"winback/hello.txt":  {Data: []byte("We miss you, {{.Profile.FirstName}}")},
	"winback/hello.html": {Data: []byte("<p>We miss you</p>")},
}

// env is one send function wired to real local endpoints.
type env struct {
	h       *send.Handler
	db      *dynamodb.Client
	table   string
	store   *profile.Store
	ses     *sesapi.Server
	now     time.Time
	metrics *bytes.Buffer
}

var t0 = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC) // 13:00 in Paris, 08:00 in New York

func newEnv(t testing.TB) *env {
	t.Helper()
	db, table := ddbtest.New(t)
	ses := sesapi.NewServer()
	ts := httptest.NewServer(ses)
	t.Cleanup(ts.Close)
	sesClient := sesv2.New(sesv2.Options{
		Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("t", "t", ""),
		BaseEndpoint: aws.String(ts.URL), RetryMaxAttempts: 1,
	})
	signer, err := unsubscribe.NewSigner(bytes.Repeat([]byte("s"), 32))
	if err != nil {
		t.Fatal(err)
	}
	// The handler and the store get the clients as main gives them
	// (method values, see clients.go), so every test goes through them.
	calls := send.NewDynamoDBCalls(db)
	e := &env{db: db, table: table, store: profile.NewStore(calls, table), ses: ses, now: t0, metrics: &bytes.Buffer{}}
	e.store.Now = func() time.Time { return e.now }
	paris, _ := time.LoadLocation("Europe/Paris")
	e.h = &send.Handler{
		DB: calls, Profiles: send.ProfilesFunc(e.store.GetView), SES: send.NewSESCalls(sesClient),
		Renderer: mail.Renderer{FS: testFS}, Signer: signer,
		Config: send.Config{
			Table: table, From: "Shop <hello@shop.example>", ConfigurationSet: "parcours",
			UnsubscribeURL: "https://shop.example/unsubscribe",
			Shop:           mail.Shop{Name: "Shop", URL: "https://shop.example"}, ShopTimezone: "Europe/Paris", ShopLocation: paris,
			FrequencyCap: send.DefaultFrequencyCap, QuietHours: send.DefaultQuietHours, MessageTTL: send.DefaultMessageTTL,
		},
		Metrics: emf.New(e.metrics, func() time.Time { return e.now }),
		Log:     slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Now:     func() time.Time { return e.now },
	}
	return e
}

// addProfile stores a profile through the real store.
func (e *env) addProfile(t testing.TB, email, consent, tz string) {
	t.Helper()
	ev := touchpoint.Event{
		ID: "test:" + email, Source: "standard", Type: touchpoint.CustomerCreated, OccurredAt: e.now.Add(-time.Hour),
		Email: email, Customer: &touchpoint.Customer{FirstName: "Ana", Timezone: tz},
	}
	if consent != "" {
		ev.Consent = &touchpoint.Consent{State: consent, UpdatedAt: e.now.Add(-time.Hour)}
	}
	if _, err := e.store.Apply(context.Background(), ev); err != nil {
		t.Fatalf("store profile: %v", err)
	}
}

func req(journeyName, step, execution, email string, p contract.Policy) contract.SendRequest {
	tmpl := map[string]string{"cart": "reminder", "winback": "hello"}[journeyName]
	return contract.SendRequest{
		Journey: journeyName, Step: step, Template: tmpl, Subject: "Hello {{.Profile.FirstName}}", Policy: p,
		Execution: execution, ProfileKey: email,
		Trigger: touchpoint.Event{ID: "ev1", Type: touchpoint.CheckoutStarted, Email: email,
			Checkout: &touchpoint.Checkout{ID: "c1", Currency: "EUR", Total: "129.9"}},
	}
}

var marketing = contract.Policy{Consent: contract.ConsentSubscribed, FrequencyCap: true, QuietHours: true}

// handle calls the gate, checks the resume_at contract of the answer
// (not_before when deferred, else now + next_wait_seconds) and returns the
// answer without resume_at, so tests compare the decision itself.
func (e *env) handle(t *testing.T, in contract.SendRequest) contract.SendResponse {
	t.Helper()
	out, err := e.h.Handle(context.Background(), in)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	want := e.now.UTC().Add(time.Duration(in.NextWaitSeconds) * time.Second).Format(time.RFC3339)
	if out.Status == contract.StatusDeferred {
		want = out.NotBefore
	}
	if out.ResumeAt != want {
		t.Errorf("%s answer: resume_at %q, want %q", out.Status, out.ResumeAt, want)
	}
	out.ResumeAt = ""
	return out
}

func (e *env) item(t *testing.T, pk, sk string) map[string]types.AttributeValue {
	t.Helper()
	out, err := e.db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: &e.table, Key: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: sk}}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item
}

func s(item map[string]types.AttributeValue, n string) string {
	if v, ok := item[n].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func TestConsentAndSuppression(t *testing.T) {
	none := contract.Policy{Consent: contract.ConsentNone}
	tests := []struct {
		name     string
		consent  string
		suppress string
		noProf   bool
		policy   contract.Policy
		want     contract.SendResponse
	}{
		{"subscribed", touchpoint.ConsentSubscribed, "", false, marketing, contract.SendResponse{Status: "sent"}},
		{"unsubscribed", touchpoint.ConsentUnsubscribed, "", false, marketing, contract.SendResponse{Status: "skipped", Reason: "consent_unsubscribed"}},
		{"not subscribed", touchpoint.ConsentNotSubscribed, "", false, marketing, contract.SendResponse{Status: "skipped", Reason: "consent_not_subscribed"}},
		{"pending double opt-in", touchpoint.ConsentPending, "", false, marketing, contract.SendResponse{Status: "skipped", Reason: "consent_pending"}},
		{"no consent known", "", "", false, marketing, contract.SendResponse{Status: "skipped", Reason: "consent_unknown"}},
		{"service message to not subscribed", touchpoint.ConsentNotSubscribed, "", false, none, contract.SendResponse{Status: "sent"}},
		{"suppressed bounce", touchpoint.ConsentSubscribed, "bounce", false, marketing, contract.SendResponse{Status: "skipped", Reason: "suppressed"}},
		{"suppressed service message", touchpoint.ConsentSubscribed, "complaint", false, none, contract.SendResponse{Status: "skipped", Reason: "suppressed"}},
		{"no profile", "", "", true, marketing, contract.SendResponse{Status: "skipped", Reason: "no_profile"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			const email = "ana@example.com"
			if !tt.noProf {
				e.addProfile(t, email, tt.consent, "Europe/Paris")
			}
			if tt.suppress != "" {
				if _, err := e.store.Suppress(context.Background(), email, tt.suppress, e.now); err != nil {
					t.Fatal(err)
				}
			}
			got := e.handle(t, req("cart", "reminder", "exec-1", email, tt.policy))
			if got != tt.want {
				t.Fatalf("answer = %+v, want %+v", got, tt.want)
			}
			wantMails := 0
			if tt.want.Status == "sent" {
				wantMails = 1
			}
			if n := len(e.ses.Outbox()); n != wantMails {
				t.Errorf("outbox = %d, want %d", n, wantMails)
			}
			msg := e.item(t, "MESSAGE#exec-1", "STEP#reminder")
			if tt.want.Status != "sent" && msg != nil {
				t.Errorf("a skipped send wrote a message item: %v", msg)
			}
			if tt.want.Status == "skipped" && !strings.Contains(e.metrics.String(), `"EmailsSkipped":1`) ||
				!strings.Contains(e.metrics.String(), `"Reason":"`+tt.want.Reason+`"`) && tt.want.Reason != "" {
				t.Errorf("metrics = %s", e.metrics)
			}
		})
	}
}

func TestSentEmail(t *testing.T) {
	e := newEnv(t)
	e.addProfile(t, "ana@example.com", touchpoint.ConsentSubscribed, "Europe/Paris")
	if got := e.handle(t, req("cart", "reminder", "exec-1", "Ana@Example.com ", marketing)); got.Status != "sent" {
		t.Fatalf("answer = %+v", got)
	}
	box := e.ses.Outbox()
	if len(box) != 1 {
		t.Fatalf("outbox = %d", len(box))
	}
	m := box[0]
	if m.From != "Shop <hello@shop.example>" || strings.Join(m.To, ",") != "ana@example.com" || m.Subject != "Hello Ana" {
		t.Errorf("from %q to %v subject %q", m.From, m.To, m.Subject)
	}
	if !strings.Contains(m.Text, "your cart of €129.90 is waiting") {
		t.Errorf("text = %q", m.Text)
	}
	if m.ConfigurationSet != "parcours" || m.Tags["journey"] != "cart" || m.Tags["step"] != "reminder" {
		t.Errorf("config set %q tags %v", m.ConfigurationSet, m.Tags)
	}
	if m.Header("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post = %q", m.Header("List-Unsubscribe-Post"))
	}
	lu := m.Header("List-Unsubscribe")
	if !strings.HasPrefix(lu, "<https://shop.example/unsubscribe?t=") || !strings.HasSuffix(lu, ">") {
		t.Fatalf("List-Unsubscribe = %q", lu)
	}
	u, _ := url.Parse(strings.Trim(lu, "<>"))
	if email, at, err := e.h.Signer.Verify(u.Query().Get("t")); err != nil || email != "ana@example.com" || !at.Equal(t0) {
		t.Errorf("token: %q %v %v", email, at, err)
	}
	if !strings.Contains(m.HTML, `href="https://shop.example/unsubscribe?t=`) {
		t.Errorf("html = %q", m.HTML)
	}
	msg := e.item(t, "MESSAGE#exec-1", "STEP#reminder")
	if s(msg, "status") != "sent" || s(msg, "ses_message_id") != m.ID || s(msg, "profile_pk") != "PROFILE#ana@example.com" {
		t.Errorf("message item = %v", msg)
	}
	if !strings.Contains(e.metrics.String(), `"EmailsSent":1`) {
		t.Errorf("metrics = %s", e.metrics)
	}
}

func TestIdempotentRetry(t *testing.T) {
	e := newEnv(t)
	e.addProfile(t, "ana@example.com", touchpoint.ConsentSubscribed, "")
	in := req("cart", "reminder", "exec-1", "ana@example.com", marketing)

	// SES refuses the first attempt: an error (the state machine retries),
	// the step stays retryable and the cap is given back.
	e.ses.RejectNext(1)
	_, err := e.h.Handle(context.Background(), in)
	var ie messages.InvokeResponse_Error
	if !errors.As(err, &ie) || ie.Type != send.ErrRetryable || !strings.Contains(ie.Message, "MessageRejected") {
		t.Fatalf("err = %#v, want a %s carrying the SES error", err, send.ErrRetryable)
	}
	if msg := e.item(t, "MESSAGE#exec-1", "STEP#reminder"); s(msg, "status") != "failed" {
		t.Errorf("after SES failure, message item = %v", msg)
	}
	// Another journey may use the cap meanwhile: it was released.
	other := req("winback", "hello", "exec-2", "ana@example.com", marketing)
	if got := e.handle(t, other); got.Status != "sent" {
		t.Fatalf("other journey after release = %+v", got)
	}
	e.ses.Reset()
	e.now = e.now.Add(17 * time.Hour) // 05:00 Paris: quiet
	e.h.Config.QuietHours = send.QuietHours{}

	for i := range 3 {
		if got := e.handle(t, in); got.Status != "sent" {
			t.Fatalf("attempt %d = %+v", i, got)
		}
	}
	if n := len(e.ses.Outbox()); n != 1 {
		t.Errorf("outbox = %d after three attempts of one step, want 1", n)
	}
}

func TestInDoubtStepIsNotResent(t *testing.T) {
	e := newEnv(t)
	e.addProfile(t, "ana@example.com", touchpoint.ConsentSubscribed, "")
	// An attempt that stopped after claiming the step, before recording SES's answer.
	_, err := e.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: &e.table, Item: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "MESSAGE#exec-1"}, "sk": &types.AttributeValueMemberS{Value: "STEP#reminder"},
		"status": &types.AttributeValueMemberS{Value: "sending"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	got := e.handle(t, req("cart", "reminder", "exec-1", "ana@example.com", marketing))
	if got != (contract.SendResponse{Status: "skipped", Reason: "in_doubt"}) || len(e.ses.Outbox()) != 0 {
		t.Errorf("answer %+v, outbox %d", got, len(e.ses.Outbox()))
	}
}

func TestFrequencyCapAcrossJourneys(t *testing.T) {
	e := newEnv(t)
	e.addProfile(t, "ana@example.com", touchpoint.ConsentSubscribed, "Europe/Paris")
	if got := e.handle(t, req("cart", "reminder", "cart-exec", "ana@example.com", marketing)); got.Status != "sent" {
		t.Fatalf("first journey = %+v", got)
	}
	e.now = t0.Add(time.Hour)
	second := req("winback", "hello", "winback-exec", "ana@example.com", marketing)
	got := e.handle(t, second)
	want := contract.SendResponse{Status: "deferred", Reason: "frequency_cap", NotBefore: t0.Add(16 * time.Hour).Format(time.RFC3339)}
	if got != want {
		t.Fatalf("second journey = %+v, want %+v", got, want)
	}
	// A journey outside the cap (service message) is not held back.
	service := req("winback", "receipt", "svc-exec", "ana@example.com", contract.Policy{Consent: contract.ConsentNone})
	service.Template = "hello"
	if got := e.handle(t, service); got.Status != "sent" {
		t.Errorf("uncapped journey = %+v", got)
	}
	// The state machine waits until not_before (04:00 Paris: quiet hours
	// defer it again to 08:00), then tries again.
	e.now = t0.Add(16 * time.Hour)
	got = e.handle(t, second)
	if got.Status != "deferred" || got.Reason != "quiet_hours" || got.NotBefore != "2026-03-11T07:00:00Z" {
		t.Fatalf("at not_before = %+v", got)
	}
	e.now = time.Date(2026, 3, 11, 7, 0, 0, 0, time.UTC)
	if got := e.handle(t, second); got.Status != "sent" {
		t.Fatalf("after the quiet hours = %+v", got)
	}
	if n := len(e.ses.Outbox()); n != 3 {
		t.Errorf("outbox = %d, want 3", n)
	}
	if !strings.Contains(e.metrics.String(), `"EmailsDeferred":1,"Journey":"winback","Reason":"frequency_cap"`) {
		t.Errorf("metrics = %s", e.metrics)
	}
}

func TestQuietHoursAcrossTimeZones(t *testing.T) {
	at := time.Date(2026, 3, 10, 20, 30, 0, 0, time.UTC) // 21:30 Paris, 16:30 New York, 05:30 (11th) Tokyo
	tests := []struct {
		name, tz, shopTZ string
		want             contract.SendResponse
	}{
		{"Paris evening", "Europe/Paris", "UTC", contract.SendResponse{Status: "deferred", Reason: "quiet_hours", NotBefore: "2026-03-11T07:00:00Z"}},
		{"New York afternoon", "America/New_York", "UTC", contract.SendResponse{Status: "sent"}},
		{"shop zone when the profile has none", "", "Asia/Tokyo", contract.SendResponse{Status: "deferred", Reason: "quiet_hours", NotBefore: "2026-03-10T23:00:00Z"}},
		{"unknown profile zone falls back to the shop", "Mars/Olympus", "America/New_York", contract.SendResponse{Status: "sent"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.addProfile(t, "ana@example.com", touchpoint.ConsentSubscribed, tt.tz)
			e.now = at
			loc, err := time.LoadLocation(tt.shopTZ)
			if err != nil {
				t.Fatal(err)
			}
			e.h.Config.ShopLocation = loc
			if got := e.handle(t, req("cart", "reminder", "x", "ana@example.com", marketing)); got != tt.want {
				t.Fatalf("answer = %+v, want %+v", got, tt.want)
			}
			// Journeys without quiet hours send at once.
			noQuiet := req("cart", "reminder", "y", "ana@example.com", contract.Policy{Consent: contract.ConsentSubscribed})
			if got := e.handle(t, noQuiet); got.Status != "sent" {
				t.Errorf("quiet_hours: false = %+v", got)
			}
		})
	}
}

func TestTemplateErrorIsNamed(t *testing.T) {
	e := newEnv(t)
	e.addProfile(t, "ana@example.com", touchpoint.ConsentSubscribed, "")
	in := req("cart", "broken", "exec-1", "ana@example.com", marketing)
	in.Template = "broken"
	_, err := e.h.Handle(context.Background(), in)
	var ie messages.InvokeResponse_Error
	if !errors.As(err, &ie) || ie.Type != contract.ErrTemplate || !strings.Contains(ie.Message, "cart/broken.txt") {
		t.Fatalf("err = %#v, want a %s naming the template", err, contract.ErrTemplate)
	}
	if len(e.ses.Outbox()) != 0 || e.item(t, "MESSAGE#exec-1", "STEP#broken") != nil || e.item(t, "PROFILE#ana@example.com", "CAP") != nil {
		t.Error("a template error sent, claimed the step or took the cap")
	}
	// Missing template files are template errors too.
	in.Template = "missing"
	if _, err := e.h.Handle(context.Background(), in); !errors.As(err, &ie) || ie.Type != contract.ErrTemplate {
		t.Errorf("missing template: err = %v", err)
	}
}

func TestBadRequest(t *testing.T) {
	e := newEnv(t)
	_, err := e.h.Handle(context.Background(), contract.SendRequest{Journey: "cart"})
	var ie messages.InvokeResponse_Error
	if !errors.As(err, &ie) || ie.Type != send.ErrBadRequest || ie.Message != "send request needs journey, step, template, execution and profile_key" {
		t.Errorf("err = %#v", err)
	}
}

func TestStorageFailureIsRetryable(t *testing.T) {
	e := newEnv(t)
	e.addProfile(t, "ana@example.com", touchpoint.ConsentSubscribed, "")
	em := ddbtest.Start(t)
	e.h.DB = em.Client // an emulator that is about to go away
	em.Close()
	_, err := e.h.Handle(context.Background(), req("cart", "reminder", "exec-1", "ana@example.com", marketing))
	var ie messages.InvokeResponse_Error
	if !errors.As(err, &ie) || ie.Type != send.ErrRetryable {
		t.Fatalf("err = %#v, want %s", err, send.ErrRetryable)
	}
	if len(e.ses.Outbox()) != 0 {
		t.Error("sent without storage")
	}
}

// claimFailsDB is the real client, failing the claim of a message item
// (the PutItem of a MESSAGE# item) with a DynamoDB error.
type claimFailsDB struct{ send.DynamoDB }

func (f claimFailsDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	if pk, ok := in.Item["pk"].(*types.AttributeValueMemberS); ok && strings.HasPrefix(pk.Value, "MESSAGE#") {
		return nil, &types.InternalServerError{Message: aws.String("injected")}
	}
	return f.DynamoDB.PutItem(ctx, in, o...)
}

// TestClaimFailureReleasesCap: the cap is taken before the step is
// claimed; when the claim fails, nothing was sent and the cap goes back,
// so the profile's other journeys are not deferred.
func TestClaimFailureReleasesCap(t *testing.T) {
	e := newEnv(t)
	e.addProfile(t, "ana@example.com", touchpoint.ConsentSubscribed, "")
	db := e.h.DB
	e.h.DB = claimFailsDB{db}
	_, err := e.h.Handle(context.Background(), req("cart", "reminder", "cart-exec", "ana@example.com", marketing))
	var ie messages.InvokeResponse_Error
	if !errors.As(err, &ie) || ie.Type != send.ErrRetryable {
		t.Fatalf("err = %#v, want %s", err, send.ErrRetryable)
	}
	if len(e.ses.Outbox()) != 0 || e.item(t, "MESSAGE#cart-exec", "STEP#reminder") != nil {
		t.Fatal("the failed claim sent or wrote the message item")
	}
	if c := e.item(t, "PROFILE#ana@example.com", "CAP"); s(c, "holder") != "" {
		t.Fatalf("cap still held by %q after the failed claim", s(c, "holder"))
	}
	e.h.DB = db
	e.now = t0.Add(time.Minute)
	if got := e.handle(t, req("winback", "hello", "winback-exec", "ana@example.com", marketing)); got.Status != "sent" {
		t.Fatalf("another journey after the failed claim = %+v, want sent", got)
	}
	// The failed step, retried, now meets the cap the other journey took.
	got := e.handle(t, req("cart", "reminder", "cart-exec", "ana@example.com", marketing))
	if got.Status != "deferred" || got.Reason != "frequency_cap" {
		t.Errorf("retried step = %+v, want deferred by the cap", got)
	}
}
