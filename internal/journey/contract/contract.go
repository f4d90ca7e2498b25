// Package contract is what compiled journeys, the router and the send
// function agree on at run time: the execution input the router starts
// every journey with, the send function's request, response and error
// names, send policies, re-entry modes and the router's trigger manifest
// (statemachines/triggers.json). The journey compiler writes it; the
// Lambdas read it. It imports nothing heavy (no YAML, no compiler, no
// templates), so every function can link it and stay small.
package contract

import (
	"fmt"
	"strconv"

	"github.com/parcours/parcours/internal/asl"
	"github.com/parcours/parcours/internal/touchpoint"
)

// ExecutionInput is what the router starts every journey execution with.
type ExecutionInput struct {
	Journey    string           `json:"journey"`
	ProfileKey string           `json:"profile_key"` // normalized email
	TriggerKey string           `json:"trigger_key"` // value of the journey's trigger key
	Trigger    touchpoint.Event `json:"trigger"`
}

// SendRequest is the payload a send step gives the send function.
type SendRequest struct {
	// Action is empty for a send; ActionResolveWait asks for the end of a
	// wait until a time of day (Until) in the profile's time zone.
	Action     string           `json:"action,omitempty"`
	Journey    string           `json:"journey"`
	Step       string           `json:"step"`
	Template   string           `json:"template"`
	Subject    string           `json:"subject"`
	Policy     Policy           `json:"policy"`
	Data       map[string]any   `json:"data,omitempty"`
	Execution  string           `json:"execution"`
	ProfileKey string           `json:"profile_key"`
	Trigger    touchpoint.Event `json:"trigger"`
	// NextWaitSeconds is the wait that follows this send in the journey (0
	// when none): the answer's ResumeAt is now + NextWaitSeconds, so the
	// state machine's next Wait needs no Choice of its own.
	NextWaitSeconds int64 `json:"next_wait_seconds"`
	// Until is the time of day ("09:00") of a resolve_wait action.
	Until string `json:"until,omitempty"`
}

// ActionResolveWait is the send function's action for wait {until: HH:MM}.
const ActionResolveWait = "resolve_wait"

// Send statuses the send function answers with.
const (
	StatusSent     = "sent"
	StatusSkipped  = "skipped"
	StatusDeferred = "deferred"
)

// MaxDeferrals is how often the send function may defer one step of one
// execution before it must answer skipped (reason "deferred_too_often").
// The compiler's history-size check relies on it.
const MaxDeferrals = 10

// SendResponse is the send function's answer. NotBefore is set (RFC 3339)
// when Status is "deferred". ResumeAt (RFC 3339 UTC) is always set: where
// the state machine's Wait after the send ends — NotBefore when deferred,
// else the answer's time + the request's NextWaitSeconds. A resolve_wait
// action answers only ResumeAt.
type SendResponse struct {
	Status    string `json:"status,omitempty"`
	Reason    string `json:"reason,omitempty"`
	NotBefore string `json:"not_before,omitempty"`
	ResumeAt  string `json:"resume_at,omitempty"`
}

// Error names a journey's state machine matches. The send function returns
// them as the Lambda error type (aws-lambda-go: return a
// messages.InvokeResponse_Error value with this Type).
const (
	ErrTemplate = "Parcours.TemplateError" // a template failed to render: caught, the execution fails visibly
	// ErrRetryable is a failure that may pass when the step is tried again
	// (storage or SES unavailable, throttled): nothing was sent and the step
	// is left retryable. The send Task retries it with backoff.
	ErrRetryable = "Parcours.Retryable"
	// ErrBadRequest is a payload missing a required field: a compiler bug,
	// never retried.
	ErrBadRequest = "Parcours.BadRequest"
	ErrSendFailed = "Parcours.SendFailed" // error of the Unexpected send reply Fail state
)

// Consent requirements of a journey's send policy.
const (
	ConsentSubscribed = "subscribed" // marketing: the profile must be subscribed
	ConsentNone       = "none"       // service messages: only suppression applies
)

// Policy is how the send function treats a journey's messages.
type Policy struct {
	Consent      string `json:"consent"`       // "subscribed" or "none"
	FrequencyCap bool   `json:"frequency_cap"` // counts against the shared frequency cap
	QuietHours   bool   `json:"quiet_hours"`   // deferred out of quiet hours in the profile's time zone
}

// Re-entry modes.
const (
	ReEntryAlways = "always" // any new trigger key starts a new execution
	ReEntryNever  = "never"  // a profile enters at most once, ever
	ReEntryAfter  = "after"  // at most once per window per profile
)

// Manifest is statemachines/triggers.json: what the router needs to start
// journeys. Paths and filters are over the ExecutionInput the router builds.
type Manifest struct {
	Comment  string                       `json:"comment"`
	Journeys []ManifestJourney            `json:"journeys"`
	ByEvent  map[touchpoint.Type][]string `json:"by_event"` // event type → journey names, in name order
}

// ManifestJourney is one journey's trigger.
type ManifestJourney struct {
	Journey      string            `json:"journey"`
	StateMachine string            `json:"state_machine"` // logical id in template.yaml
	Events       []touchpoint.Type `json:"events"`
	// TriggerKeyPath is a JSONPath over the execution input, e.g.
	// "$.trigger.checkout.id".
	TriggerKeyPath string `json:"trigger_key_path"`
	// Filter is a Choice rule (without Next) over the execution input; the
	// journey starts only when it matches. It always tests the trigger key's
	// presence.
	Filter *asl.ChoiceRule `json:"filter"`
	// ReEntry is "always", "never" or "after"; ReEntrySeconds is the window
	// for "after".
	ReEntry        string `json:"re_entry"`
	ReEntrySeconds int64  `json:"re_entry_seconds,omitempty"`
	Policy         Policy `json:"send_policy"`
}

// ParseTimeOfDay reads "HH:MM" (24-hour clock) as minutes after midnight.
func ParseTimeOfDay(s string) (int, error) {
	if len(s) != 5 || s[2] != ':' || !isDigits(s[:2]) || !isDigits(s[3:]) {
		return 0, fmt.Errorf("time of day %q: want HH:MM, e.g. 09:00", s)
	}
	h, err1 := strconv.Atoi(s[:2])
	m, err2 := strconv.Atoi(s[3:])
	if err1 != nil || err2 != nil || h < 0 || h > 23 || m < 0 || m > 59 {
		return 0, fmt.Errorf("time of day %q: want HH:MM from 00:00 to 23:59", s)
	}
	return h*60 + m, nil
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
