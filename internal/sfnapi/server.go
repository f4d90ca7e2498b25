// Package sfnapi is an in-process AWS Step Functions endpoint. It speaks the
// AWS JSON 1.0 protocol (POST /, X-Amz-Target: AWSStepFunctions.<Operation>)
// well enough for the real aws-sdk-go-v2 sfn client, and implements
// StartExecution with the idempotency rules of STANDARD workflows, plus
// DescribeExecution, StopExecution and ListExecutions.
//
// The server keeps the execution records; what an execution does is up to a
// Runner. Tests use none (executions stay RUNNING, which is what the router's
// idempotency needs); the dev stack plugs in the ASL engine, which calls
// Server.Finish when an execution ends.
package sfnapi

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// Execution statuses.
const (
	StatusRunning   = "RUNNING"
	StatusSucceeded = "SUCCEEDED"
	StatusFailed    = "FAILED"
	StatusTimedOut  = "TIMED_OUT"
	StatusAborted   = "ABORTED"
)

// Execution is one started execution.
type Execution struct {
	ARN             string
	StateMachineARN string // as given to StartExecution (may carry an alias or version qualifier)
	Name            string
	Input           string
	StartDate       time.Time
	Status          string
	StopDate        time.Time
	Output          string
	Error           string
	Cause           string
}

// Runner runs executions. Start is called once for each new execution, after
// it is recorded as RUNNING; it must not block on the execution's work.
// When the execution ends, the runner calls Server.Finish. An error from
// Start fails the execution at once (the StartExecution call still succeeds,
// as it does on AWS when the first state fails).
type Runner interface {
	Start(e Execution) error
}

// Option configures a Server.
type Option func(*Server)

// WithRunner sets the runner of new executions.
func WithRunner(r Runner) Option { return func(s *Server) { s.runner = r } }

// WithClock sets the clock that stamps start and stop dates.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// Server is the Step Functions endpoint: an http.Handler safe for concurrent
// use.
type Server struct {
	now    func() time.Time
	runner Runner

	mu       sync.Mutex
	machines map[string]bool       // unqualified state machine ARN
	execs    map[string]*Execution // by execution ARN
	order    []string              // execution ARNs in start order
}

