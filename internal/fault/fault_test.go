package fault_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/smithy-go"
	"github.com/truora/minidyn/server"

	"github.com/parcours/parcours/internal/ddbtest"
	"github.com/parcours/parcours/internal/fault"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/sesapi"
	"github.com/parcours/parcours/internal/sfnapi"
)

// endpoint serves DynamoDB (minidyn), Step Functions (sfnapi) and SES
// (sesapi) on one loopback port behind the injector.
func endpoint(t *testing.T, in *fault.Injector) (string, *sesapi.Server) {
	t.Helper()
	ddb := ddbtest.Handler(server.NewServer())
	sf := sfnapi.NewServer()
	sf.AddStateMachine("arn:aws:states:us-east-1:000000000000:stateMachine:M")
	ses := sesapi.NewServer()
	mux := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch svc, _, _ := fault.Classify(r); svc {
		case fault.DynamoDB:
			ddb.ServeHTTP(w, r)
		case fault.StepFunctions:
			sf.ServeHTTP(w, r)
		default:
			ses.ServeHTTP(w, r)
		}
	})
	hs := httptest.NewServer(in.Wrap(mux))
	t.Cleanup(hs.Close)
	return hs.URL, ses
}

// ddbClient is a real client; with retries, the SDK's standard retryer
// (which decides what is retryable) with a 1 ms backoff, so the test is
// fast.
func ddbClient(url string, retries bool) *dynamodb.Client {
	return ddbtest.NewClient(url, func(o *dynamodb.Options) {
		if !retries {
			o.Retryer = aws.NopRetryer{}
			return
		}
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
		})
	})
}

func newTable(t *testing.T, url string) string {
	t.Helper()
	if err := profile.CreateTable(context.Background(), ddbClient(url, false), "T"); err != nil {
		t.Fatal(err)
	}
	return "T"
}

func put(db *dynamodb.Client, pk string) error {
	_, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String("T"), Item: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: "X"}}})
	return err
}

func transact(db *dynamodb.Client, pk string) error {
	_, err := db.TransactWriteItems(context.Background(), &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String("T"), Item: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: "A"}}}},
		{Put: &types.Put{TableName: aws.String("T"), Item: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: "B"}}}},
	}})
	return err
}

func count(t *testing.T, db *dynamodb.Client) int {
	t.Helper()
	return len(ddbtest.Scan(t, db, "T"))
}

// Each kind reaches the SDK as the error type DynamoDB's own answer
// decodes to, and nothing is written.
func TestDynamoDBKinds(t *testing.T) {
	tests := []struct {
		kind  fault.Kind
		op    string
		check func(error) bool
	}{
		{fault.Throughput, "PutItem", func(err error) bool { var e *types.ProvisionedThroughputExceededException; return errors.As(err, &e) }},
		{fault.InternalServerError, "PutItem", func(err error) bool {
			var e *types.InternalServerError
			var re interface{ HTTPStatusCode() int }
			return errors.As(err, &e) && errors.As(err, &re) && re.HTTPStatusCode() == 500
		}},
		{fault.TransactionConflict, "PutItem", func(err error) bool { var e *types.TransactionConflictException; return errors.As(err, &e) }},
		{fault.TransactionCanceled, "TransactWriteItems", func(err error) bool {
			var e *types.TransactionCanceledException
			if !errors.As(err, &e) || len(e.CancellationReasons) != 2 {
				return false
			}
			return aws.ToString(e.CancellationReasons[0].Code) == "None" && aws.ToString(e.CancellationReasons[1].Code) == "TransactionConflict"
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			in := fault.New(1, fault.Rule{Service: fault.DynamoDB, Operations: []string{tt.op}, Rate: 1, Kinds: []fault.Kind{tt.kind}})
			url, _ := endpoint(t, in)
			newTable(t, url)
			db := ddbClient(url, false)
			var err error
			if tt.op == "PutItem" {
				err = put(db, "p")
			} else {
				err = transact(db, "p")
			}
			if err == nil || !tt.check(err) {
				t.Fatalf("error = %v, want %s", err, tt.kind)
			}
			if n := count(t, db); n != 0 {
				t.Errorf("%d items written, want none", n)
			}
			if got := in.Counts()["dynamodb "+tt.op+" "+string(tt.kind)]; got != 1 {
				t.Errorf("counts = %v", in.Counts())
			}
		})
	}
}

// The SDK's standard retryer retries throttling and 500s (not a cancelled
// transaction: that is the caller's to handle): at a rate of 30% almost
// every call ends well, and the failures that do reach the caller are the
// injected ones.
func TestSDKRetries(t *testing.T) {
	in := fault.New(7, fault.Rule{Service: fault.DynamoDB, Rate: 0.3, Kinds: []fault.Kind{fault.Throughput, fault.InternalServerError}})
	url, _ := endpoint(t, in)
	in.SetEnabled(false)
	newTable(t, url)
	in.SetEnabled(true)
	db := ddbClient(url, true)
	failed := 0
	const calls = 100
	for i := range calls {
		if err := transact(db, fmt.Sprint("p", i)); err != nil {
			var ae smithy.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("not an API error: %v", err)
			}
			failed++
		}
	}
	in.SetEnabled(false)
	if n := count(t, db); n != 2*(calls-failed) {
		t.Errorf("%d items for %d successful transactions", n, calls-failed)
	}
	if failed > 5 || in.Total() < 20 {
		t.Errorf("%d calls failed after retries, %d faults injected (want ≤5 and ≥20): %v", failed, in.Total(), in.Counts())
	}
}

