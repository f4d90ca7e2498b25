// Package simulate runs a journey against a scenario — a starting profile
// and timed events — in virtual time on the in-process dev stack
// (internal/devstack), so every decision (the router's triggers and
// re-entry, the state machine's waits and exits, the send gate's consent,
// quiet hours and frequency cap) is the product's own, and reports what
// happened as a timeline. `parcours simulate` is its command;
// docs/journeys.md ("Simulate") documents the scenario format.
package simulate

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/parcours/parcours/internal/journey"
	"github.com/parcours/parcours/internal/touchpoint"
)

// DefaultStart is t=0 when a scenario sets no start: a Monday, 08:00 UTC
// (10:00 in Paris, 04:00 in New York).
var DefaultStart = time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)

// DefaultSince is how long before t=0 a seeded profile was created.
const DefaultSince = 30 * 24 * time.Hour

// MaxOffset bounds event offsets and --until: a STANDARD execution lasts at
// most a year, and a scenario is about one journey.
const MaxOffset = 400 * 24 * time.Hour

// Scenario is one parsed scenario file.
type Scenario struct {
	File        string
	Name        string
	Description string
	// Start is the virtual time of t=0.
	Start   time.Time
	Profile Profile
	Events  []Event
	Expect  *Expect
}

// Profile is the customer at t=0.
type Profile struct {
	Email     string
	FirstName string
	LastName  string
	Timezone  string
	Tags      []string
	// Consent is the email marketing consent state (default subscribed).
	Consent string
	// Orders is how many orders were placed when the profile was created.
	Orders int
	// Since is how long before t=0 the profile was created (and its
	// orders placed).
	Since time.Duration
	// New means the profile does not exist before the first event.
	New bool
}

// Event is one timed event: a Standard Webhooks body (docs/events.md)
// without occurred_at, posted at t=At.
type Event struct {
	At   time.Duration
	Type touchpoint.Type
	// Body is the webhook body's fields besides type and occurred_at.
	Body map[string]any
	// Line and Column locate the event in the file.
	Line, Column int
}

// Expect is what the scenario's test asserts; simulate prints PASS/FAIL.
type Expect struct {
	// Emails are the steps the journey sent, in order (nil: not checked).
	Emails []string
	// Exit is how each execution of the journey ended ("Done", an exit
	// name, "failed: <error>", "running"), joined with ", ".
	Exit *string
	// Deferred are the steps deferred at least once, in order.
	Deferred []string
	// Skipped are the steps skipped, as "<step>: <reason>".
	Skipped []string
}

// Error is a scenario file error at a position.
type Error struct {
	File         string
	Line, Column int
	Msg          string
	Hint         string
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	if e.Hint != "" {
		s += " (hint: " + e.Hint + ")"
	}
	return s
}

// Load reads and parses a scenario file.
func Load(file string) (*Scenario, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	return Parse(file, b)
}

// consentStates are the states a profile's consent may start in.
var consentStates = []string{touchpoint.ConsentSubscribed, touchpoint.ConsentNotSubscribed, touchpoint.ConsentUnsubscribed, touchpoint.ConsentPending}

// eventFields are the Standard Webhooks body fields a scenario event may
// set (docs/events.md), besides at and type.
var eventFields = []string{"email", "customer_id", "shop", "customer", "consent", "checkout", "order", "product", "review", "touch", "properties"}

// Parse parses a scenario. Errors name the file, line and column.
func Parse(file string, data []byte) (*Scenario, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(file, err)
	}
	p := &parser{file: file}
	if len(doc.Content) == 0 {
		return nil, &Error{File: file, Line: 1, Column: 1, Msg: "empty scenario", Hint: "write name, profile and events"}
	}
	sc := &Scenario{File: file, Start: DefaultStart}
	root := doc.Content[0]
	if err := p.mapping(root, "scenario", []string{"name", "description", "start", "profile", "events", "expect"}, func(k, v *yaml.Node) error {
		var err error
		switch k.Value {
		case "name":
			sc.Name, err = p.str(v, "name")
		case "description":
			sc.Description, err = p.str(v, "description")
		case "start":
			var s string
			if s, err = p.str(v, "start"); err == nil {
				sc.Start, err = time.Parse(time.RFC3339, s)
				if err != nil {
					err = p.errAt(v, fmt.Sprintf("start %q is not an RFC 3339 time", s), "e.g. 2026-06-01T20:00:00+02:00")
				}
				sc.Start = sc.Start.UTC()
			}
		case "profile":
			err = p.profile(v, &sc.Profile)
		case "events":
			sc.Events, err = p.events(v)
		case "expect":
			sc.Expect, err = p.expect(v)
		}
		return err
	}); err != nil {
		return nil, err
	}
	for _, req := range []struct {
		ok   bool
		name string
	}{{sc.Name != "", "name"}, {sc.Profile.Email != "", "profile"}, {len(sc.Events) > 0, "events"}} {
		if !req.ok {
			return nil, &Error{File: file, Line: root.Line, Column: root.Column, Msg: "missing " + req.name, Hint: "a scenario has name, profile (with email) and events"}
		}
	}
	return sc, nil
}

