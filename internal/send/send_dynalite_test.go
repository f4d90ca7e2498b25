package send_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parcours/parcours/internal/ddbtest"
	"github.com/parcours/parcours/internal/journey/contract"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/send"
	"github.com/parcours/parcours/internal/touchpoint"
)

// One dynalite process for the package's tests (ddbtest.Main).
func TestMain(m *testing.M) { os.Exit(ddbtest.Main(m)) }

// newEnvOn is newEnv with the handler and the store on the given table.
func newEnvOn(t *testing.T, db *dynamodb.Client, table string) *env {
	t.Helper()
	e := newEnv(t)
	calls := send.NewDynamoDBCalls(db)
	e.db, e.table = db, table
	e.store = profile.NewStore(calls, table)
	e.store.Now = func() time.Time { return e.now }
	e.h.DB = calls
	e.h.Profiles = send.ProfilesFunc(e.store.GetView)
	e.h.Config.Table = table
	return e
}

// TestBackendsSendContract runs the send function's DynamoDB contract on
// minidyn and on dynalite: consent and suppression gates, the claim of a
// step (message item), the frequency cap item taken, released on an SES
// failure and deferring another journey, an in-doubt step, idempotent
// retries. Both backends must end with the same table.
func TestBackendsSendContract(t *testing.T) {
	ctx := context.Background()
	dumps := map[string]string{}
	ddbtest.ForEachBackend(t, func(t *testing.T, db *dynamodb.Client, table string) {
		e := newEnvOn(t, db, table)
		e.addProfile(t, "ana@example.com", touchpoint.ConsentSubscribed, "Europe/Paris")
		e.addProfile(t, "ben@example.com", touchpoint.ConsentUnsubscribed, "Europe/Paris")
		e.addProfile(t, "cy@example.com", touchpoint.ConsentSubscribed, "Europe/Paris")
		if _, err := e.store.Suppress(ctx, "cy@example.com", "bounce", e.now); err != nil {
			t.Fatal(err)
		}

		// Gates: nothing claimed, nothing sent.
		for _, c := range []struct {
			email string
			want  contract.SendResponse
		}{
			{"ben@example.com", contract.SendResponse{Status: "skipped", Reason: "consent_unsubscribed"}},
			{"cy@example.com", contract.SendResponse{Status: "skipped", Reason: "suppressed"}},
			{"nobody@example.com", contract.SendResponse{Status: "skipped", Reason: "no_profile"}},
		} {
			if got := e.handle(t, req("cart", "reminder", "gate-"+c.email, c.email, marketing)); got != c.want {
				t.Fatalf("%s: %+v, want %+v", c.email, got, c.want)
			}
			if msg := e.item(t, "MESSAGE#gate-"+c.email, "STEP#reminder"); msg != nil {
				t.Fatalf("%s: a skipped send wrote a message item: %v", c.email, msg)
			}
		}

		// SES refuses the first attempt: the step is marked failed and the
		// cap released, so another journey sends.
		in := req("cart", "reminder", "exec-1", "ana@example.com", marketing)
		e.ses.RejectNext(1)
		_, err := e.h.Handle(ctx, in)
		var ie messages.InvokeResponse_Error
		if !errors.As(err, &ie) || ie.Type != send.ErrRetryable {
			t.Fatalf("SES failure: err = %#v, want %s", err, send.ErrRetryable)
		}
		if msg := e.item(t, "MESSAGE#exec-1", "STEP#reminder"); s(msg, "status") != "failed" {
			t.Fatalf("after SES failure, message item = %v", msg)
		}
		if got := e.handle(t, req("winback", "hello", "exec-2", "ana@example.com", marketing)); got.Status != "sent" {
			t.Fatalf("other journey after the release = %+v", got)
		}
		if c := e.item(t, "PROFILE#ana@example.com", "CAP"); s(c, "holder") == "" {
			t.Fatalf("cap item after a send = %v, want a holder", c)
		}

		// The cap defers the retried step; after the window it sends once,
		// and later retries of the same step do not send again.
		e.now = t0.Add(time.Hour)
		got := e.handle(t, in)
		if got.Status != "deferred" || got.Reason != "frequency_cap" || got.NotBefore != t0.Add(16*time.Hour).Format(time.RFC3339) {
			t.Fatalf("retried step under the cap = %+v", got)
		}
		e.now = time.Date(2026, 3, 11, 7, 0, 0, 0, time.UTC)
		for i := range 3 {
			if got := e.handle(t, in); got.Status != "sent" {
				t.Fatalf("attempt %d after the cap = %+v", i, got)
			}
		}
		if n := len(e.ses.Outbox()); n != 2 {
			t.Fatalf("outbox = %d, want 2 (exec-2 once, exec-1 once)", n)
		}
		msg := e.item(t, "MESSAGE#exec-1", "STEP#reminder")
		if s(msg, "status") != "sent" || s(msg, "ses_message_id") == "" || s(msg, "profile_pk") != "PROFILE#ana@example.com" {
			t.Fatalf("message item = %v", msg)
		}

		// A step claimed by an attempt that never recorded SES's answer.
		if _, err := e.h.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &e.table, Item: messageItem("exec-3", "sending")}); err != nil {
			t.Fatal(err)
		}
		if got := e.handle(t, req("cart", "reminder", "exec-3", "ana@example.com", marketing)); got != (contract.SendResponse{Status: "skipped", Reason: "in_doubt"}) {
			t.Fatalf("in-doubt step = %+v", got)
		}
		dumps[t.Name()] = ddbtest.Dump(t, db, table, "ses_message_id") // random, from SES
	})
	compareDumps(t, dumps)
}

