package devstack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go"

	"github.com/parcours/parcours/internal/asl"
	"github.com/parcours/parcours/internal/sfnapi"
)

// Task resources the dev stack resolves.
const (
	resourceInvoke  = "arn:aws:states:::lambda:invoke"
	resourceGetItem = "arn:aws:states:::dynamodb:getItem"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// machine is one state machine the dev stack runs.
type machine struct {
	res *StateMachineResource
	def *asl.StateMachine
}

// loadMachine reads the definition, applies DefinitionSubstitutions the way
// CloudFormation does (${Key} replaced in the JSON text) and validates it.
func loadMachine(dir string, res *StateMachineResource) (*machine, error) {
	file := filepath.Join(dir, filepath.FromSlash(res.DefinitionURI))
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("state machine %s: DefinitionUri %s: %w", res.LogicalID, res.DefinitionURI, errors.Unwrap(err))
	}
	text := string(data)
	for k, v := range res.Substitutions {
		b, _ := json.Marshal(v)
		text = strings.ReplaceAll(text, "${"+k+"}", string(b[1:len(b)-1]))
	}
	def, err := asl.Parse([]byte(text))
	if err != nil {
		return nil, fmt.Errorf("state machine %s (%s): %w", res.LogicalID, res.DefinitionURI, err)
	}
	if err := asl.Validate(def); err != nil {
		return nil, fmt.Errorf("state machine %s (%s): %w", res.LogicalID, res.DefinitionURI, err)
	}
	return &machine{res: res, def: def}, nil
}

// Invoke resolves a Task state: the Lambda integration calls a function of
// the stack in-process, the DynamoDB integration calls the stack's
// DynamoDB endpoint through the SDK. It runs under the engine's lock and
// never calls the engine.
func (s *Stack) Invoke(ctx context.Context, call asl.TaskCall) (any, error) {
	in, _ := asl.Plain(call.Input).(map[string]any)
	switch {
	case call.Resource == resourceInvoke:
		name, _ := in["FunctionName"].(string)
		payload, err := json.Marshal(in["Payload"])
		if err != nil {
			return nil, fmt.Errorf("lambda:invoke payload: %w", err)
		}
		out, err := s.invokeFunction(ctx, name, payload)
		if err != nil {
			return nil, err
		}
		return map[string]any{"ExecutedVersion": "$LATEST", "Payload": out, "StatusCode": json.Number("200")}, nil
	case strings.HasPrefix(call.Resource, "arn:aws:lambda:"):
		payload, err := json.Marshal(call.Input)
		if err != nil {
			return nil, fmt.Errorf("lambda payload: %w", err)
		}
		return s.invokeFunction(ctx, call.Resource, payload)
	case call.Resource == resourceGetItem:
		return s.getItem(ctx, in)
	}
	return nil, &asl.Error{Name: "States.Runtime", Cause: fmt.Sprintf("the dev stack does not run Task resource %q", call.Resource)}
}

// invokeFunction runs a function with a JSON payload as Lambda does and
// returns its decoded answer; a function error becomes the error the
// Lambda integration raises (its errorType as the name).
func (s *Stack) invokeFunction(ctx context.Context, name string, payload []byte) (any, error) {
	f := s.functionByName(name)
	if f == nil || f.handler == nil {
		return nil, &asl.Error{Name: "Lambda.ResourceNotFoundException", Cause: "Function not found: " + name}
	}
	out, err := f.handler.Invoke(ctx, payload)
	if err != nil {
		typ, msg := lambdaErrorType(err), err.Error()
		var ie messages.InvokeResponse_Error
		if errors.As(err, &ie) {
			typ, msg = ie.Type, ie.Message
		}
		cause, _ := json.Marshal(map[string]any{"errorMessage": msg, "errorType": typ, "stackTrace": []string{}})
		return nil, &asl.Error{Name: typ, Cause: string(cause)}
	}
	v, err := decodeJSON(out)
	if err != nil {
		return nil, &asl.Error{Name: "Lambda.Unknown", Cause: "function answered invalid JSON"}
	}
	return v, nil
}

// lambdaErrorType is the errorType the Go Lambda runtime reports for err.
func lambdaErrorType(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Ptr {
		return t.Elem().Name()
	}
	return t.Name()
}

func (s *Stack) getItem(ctx context.Context, in map[string]any) (any, error) {
	table, _ := in["TableName"].(string)
	keyIn, _ := in["Key"].(map[string]any)
	key, err := itemFromJSON(keyIn)
	if err != nil || table == "" {
		return nil, &asl.Error{Name: "States.Runtime", Cause: fmt.Sprintf("dynamodb:getItem parameters: TableName and Key are required (%v)", err)}
	}
	gi := &dynamodb.GetItemInput{TableName: aws.String(table), Key: key}
	if b, ok := in["ConsistentRead"].(bool); ok {
		gi.ConsistentRead = aws.Bool(b)
	}
	if p, ok := in["ProjectionExpression"].(string); ok {
		gi.ProjectionExpression = aws.String(p)
	}
	if names, ok := in["ExpressionAttributeNames"].(map[string]any); ok {
		gi.ExpressionAttributeNames = map[string]string{}
		for k, v := range names {
			gi.ExpressionAttributeNames[k], _ = v.(string)
		}
	}
	out, err := s.ddb.GetItem(ctx, gi)
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			return nil, &asl.Error{Name: "DynamoDB." + ae.ErrorCode(), Cause: ae.ErrorMessage()}
		}
		return nil, fmt.Errorf("dynamodb:getItem: %w", err)
	}
	if out.Item == nil {
		return map[string]any{}, nil
	}
	return map[string]any{"Item": itemToJSON(out.Item)}, nil
}