type parser struct{ file string }

func (p *parser) errAt(n *yaml.Node, msg, hint string) error {
	return &Error{File: p.file, Line: n.Line, Column: n.Column, Msg: msg, Hint: hint}
}

// mapping walks a mapping node, rejecting unknown and repeated keys.
func (p *parser) mapping(n *yaml.Node, what string, keys []string, each func(k, v *yaml.Node) error) error {
	if n.Kind != yaml.MappingNode {
		return p.errAt(n, what+" must be a mapping", "")
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !slices.Contains(keys, k.Value) {
			hint := "one of " + strings.Join(keys, ", ")
			if c := journey.Closest(k.Value, keys); c != "" {
				hint = "did you mean " + c + "?"
			}
			return p.errAt(k, fmt.Sprintf("unknown field %q in %s", k.Value, what), hint)
		}
		if seen[k.Value] {
			return p.errAt(k, fmt.Sprintf("%s repeated in %s", k.Value, what), "")
		}
		seen[k.Value] = true
		if err := each(k, v); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) str(n *yaml.Node, what string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", p.errAt(n, what+" must be a string", "")
	}
	return n.Value, nil
}

func (p *parser) strList(n *yaml.Node, what string) ([]string, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, p.errAt(n, what+" must be a list", "e.g. ["+"a, b]")
	}
	out := []string{}
	for _, e := range n.Content {
		s, err := p.str(e, what+" entry")
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (p *parser) profile(n *yaml.Node, pr *Profile) error {
	pr.Consent = touchpoint.ConsentSubscribed
	pr.Since = DefaultSince
	err := p.mapping(n, "profile", []string{"email", "first_name", "last_name", "timezone", "tags", "consent", "orders", "since", "new"}, func(k, v *yaml.Node) error {
		var err error
		switch k.Value {
		case "email":
			pr.Email, err = p.str(v, "email")
			if err == nil && !strings.Contains(pr.Email, "@") {
				err = p.errAt(v, fmt.Sprintf("email %q is not an address", pr.Email), "")
			}
		case "first_name":
			pr.FirstName, err = p.str(v, "first_name")
		case "last_name":
			pr.LastName, err = p.str(v, "last_name")
		case "timezone":
			pr.Timezone, err = p.str(v, "timezone")
			if err == nil {
				if _, lerr := time.LoadLocation(pr.Timezone); lerr != nil || pr.Timezone == "Local" || pr.Timezone == "" {
					err = p.errAt(v, fmt.Sprintf("timezone %q is not an IANA time zone name", pr.Timezone), "e.g. Europe/Paris")
				}
			}
		case "tags":
			pr.Tags, err = p.strList(v, "tags")
		case "consent":
			pr.Consent, err = p.str(v, "consent")
			if err == nil && !slices.Contains(consentStates, pr.Consent) {
				err = p.errAt(v, fmt.Sprintf("consent %q is not a consent state", pr.Consent), "one of "+strings.Join(consentStates, ", "))
			}
		case "orders":
			pr.Orders, err = strconv.Atoi(v.Value)
			if err != nil || v.Kind != yaml.ScalarNode || pr.Orders < 0 || pr.Orders > 50 {
				err = p.errAt(v, fmt.Sprintf("orders %q is not a count from 0 to 50", v.Value), "")
			}
		case "since":
			pr.Since, err = p.duration(v, "since")
			if err == nil && pr.Since <= 0 {
				err = p.errAt(v, "since must be positive", "e.g. 30d")
			}
		case "new":
			if v.Kind != yaml.ScalarNode || (v.Value != "true" && v.Value != "false") {
				return p.errAt(v, "new must be true or false", "")
			}
			pr.New = v.Value == "true"
		}
		return err
	})
	if err != nil {
		return err
	}
	if pr.Email == "" {
		return p.errAt(n, "profile has no email", "")
	}
	if pr.New && pr.Orders > 0 {
		return p.errAt(n, "a new profile has no orders", "remove orders, or new")
	}
	return nil
}

var durRE = regexp.MustCompile(`^(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?$`)

// ParseOffset reads an offset or duration: 0s, 90m, 6h, 3d, 2w, 1d12h.
func ParseOffset(s string) (time.Duration, error) {
	if s == "" || !durRE.MatchString(s) {
		return 0, fmt.Errorf("%q is not a duration", s)
	}
	units := map[byte]time.Duration{'w': 7 * 24 * time.Hour, 'd': 24 * time.Hour, 'h': time.Hour, 'm': time.Minute, 's': time.Second}
	var d time.Duration
	num := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			num = num*10 + int(c-'0')
			if num > 1e7 {
				return 0, fmt.Errorf("%q is too long", s)
			}
			continue
		}
		d += time.Duration(num) * units[c]
		num = 0
	}
	if d > MaxOffset {
		return 0, fmt.Errorf("%q is more than %s", s, FormatOffset(MaxOffset))
	}
	return d, nil
}

