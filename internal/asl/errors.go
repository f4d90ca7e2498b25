package asl

import "fmt"

// Error names of the States Language (AWS Step Functions "Error names").
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

// terminal reports whether an error ends the execution regardless of Retry
// and Catch. AWS: "A retry or catch on States.ALL won't catch States.Runtime
// errors"; States.DataLimitExceeded is terminal too.
func terminal(name string) bool {
	return name == ErrRuntime || name == ErrDataLimitExceeded
}

// matches reports whether an ErrorEquals list matches an error name.
// States.ALL matches every error but the terminal ones. In a Task state,
// States.TaskFailed "acts as a wildcard that matches any known error name
// except for States.Timeout" (AWS Step Functions, Error names).
func matches(errorEquals []string, name string, isTask bool) bool {
	if terminal(name) {
		return false
	}
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
