package sfnapi_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"

	"github.com/parcours/parcours/internal/sfnapi"
)

const (
	machine = "arn:aws:states:eu-west-1:123456789012:stateMachine:parcours-abandoned-cart"
	alias   = machine + ":live"
)

func setup(t *testing.T, opts ...sfnapi.Option) (*sfnapi.Server, *sfn.Client) {
	t.Helper()
	s := sfnapi.NewServer(opts...)
	s.AddStateMachine(machine)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, sfn.New(sfn.Options{
		Region:       "eu-west-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(ts.URL),
	})
}

func TestStartExecutionIdempotency(t *testing.T) {
	clock := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	s, c := setup(t, sfnapi.WithClock(func() time.Time { return clock }))
	ctx := context.Background()
	start := func(name, input string) (*sfn.StartExecutionOutput, error) {
		return c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(alias), Name: aws.String(name), Input: aws.String(input)})
	}
	first, err := start("exec-1", `{"a":1}`)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	wantARN := "arn:aws:states:eu-west-1:123456789012:execution:parcours-abandoned-cart:exec-1"
	if aws.ToString(first.ExecutionArn) != wantARN || !first.StartDate.Equal(clock) {
		t.Fatalf("start = %s %v", aws.ToString(first.ExecutionArn), first.StartDate)
	}

	clock = clock.Add(time.Minute)
	again, err := start("exec-1", `{"a":1}`)
	if err != nil {
		t.Fatalf("same name and input while running: %v", err)
	}
	if aws.ToString(again.ExecutionArn) != wantARN || !again.StartDate.Equal(*first.StartDate) {
		t.Errorf("repeat = %s %v, want the original", aws.ToString(again.ExecutionArn), again.StartDate)
	}

	_, err = start("exec-1", `{"a":2}`)
	var exists *types.ExecutionAlreadyExists
	if !errors.As(err, &exists) {
		t.Errorf("same name, other input: err = %v, want ExecutionAlreadyExists", err)
	}

	if err := s.Finish(wantARN, sfnapi.StatusSucceeded, `{"ok":true}`, "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err = start("exec-1", `{"a":1}`); !errors.As(err, &exists) {
		t.Errorf("same name and input after close: err = %v, want ExecutionAlreadyExists", err)
	}
	if n := len(s.Executions()); n != 1 {
		t.Errorf("%d executions, want 1", n)
	}

	d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(wantARN)})
	if err != nil {
		t.Fatalf("describe: %v", err)
	}
	if d.Status != types.ExecutionStatusSucceeded || aws.ToString(d.Input) != `{"a":1}` || aws.ToString(d.Output) != `{"ok":true}` ||
		aws.ToString(d.StateMachineArn) != machine || aws.ToString(d.StateMachineAliasArn) != alias || aws.ToString(d.Name) != "exec-1" {
		t.Errorf("describe = %+v", d)
	}

	l, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(machine)})
	if err != nil || len(l.Executions) != 1 {
		t.Fatalf("list = %v, %v", l, err)
	}
}

func TestStartExecutionErrors(t *testing.T) {
	tests := []struct {
		name, arn, exec, input, code string
	}{
		{"unknown machine", "arn:aws:states:eu-west-1:123456789012:stateMachine:other", "x", "{}", "StateMachineDoesNotExist"},
		{"bad arn", "not-an-arn", "x", "{}", "InvalidArn"},
		{"bad name", alias, "has space", "{}", "InvalidName"},
		{"long name", alias, string(make([]byte, 81)), "{}", "InvalidName"},
		{"bad input", alias, "x", "{nope", "InvalidExecutionInput"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := setup(t)
			_, err := c.StartExecution(context.Background(), &sfn.StartExecutionInput{
				StateMachineArn: aws.String(tt.arn), Name: aws.String(tt.exec), Input: aws.String(tt.input),
			})
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tt.code {
				t.Fatalf("err = %v, want %s", err, tt.code)
			}
			if n := len(s.Executions()); n != 0 {
				t.Errorf("%d executions after a rejected start", n)
			}
		})
	}
}

type runner struct{ started chan sfnapi.Execution }

func (r runner) Start(e sfnapi.Execution) error { r.started <- e; return nil }

func TestRunnerAndStop(t *testing.T) {
	r := runner{make(chan sfnapi.Execution, 1)}
	s, c := setup(t, sfnapi.WithRunner(r))
	ctx := context.Background()
	out, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine), Name: aws.String("n")})
	if err != nil {
		t.Fatal(err)
	}
	if e := <-r.started; e.ARN != aws.ToString(out.ExecutionArn) || e.Input != "{}" {
		t.Errorf("runner got %+v", e)
	}
	if _, err := c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: out.ExecutionArn, Error: aws.String("Manual")}); err != nil {
		t.Fatal(err)
	}
	e, _ := s.DescribeExecution(aws.ToString(out.ExecutionArn))
	if e.Status != sfnapi.StatusAborted || e.Error != "Manual" {
		t.Errorf("after stop: %+v", e)
	}
	_, err = c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(machine + ":missing")})
	var dne *types.ExecutionDoesNotExist
	if !errors.As(err, &dne) {
		t.Errorf("describe missing: %v", err)
	}
}

// TestStartExecutionInputLimit: an input over 262,144 bytes of UTF-8 is
// refused with AWS's ValidationException (its exact message), before the
// state machine is looked up; an input of exactly 262,144 bytes (counted
// in bytes, not characters) starts.
func TestStartExecutionInputLimit(t *testing.T) {
	const msg = "1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have size less than or equal to 262144 bytes in UTF-8 encoding"
	// A JSON string of n bytes: quotes plus (n-2) bytes of "é" and "a".
	input := func(n int) string {
		body := strings.Repeat("é", (n-2)/2) + strings.Repeat("a", (n-2)%2)
		return `"` + body + `"`
	}
	tests := []struct {
		name, arn, input string
		ok               bool
	}{
		{"at the limit", alias, input(sfnapi.MaxInput), true},
		{"one byte over", alias, input(sfnapi.MaxInput + 1), false},
		{"over, unknown machine", "arn:aws:states:eu-west-1:123456789012:stateMachine:other", input(sfnapi.MaxInput + 1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.input) != sfnapi.MaxInput && len(tt.input) != sfnapi.MaxInput+1 {
				t.Fatalf("input is %d bytes", len(tt.input))
			}
			s, c := setup(t)
			_, err := c.StartExecution(context.Background(), &sfn.StartExecutionInput{
				StateMachineArn: aws.String(tt.arn), Name: aws.String("big"), Input: aws.String(tt.input),
			})
			if tt.ok {
				if err != nil || len(s.Executions()) != 1 || s.Executions()[0].Input != tt.input {
					t.Fatalf("err = %v, %d executions", err, len(s.Executions()))
				}
				return
			}
			var ve *types.ValidationException
			if !errors.As(err, &ve) || ve.ErrorMessage() != msg {
				t.Fatalf("err = %v, want ValidationException %q", err, msg)
			}
			if n := len(s.Executions()); n != 0 {
				t.Errorf("%d executions after a rejected start", n)
			}
		})
	}
}
