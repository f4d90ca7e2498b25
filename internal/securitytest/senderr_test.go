package securitytest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/parcours/parcours/internal/ddbtest"
	"github.com/parcours/parcours/internal/emf"
	"github.com/parcours/parcours/internal/journey/contract"
	"github.com/parcours/parcours/internal/mail"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/send"
	"github.com/parcours/parcours/internal/touchpoint"
	"github.com/parcours/parcours/internal/unsubscribe"
)

// TestSendErrorLogs: SES error messages can name the recipient (in the
// sandbox, MessageRejected says "The following identities failed the
// check in region …: <address>"). The send function's error log and the
// error it answers the state machine with must not carry it.
func TestSendErrorLogs(t *testing.T) {
	const addr = "wilhelmina.cragsworth@example.com"
	ses := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Destination struct{ ToAddresses []string }
		}
		_ = json.NewDecoder(r.Body).Decode(&in)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-ErrorType", "MessageRejected")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"message": "Email address is not verified. The following identities failed the check in region EU-WEST-1: " +
			strings.Join(in.Destination.ToAddresses, ", ")})
	}))
	t.Cleanup(ses.Close)
	db, table := ddbtest.New(t)
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	store := profile.NewStore(db, table)
	store.Now = func() time.Time { return now }
	if _, err := store.Apply(context.Background(), touchpoint.Event{ID: "seed", Source: "standard", Type: touchpoint.CustomerCreated, OccurredAt: now.Add(-time.Hour),
		Email: addr, Customer: &touchpoint.Customer{FirstName: "Wilhelmina"}, Consent: &touchpoint.Consent{State: touchpoint.ConsentSubscribed, UpdatedAt: now.Add(-time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	signer, _ := unsubscribe.NewSigner(bytes.Repeat([]byte{9}, 32))
	logs := &logBuffer{}
	h := &send.Handler{
		DB: send.NewDynamoDBCalls(db), Profiles: send.ProfilesFunc(store.GetView),
		SES: send.NewSESCalls(sesv2.New(sesv2.Options{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("t", "t", ""),
			BaseEndpoint: aws.String(ses.URL), RetryMaxAttempts: 1})),
		Renderer: mail.Renderer{FS: fstest.MapFS{
			"j/t.txt":  {Data: []byte("Hi {{.Profile.FirstName}} {{.UnsubscribeURL}}")},
			"j/t.html": {Data: []byte("<p>Hi {{.Profile.FirstName}}</p>")},
		}},
		Signer: signer,
		Config: send.Config{Table: table, From: "Shop <hello@shop.example>", UnsubscribeURL: "https://shop.example/unsubscribe",
			Shop: mail.Shop{Name: "Shop", URL: "https://shop.example"}, ShopLocation: time.UTC, FrequencyCap: send.DefaultFrequencyCap,
			QuietHours: send.DefaultQuietHours, MessageTTL: send.DefaultMessageTTL},
		Metrics: emf.New(io.Discard, func() time.Time { return now }),
		Log:     slog.New(slog.NewJSONHandler(logs, nil)),
		Now:     func() time.Time { return now },
	}
	_, err := h.Handle(context.Background(), contract.SendRequest{Journey: "j", Step: "s1", Template: "t", Subject: "Hello",
		Execution: "exec-1", ProfileKey: addr, Policy: contract.Policy{Consent: contract.ConsentNone}})
	if err == nil || !strings.Contains(err.Error(), "MessageRejected") {
		t.Fatalf("Handle = %v, want the SES rejection as a retryable error", err)
	}
	chk := newLeakChecker()
	chk.person(person{addr, "Wilhelmina", "Cragsworth"})
	if !strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Fatalf("the failure was not logged:\n%s", logs)
	}
	chk.check(t, logs.String())
	if l := chk.leaks(err.Error()); len(l) > 0 {
		t.Errorf("the error answered to the state machine leaks %v: %v", l, err)
	}
}