// AfterWrite: the write happens, the client sees the error.
func TestAfterWrite(t *testing.T) {
	in := fault.New(1, fault.Rule{Service: fault.DynamoDB, Operations: []string{"PutItem"}, Rate: 1, Kinds: []fault.Kind{fault.InternalServerError}, AfterWrite: true})
	url, _ := endpoint(t, in)
	newTable(t, url)
	db := ddbClient(url, false)
	var e *types.InternalServerError
	if err := put(db, "p"); !errors.As(err, &e) {
		t.Fatalf("error = %v, want InternalServerError", err)
	}
	if n := count(t, db); n != 1 {
		t.Errorf("%d items, want the write to have happened", n)
	}
}

// The same seed and the same requests meet the same faults, another seed
// other ones; the rate is respected.
func TestDeterministic(t *testing.T) {
	run := func(seed int64) string {
		in := fault.New(seed, fault.Rule{Service: fault.DynamoDB, Operations: []string{"PutItem"}, Rate: 0.2})
		url, _ := endpoint(t, in)
		in.SetEnabled(false)
		newTable(t, url)
		in.SetEnabled(true)
		db := ddbClient(url, false)
		var b strings.Builder
		for i := range 500 {
			if put(db, fmt.Sprint("p", i)) != nil {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	a, b, c := run(1), run(1), run(2)
	if a != b {
		t.Errorf("seed 1 twice:\n%s\n%s", a, b)
	}
	if a == c {
		t.Error("seeds 1 and 2 gave the same faults")
	}
	if n := strings.Count(a, "x"); n < 70 || n > 130 {
		t.Errorf("%d faults in 500 requests at rate 0.2", n)
	}
}

func TestSES(t *testing.T) {
	for _, tt := range []struct {
		kind   fault.Kind
		status int
	}{{fault.TooManyRequests, 429}, {fault.InternalFailure, 500}} {
		t.Run(string(tt.kind), func(t *testing.T) {
			in := fault.New(1, fault.Rule{Service: fault.SES, Rate: 1, Kinds: []fault.Kind{tt.kind}})
			url, ses := endpoint(t, in)
			c := sesv2.New(sesv2.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), Retryer: aws.NopRetryer{},
				Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
			_, err := c.SendEmail(context.Background(), &sesv2.SendEmailInput{
				FromEmailAddress: aws.String("shop@example.com"),
				Destination:      &sestypes.Destination{ToAddresses: []string{"a@example.com"}},
				Content: &sestypes.EmailContent{Simple: &sestypes.Message{
					Subject: &sestypes.Content{Data: aws.String("s")}, Body: &sestypes.Body{Text: &sestypes.Content{Data: aws.String("b")}}}},
			})
			var ae smithy.APIError
			var re interface{ HTTPStatusCode() int }
			if !errors.As(err, &ae) || ae.ErrorCode() != string(tt.kind) || !errors.As(err, &re) || re.HTTPStatusCode() != tt.status {
				t.Fatalf("error = %v, want %s (%d)", err, tt.kind, tt.status)
			}
			if tt.kind == fault.TooManyRequests {
				var e *sestypes.TooManyRequestsException
				if !errors.As(err, &e) {
					t.Errorf("not a TooManyRequestsException: %T", err)
				}
			}
			if n := len(ses.Outbox()); n != 0 {
				t.Errorf("%d emails in the outbox", n)
			}
		})
	}
}

// Match limits a rule to one request: one execution fails, the other
// starts.
func TestStepFunctionsMatch(t *testing.T) {
	in := fault.New(1, fault.Rule{Service: fault.StepFunctions, Operations: []string{"StartExecution"}, Rate: 1,
		Kinds: []fault.Kind{fault.Throttling}, Match: func(b []byte) bool { return strings.Contains(string(b), `"bad"`) }})
	url, _ := endpoint(t, in)
	c := sfn.New(sfn.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), Retryer: aws.NopRetryer{},
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
	start := func(name string) error {
		_, err := c.StartExecution(context.Background(), &sfn.StartExecutionInput{
			StateMachineArn: aws.String("arn:aws:states:us-east-1:000000000000:stateMachine:M"), Name: aws.String(name), Input: aws.String("{}")})
		return err
	}
	var ae smithy.APIError
	if err := start("bad"); !errors.As(err, &ae) || ae.ErrorCode() != "ThrottlingException" {
		t.Errorf("bad: %v, want ThrottlingException", err)
	}
	if err := start("good"); err != nil {
		t.Errorf("good: %v", err)
	}
	if got := in.Requests()["sfn StartExecution"]; got != 2 {
		t.Errorf("requests = %v", in.Requests())
	}
}
