// Package journey is the journey language: it reads journeys/<name>/journey.yaml,
// validates it (every problem with file:line:column and a hint), and compiles
// it to an Amazon States Language definition for a STANDARD Step Functions
// state machine, plus the router's trigger manifest and the SAM resources.
// docs/journeys.md is the language reference.
package journey

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

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

// Journey is a parsed, validated journey.
type Journey struct {
	Name        string
	Description string
	Dir         string // folder holding journey.yaml and the templates
	File        string // path of journey.yaml, as given

	Events     []touchpoint.Type
	TriggerKey string          // dotted path in the event, e.g. "checkout.id"
	Filter     *asl.ChoiceRule // over the execution input; nil: every event of the types
	ReEntry    string
	ReEntryFor time.Duration
	Policy     Policy
	Exits      []Exit
	Steps      []*Step

	numbers []string // decimal trigger fields compared as numbers (dotted names)
}

// Exit is one named exit_when condition.
type Exit struct {
	Name string
	Rule asl.ChoiceRule
	uses uses
}

// Step kinds.
const (
	KindWait  = "wait"
	KindSend  = "send"
	KindIf    = "if"
	KindSplit = "split"
	KindExit  = "exit"
)

// Step is one step of a journey.
type Step struct {
	Kind string
	ID   string // send: step id; split: split id; if: label; exit: reason
	Line int
	Col  int

	Wait     time.Duration // wait
	WaitText string        // wait, as written ("48h")
	Until    string        // wait: a time of day ("09:00") in the profile's time zone, instead of a duration

	Template string         // send
	Subject  string         // send
	Data     map[string]any // send: extra template data (.Data)

	Cond       asl.ChoiceRule // if
	condUses   uses
	Then, Else []*Step

	Branches []*Branch // split
}

// Branch is one arm of a split.
type Branch struct {
	Name    string
	Percent int
	Holdout bool
	Steps   []*Step
}

// uses records which items a condition reads.
type uses struct{ profile, order bool }

func (u uses) or(v uses) uses { return uses{u.profile || v.profile, u.order || v.order} }

// jsonNumber formats a literal number for a Choice rule.
func jsonNumber(s string) *json.Number { n := json.Number(s); return &n }

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
