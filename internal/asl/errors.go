package asl

import "fmt"

// Error names of the States Language (AWS Step Functions "Error names").
//
// ErrParameterPathFailure and ErrIntrinsicFailure are names of the
// language that Step Functions never raises: "This error code is
// reserved for future use"; a path in a payload template that is not
// found and a failing intrinsic function are reported as States.Runtime
// (AWS Step Functions Developer Guide, "Handling errors in Step Functions
// workflows" — Error names, States.IntrinsicFailure and
// States.ParameterPathFailure:
// https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html).
// The engine never raises them either; they are kept so that a Catch
// naming them reads as the language defines it.
const (
	ErrAll                             = "States.ALL"
	ErrHeartbeatTimeout                = "States.HeartbeatTimeout"
	ErrTimeout                         = "States.Timeout"
	ErrTaskFailed                      = "States.TaskFailed"
	ErrPermissions                     = "States.Permissions"
	ErrResultPathMatchFailure          = "States.ResultPathMatchFailure"
	ErrParameterPathFailure            = "States.ParameterPathFailure"
	ErrBranchFailed                    = "States.BranchFailed"
	ErrNoChoiceMatched                 = "States.NoChoiceMatched"
	ErrIntrinsicFailure                = "States.IntrinsicFailure"
	ErrExceedToleratedFailureThreshold = "States.ExceedToleratedFailureThreshold"
	ErrItemReaderFailure               = "States.ItemReaderFailure"
	ErrResultWriterFailure             = "States.ResultWriterFailure"
	ErrRuntime                         = "States.Runtime"
	ErrDataLimitExceeded               = "States.DataLimitExceeded"
	// ErrExecutionAlreadyExists is returned by Engine.Start for a name in use
	// with a different input (the StartExecution API error).
	ErrExecutionAlreadyExists = "ExecutionAlreadyExists"
)

// Error is an error a state machine can match: Name is what ErrorEquals
// compares, Cause is the human-readable detail. Resolvers return *Error to
// raise a named error; any other error from a resolver becomes
// States.TaskFailed with the error text as cause.
type Error struct {
	Name  string
	Cause string

	// terminal marks an error no Retry or Catch handles, even one that
	// names it (see isTerminal).
	terminal bool
}

func (e *Error) Error() string {
	if e.Cause == "" {
		return e.Name
	}
	return e.Name + ": " + e.Cause
}

func newError(name, format string, args ...any) *Error {
	return &Error{Name: name, Cause: fmt.Sprintf(format, args...)}
}

// isTerminal reports whether an error ends the execution regardless of
// Retry and Catch, even a Retry or Catch that names it.
//
// States.Runtime always is. AWS ("Handling errors in Step Functions
// workflows", States.Runtime): "A States.Runtime error isn't retriable, and
// will always cause the execution to fail. A retry or catch on States.ALL
// won't catch States.Runtime errors". aws-local-stepfunctions agrees (its
// StatesRuntimeError is neither retryable nor catchable, whatever
// ErrorEquals says); the difftest case task_runtime_not_caught checks both.
//
// States.DataLimitExceeded is when the engine raises it for a state's output
// or for a state's input after Parameters (ItemSelector): the same page
// calls it "a terminal error that can't be caught by the States.ALL error
// type", and AWS fails the execution at once, without the state's exit
// (history recorded against AWS: PassStateEntered, then ExecutionFailed).
// A task's result over the limit is different: AWS reports it as the
// task's failure (TaskFailed, States.DataLimitExceeded) and a Catch on
// States.ALL catches it, against that sentence of its documentation
// (recorded against AWS; docs/asl-divergences.md#data-limit
// gives the reference). parcours does what AWS does.
func isTerminal(e *Error) bool {
	return e.terminal || e.Name == ErrRuntime
}

// matches reports whether an ErrorEquals list matches an error.
// States.ALL matches every error but the terminal ones. In a Task state,
// States.TaskFailed "acts as a wildcard that matches any known error name
// except for States.Timeout" (AWS Step Functions, Error names).
func matches(errorEquals []string, e *Error, isTask bool) bool {
	if isTerminal(e) {
		return false
	}
	name := e.Name
	for _, e := range errorEquals {
		switch {
		case e == name, e == ErrAll:
			return true
		case e == ErrTaskFailed && isTask && name != ErrTimeout:
			return true
		}
	}
	return false
}