// NewServer returns an endpoint with no state machines.
func NewServer(opts ...Option) *Server {
	s := &Server{now: time.Now, machines: map[string]bool{}, execs: map[string]*Execution{}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// AddStateMachine declares a state machine. StartExecution accepts its ARN
// and the ARN qualified by any alias or version
// ("arn:aws:states:…:stateMachine:name:live"); other ARNs are answered
// StateMachineDoesNotExist.
func (s *Server) AddStateMachine(arn string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.machines[unqualified(arn)] = true
}

// Executions returns every execution, in start order.
func (s *Server) Executions() []Execution {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Execution, 0, len(s.order))
	for _, a := range s.order {
		out = append(out, *s.execs[a])
	}
	return out
}

// Finish closes a running execution with status SUCCEEDED, FAILED,
// TIMED_OUT or ABORTED.
func (s *Server) Finish(executionARN, status, output, errName, cause string) error {
	switch status {
	case StatusSucceeded, StatusFailed, StatusTimedOut, StatusAborted:
	default:
		return fmt.Errorf("finish %s: status %q is not a closed status", executionARN, status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.execs[executionARN]
	if e == nil {
		return fmt.Errorf("finish %s: no such execution", executionARN)
	}
	if e.Status != StatusRunning {
		return fmt.Errorf("finish %s: execution is already %s", executionARN, e.Status)
	}
	e.Status, e.Output, e.Error, e.Cause, e.StopDate = status, output, errName, cause, s.now().UTC()
	return nil
}

// APIError is an error answered to the client.
type APIError struct {
	Code    string
	Message string
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

// MaxInput is Step Functions' limit on an execution input (and on every
// state's input and output): 262,144 bytes of UTF-8.
const MaxInput = 256 * 1024

// errInputTooLarge is what StartExecution answers for a larger input: a
// ValidationException from the API's model constraints, checked before
// the ARN, the name or the state machine.
var errInputTooLarge = &APIError{"ValidationException",
	"1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have size less than or equal to 262144 bytes in UTF-8 encoding"}

var (
	// Names: 1–80 characters, no whitespace, brackets, wildcards, special
	// or control characters. parcours only ever uses [A-Za-z0-9-_].
	validName  = regexp.MustCompile(`^[^\s<>{}\[\]?*"#%\\^|~` + "`" + `$&,;:/\x00-\x1f\x7f-\x9f]{1,80}$`)
	machineARN = regexp.MustCompile(`^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}(:[A-Za-z0-9_-]+)?$`)
)

// unqualified strips an alias or version qualifier from a state machine ARN.
func unqualified(arn string) string {
	parts := strings.Split(arn, ":")
	if len(parts) == 8 {
		return strings.Join(parts[:7], ":")
	}
	return arn
}

// executionARN is the ARN AWS gives an execution of arn named name.
func executionARN(arn, name string) string {
	return strings.Replace(unqualified(arn), ":stateMachine:", ":execution:", 1) + ":" + name
}

// StartExecution starts (or, for a repeat of a running one, returns) an
// execution, with the rules of STANDARD workflows: the same name and input
// as a running execution returns that execution; the same name with another
// input, or of a closed execution, is ExecutionAlreadyExists.
func (s *Server) StartExecution(stateMachineARN, name, input string) (Execution, error) {
	if len(input) > MaxInput {
		return Execution{}, errInputTooLarge
	}
	if input == "" {
		input = "{}"
	}
	if !machineARN.MatchString(stateMachineARN) {
		return Execution{}, &APIError{"InvalidArn", "Invalid Arn: '" + stateMachineARN + "'"}
	}
	if !validName.MatchString(name) {
		return Execution{}, &APIError{"InvalidName", "Invalid Name: '" + name + "'"}
	}
	var v any
	if err := json.Unmarshal([]byte(input), &v); err != nil {
		return Execution{}, &APIError{"InvalidExecutionInput", "Invalid State Machine Execution Input: must be JSON"}
	}
	s.mu.Lock()
	if !s.machines[unqualified(stateMachineARN)] {
		s.mu.Unlock()
		return Execution{}, &APIError{"StateMachineDoesNotExist", "State Machine Does Not Exist: '" + stateMachineARN + "'"}
	}
	arn := executionARN(stateMachineARN, name)
	if e := s.execs[arn]; e != nil {
		defer s.mu.Unlock()
		if e.Status == StatusRunning && e.Input == input {
			return *e, nil
		}
		return Execution{}, &APIError{"ExecutionAlreadyExists", "Execution Already Exists: '" + arn + "'"}
	}
	e := &Execution{ARN: arn, StateMachineARN: stateMachineARN, Name: name, Input: input, StartDate: s.now().UTC(), Status: StatusRunning}
	s.execs[arn] = e
	s.order = append(s.order, arn)
	started := *e
	s.mu.Unlock()

	if s.runner != nil {
		if err := s.runner.Start(started); err != nil {
			_ = s.Finish(arn, StatusFailed, "", "States.Runtime", err.Error())
		}
	}
	return started, nil
}

// DescribeExecution returns one execution.
func (s *Server) DescribeExecution(arn string) (Execution, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.execs[arn]
	if e == nil {
		return Execution{}, &APIError{"ExecutionDoesNotExist", "Execution Does Not Exist: '" + arn + "'"}
	}
	return *e, nil
}

// ServeHTTP dispatches on X-Amz-Target.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AWSStepFunctions.")
	if r.Method != http.MethodPost || !ok {
		writeError(w, &APIError{"UnknownOperationException", "expected POST with X-Amz-Target: AWSStepFunctions.<Operation>"})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeError(w, &APIError{"SerializationException", "unreadable body"})
		return
	}
	var in struct {
		StateMachineArn string  `json:"stateMachineArn"`
		ExecutionArn    string  `json:"executionArn"`
		Name            string  `json:"name"`
		Input           *string `json:"input"`
		StatusFilter    string  `json:"statusFilter"`
		Error           string  `json:"error"`
		Cause           string  `json:"cause"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		writeError(w, &APIError{"SerializationException", "body is not a JSON object"})
		return
	}
	var out any
	switch op {
	case "StartExecution":
		input := ""
		if in.Input != nil {
			input = *in.Input
		}
		var e Execution
		if e, err = s.StartExecution(in.StateMachineArn, in.Name, input); err == nil {
			out = map[string]any{"executionArn": e.ARN, "startDate": epoch(e.StartDate)}
		}
	case "DescribeExecution":
		var e Execution
		if e, err = s.DescribeExecution(in.ExecutionArn); err == nil {
			out = describe(e)
		}
	case "StopExecution":
		if err = s.Finish(in.ExecutionArn, StatusAborted, "", in.Error, in.Cause); err != nil {
			err = &APIError{"ExecutionDoesNotExist", "Execution Does Not Exist or is closed: '" + in.ExecutionArn + "'"}
		} else {
			e, _ := s.DescribeExecution(in.ExecutionArn)
			out = map[string]any{"stopDate": epoch(e.StopDate)}
		}
	case "ListExecutions":
		list := []map[string]any{}
		for _, e := range s.Executions() {
			if (in.StateMachineArn == "" || unqualified(e.StateMachineARN) == unqualified(in.StateMachineArn)) &&
				(in.StatusFilter == "" || e.Status == in.StatusFilter) {
				list = append(list, summary(e))
			}
		}
		sort.SliceStable(list, func(i, j int) bool { return list[i]["startDate"].(float64) > list[j]["startDate"].(float64) })
		out = map[string]any{"executions": list}
	default:
		err = &APIError{"UnknownOperationException", "parcours sfnapi does not implement " + op}
	}
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_ = json.NewEncoder(w).Encode(out)
}

func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

func summary(e Execution) map[string]any {
	m := map[string]any{
		"executionArn":    e.ARN,
		"stateMachineArn": unqualified(e.StateMachineARN),
		"name":            e.Name,
		"status":          e.Status,
		"startDate":       epoch(e.StartDate),
	}
	if !e.StopDate.IsZero() {
		m["stopDate"] = epoch(e.StopDate)
	}
	return m
}

func describe(e Execution) map[string]any {
	m := summary(e)
	m["input"] = e.Input
	if e.StateMachineARN != unqualified(e.StateMachineARN) {
		parts := strings.Split(e.StateMachineARN, ":")
		q := parts[len(parts)-1]
		if _, err := fmt.Sscan(q, new(uint64)); err == nil {
			m["stateMachineVersionArn"] = e.StateMachineARN
		} else {
			m["stateMachineAliasArn"] = e.StateMachineARN
		}
	}
	if e.Status == StatusSucceeded {
		m["output"] = e.Output
	}
	if e.Error != "" {
		m["error"] = e.Error
	}
	if e.Cause != "" {
		m["cause"] = e.Cause
	}
	return m
}

func writeError(w http.ResponseWriter, err error) {
	ae, ok := err.(*APIError)
	if !ok {
		ae = &APIError{"InternalFailure", "internal error"}
	}
	status := http.StatusBadRequest
	if ae.Code == "InternalFailure" {
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(status)
	ns := "com.amazonaws.swf.service.v2.model#"
	if ae.Code == "ValidationException" {
		ns = "com.amazon.coral.validate#" // model constraints, as AWS names them
	}
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": ns + ae.Code, "message": ae.Message})
}