// Two journeys email one profile at the same moment: the cap's
// conditional update lets exactly one through, on both backends (minidyn
// as every other send test, and dynalite).
func TestBackendsFrequencyCapRace(t *testing.T) {
	ddbtest.ForEachBackend(t, func(t *testing.T, db *dynamodb.Client, table string) {
		e := newEnvOn(t, db, table)
		e.addProfile(t, "ana@example.com", touchpoint.ConsentSubscribed, "")
		reqs := []contract.SendRequest{
			req("cart", "reminder", "cart-exec", "ana@example.com", marketing),
			req("winback", "hello", "winback-exec", "ana@example.com", marketing),
		}
		out := make([]contract.SendResponse, len(reqs))
		errs := make([]error, len(reqs))
		done := make(chan int)
		for i := range reqs {
			go func() { out[i], errs[i] = e.h.Handle(context.Background(), reqs[i]); done <- i }()
		}
		<-done
		<-done
		statuses := map[string]int{}
		for i := range reqs {
			if errs[i] != nil {
				t.Fatalf("Handle %d: %v", i, errs[i])
			}
			statuses[out[i].Status]++
		}
		if statuses["sent"] != 1 || statuses["deferred"] != 1 || len(e.ses.Outbox()) != 1 {
			t.Errorf("answers %+v, outbox %d: want one sent, one deferred", out, len(e.ses.Outbox()))
		}
	})
}

// compareDumps fails unless both backends left a table, the same one.
func compareDumps(t *testing.T, dumps map[string]string) {
	t.Helper()
	m, d := dumps[t.Name()+"/minidyn"], dumps[t.Name()+"/dynalite"]
	if m == "" || d == "" {
		t.Fatalf("a backend left no table to compare (minidyn %d bytes, dynalite %d)", len(m), len(d))
	}
	if m != d {
		t.Fatalf("the backends' tables differ:\nminidyn:\n%s\ndynalite:\n%s", m, d)
	}
}

// messageItem is a message item as an attempt leaves it.
func messageItem(execution, status string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "MESSAGE#" + execution}, "sk": &types.AttributeValueMemberS{Value: "STEP#reminder"},
		"status": &types.AttributeValueMemberS{Value: status},
	}
}
