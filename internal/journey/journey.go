// Package journey is the journey language: it reads journeys/<name>/journey.yaml,
// validates it (every problem with file:line:column and a hint), and compiles
// it to an Amazon States Language definition for a STANDARD Step Functions
// state machine, plus the router's trigger manifest and the SAM resources.
// docs/journeys.md is the language reference.
package journey

import (
	"encoding/json"
	"time"

	"github.com/parcours/parcours/internal/asl"
	"github.com/parcours/parcours/internal/journey/contract"
	"github.com/parcours/parcours/internal/touchpoint"
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
	Policy     contract.Policy
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