// runner starts sfnapi executions on the ASL engine.
type runner struct{ s *Stack }

// Start runs the execution until it waits or ends (the engine runs each
// execution's next states at once; StartExecution answers after that).
func (r runner) Start(e sfnapi.Execution) error {
	s := r.s
	m := s.machineByARN(e.StateMachineARN)
	if m == nil {
		return fmt.Errorf("no definition for %s", e.StateMachineARN)
	}
	input, err := decodeJSON([]byte(e.Input))
	if err != nil {
		return fmt.Errorf("execution input: %w", err)
	}
	s.trackMu.Lock()
	s.running[e.Name] = e.ARN
	s.trackMu.Unlock()
	if _, err := s.engine.StartNamed(s.ctx, m.def, m.res.Name, e.Name, input); err != nil {
		s.trackMu.Lock()
		delete(s.running, e.Name)
		s.trackMu.Unlock()
		return err
	}
	// StartNamed ran only this execution (other runs move on timers only):
	// checking it alone keeps a start O(1) with 30,000 executions waiting.
	s.trackMu.Lock()
	s.syncExecution(e.Name, e.ARN)
	s.trackMu.Unlock()
	return nil
}

// syncFinished closes, in the Step Functions endpoint, every execution the
// engine has finished.
func (s *Stack) syncFinished() {
	s.trackMu.Lock()
	defer s.trackMu.Unlock()
	for name, arn := range s.running {
		s.syncExecution(name, arn)
	}
}

// syncExecution closes one execution in the Step Functions endpoint if the
// engine has finished it. trackMu is held.
func (s *Stack) syncExecution(name, arn string) {
	x, ok := s.engine.Snapshot(name)
	if !ok || x.Status == asl.StatusRunning {
		return
	}
	out := ""
	if x.Status == asl.StatusSucceeded {
		b, err := json.Marshal(x.Output)
		if err == nil {
			out = string(b)
		}
	}
	// An execution stopped through StopExecution is closed already.
	_ = s.sfn.Finish(arn, x.Status, out, x.Error, x.Cause)
	delete(s.running, name)
}

// sfnHandler serves the Step Functions API: sfnapi's actions, with
// StopExecution also stopping the engine's execution, and
// GetExecutionHistory answered from the engine's history.
func (s *Stack) sfnHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AWSStepFunctions.")
		switch op {
		case "GetExecutionHistory":
			s.getExecutionHistory(w, r)
			return
		case "StopExecution":
			body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
			if err != nil {
				sfnError(w, "SerializationException", "unreadable body")
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			rec := httptest.NewRecorder()
			s.sfn.ServeHTTP(rec, r)
			if rec.Code == http.StatusOK {
				var in struct{ ExecutionArn, Error, Cause string }
				_ = json.Unmarshal(body, &in)
				name := in.ExecutionArn[strings.LastIndex(in.ExecutionArn, ":")+1:]
				_ = s.engine.Stop(name, in.Error, in.Cause)
				s.trackMu.Lock()
				delete(s.running, name)
				s.trackMu.Unlock()
			}
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
			return
		}
		s.sfn.ServeHTTP(w, r)
	})
}

func (s *Stack) getExecutionHistory(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ExecutionArn string `json:"executionArn"`
		MaxResults   int    `json:"maxResults"`
		NextToken    string `json:"nextToken"`
		ReverseOrder bool   `json:"reverseOrder"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		sfnError(w, "SerializationException", "body is not a JSON object")
		return
	}
	if _, err := s.sfn.DescribeExecution(in.ExecutionArn); err != nil {
		sfnError(w, "ExecutionDoesNotExist", "Execution Does Not Exist: '"+in.ExecutionArn+"'")
		return
	}
	x := s.engine.Get(in.ExecutionArn[strings.LastIndex(in.ExecutionArn, ":")+1:])
	var evs []asl.HistoryEvent
	if x != nil {
		evs = x.History()
	}
	if in.ReverseOrder {
		for i, j := 0, len(evs)-1; i < j; i, j = i+1, j-1 {
			evs[i], evs[j] = evs[j], evs[i]
		}
	}
	start := 0
	if in.NextToken != "" {
		n, err := strconv.Atoi(in.NextToken)
		if err != nil || n < 0 || n > len(evs) {
			sfnError(w, "InvalidToken", "Invalid Token: '"+in.NextToken+"'")
			return
		}
		start = n
	}
	end := len(evs)
	if in.MaxResults > 0 && start+in.MaxResults < end {
		end = start + in.MaxResults
	}
	// The AWS JSON 1.0 protocol writes timestamps as epoch seconds (a
	// number), not as the RFC 3339 text asl.HistoryEvent marshals to.
	wire := make([]map[string]any, 0, end-start)
	for _, ev := range evs[start:end] {
		m := map[string]any{
			"id":              ev.ID,
			"previousEventId": ev.PreviousEventID,
			"timestamp":       json.Number(strconv.FormatFloat(float64(ev.Timestamp.UnixMilli())/1000, 'f', 3, 64)),
			"type":            ev.Type,
		}
		if ev.DetailsKey != "" {
			m[ev.DetailsKey] = ev.Details
		}
		wire = append(wire, m)
	}
	out := map[string]any{"events": wire}
	if end < len(evs) {
		out["nextToken"] = strconv.Itoa(end)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_ = json.NewEncoder(w).Encode(out)
}

func sfnError(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazonaws.swf.service.v2.model#" + code, "message": msg})
}