func (p *parser) duration(n *yaml.Node, what string) (time.Duration, error) {
	if n.Kind != yaml.ScalarNode {
		return 0, p.errAt(n, what+" must be a duration", "e.g. 0s, 90m, 6h, 3d, 2w or 1d12h")
	}
	d, err := ParseOffset(n.Value)
	if err != nil {
		return 0, p.errAt(n, fmt.Sprintf("%s: %v", what, err), "e.g. 0s, 90m, 6h, 3d, 2w or 1d12h; at most 400d")
	}
	return d, nil
}

func (p *parser) events(n *yaml.Node) ([]Event, error) {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		return nil, p.errAt(n, "events must be a non-empty list", "- at: 0s\n    type: checkout_started")
	}
	types := make([]string, len(touchpoint.Types))
	for i, t := range touchpoint.Types {
		types[i] = string(t)
	}
	var out []Event
	for i, en := range n.Content {
		ev := Event{Line: en.Line, Column: en.Column, Body: map[string]any{}}
		var atNode, typeNode *yaml.Node
		err := p.mapping(en, fmt.Sprintf("event %d", i+1), append([]string{"at", "type"}, eventFields...), func(k, v *yaml.Node) error {
			switch k.Value {
			case "at":
				atNode = v
				d, err := p.duration(v, "at")
				ev.At = d
				return err
			case "type":
				typeNode = v
				s, err := p.str(v, "type")
				if err != nil {
					return err
				}
				if !slices.Contains(types, s) {
					hint := "one of " + strings.Join(types, ", ")
					if c := journey.Closest(s, types); c != "" {
						hint = "did you mean " + c + "?"
					}
					return p.errAt(v, fmt.Sprintf("unknown event type %q", s), hint)
				}
				ev.Type = touchpoint.Type(s)
				return nil
			}
			var val any
			if err := v.Decode(&val); err != nil {
				return p.errAt(v, fmt.Sprintf("%s: %v", k.Value, err), "")
			}
			ev.Body[k.Value] = jsonable(val)
			return nil
		})
		if err != nil {
			return nil, err
		}
		if atNode == nil || typeNode == nil {
			return nil, p.errAt(en, fmt.Sprintf("event %d needs at and type", i+1), "- at: 0s\n    type: checkout_started")
		}
		if len(out) > 0 && ev.At < out[len(out)-1].At {
			return nil, p.errAt(atNode, fmt.Sprintf("event %d at %s comes before event %d at %s", i+1, FormatOffset(ev.At), i, FormatOffset(out[len(out)-1].At)), "list events in time order")
		}
		if err := checkBody(ev); err != nil {
			return nil, p.errAt(en, fmt.Sprintf("event %d (%s): %v", i+1, ev.Type, err), "docs/events.md lists the fields of a generic event")
		}
		out = append(out, ev)
	}
	return out, nil
}

// jsonable turns YAML-decoded maps into JSON-encodable ones.
func jsonable(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = jsonable(e)
		}
		return v
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[fmt.Sprint(k)] = jsonable(e)
		}
		return m
	case []any:
		for i, e := range v {
			v[i] = jsonable(e)
		}
		return v
	case time.Time:
		return v.Format(time.RFC3339)
	}
	return v
}

// checkBody decodes the event as the Standard Webhooks source will, at an
// arbitrary time and for a stand-in address, so a field the ingest route
// would reject is reported against the scenario file before anything runs.
func checkBody(ev Event) error {
	body, err := webhookBody(ev, "check@example.com", DefaultStart)
	if err != nil {
		return err
	}
	std, err := touchpoint.NewStandard(touchpoint.DevStandardSecret, time.Now)
	if err != nil {
		return err
	}
	_, err = std.Decode(touchpoint.Request{Headers: map[string][]string{"Webhook-Id": {"msg_check"}}, Body: body})
	var ie *touchpoint.InputError
	if errors.As(err, &ie) {
		return ie
	}
	return err
}

func (p *parser) expect(n *yaml.Node) (*Expect, error) {
	ex := &Expect{}
	err := p.mapping(n, "expect", []string{"emails", "exit", "deferred", "skipped"}, func(k, v *yaml.Node) error {
		var err error
		switch k.Value {
		case "emails":
			ex.Emails, err = p.strList(v, "emails")
		case "deferred":
			ex.Deferred, err = p.strList(v, "deferred")
		case "skipped":
			ex.Skipped, err = p.strList(v, "skipped")
		case "exit":
			var s string
			s, err = p.str(v, "exit")
			ex.Exit = &s
		}
		return err
	})
	return ex, err
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError turns a YAML syntax error into file:line:column.
func yamlError(file string, err error) error {
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: file, Line: line, Column: 1, Msg: "invalid YAML: " + m[2]}
	}
	return &Error{File: file, Line: 1, Column: 1, Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
}

// FormatOffset writes an offset from t=0: "0s", "4h", "1d12h", "60d".
func FormatOffset(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	var b strings.Builder
	b.WriteString(sign)
	for _, u := range []struct {
		unit string
		d    time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}} {
		if n := d / u.d; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.unit)
			d -= n * u.d
		}
	}
	return b.String()
}
