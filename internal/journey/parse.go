package journey

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/parcours/parcours/internal/journey/contract"
	"github.com/parcours/parcours/internal/touchpoint"
)

// FileName is the journey file in each journey folder.
const FileName = "journey.yaml"

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// LoadAll reads and validates every journeys/<name>/journey.yaml under root,
// in name order. All problems of all journeys come back together.
func LoadAll(root string) ([]*Journey, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("read journeys: %w", err)
	}
	var js []*Journey
	var all Diagnostics
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(root, e.Name(), FileName)); err != nil {
			continue
		}
		j, err := Load(filepath.Join(root, e.Name()))
		if ds, ok := err.(Diagnostics); ok {
			all = append(all, ds...)
			continue
		}
		if err != nil {
			return nil, err
		}
		js = append(js, j)
	}
	if len(all) > 0 {
		return nil, all.sorted()
	}
	return js, nil
}

// Load reads and validates one journey folder. Problems in the journey come
// back as Diagnostics; an unreadable file is a plain error.
func Load(dir string) (*Journey, error) {
	file := filepath.Join(dir, FileName)
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read journey: %w", err)
	}
	j, ds := Parse(file, data, func(name string) bool {
		_, err := os.Stat(filepath.Join(dir, name))
		return err == nil
	})
	if len(ds) > 0 {
		return nil, ds.sorted()
	}
	return j, nil
}

// Parse parses journey.yaml's content. file names it in diagnostics and its
// folder is the journey's name; exists reports whether a template file exists
// in the journey's folder.
func Parse(file string, data []byte, exists func(name string) bool) (*Journey, Diagnostics) {
	p := &parser{r: reporter{file: file}, exists: exists, ids: map[string]*yaml.Node{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line := 1
		msg := err.Error()
		if _, err := fmt.Sscanf(msg, "yaml: line %d:", &line); err == nil {
			msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
			msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
		}
		p.r.diags = append(p.r.diags, Diagnostic{File: file, Line: line, Column: 1, Msg: "invalid YAML: " + msg, Hint: "check indentation and quoting"})
		return nil, p.r.diags
	}
	if len(doc.Content) == 0 {
		p.r.at(&doc, "start from one of the journeys in journeys/", "empty journey file")
		return nil, p.r.diags
	}
	j := &Journey{Dir: filepath.Dir(file), File: file, ReEntry: contract.ReEntryAlways,
		Policy: contract.Policy{Consent: contract.ConsentSubscribed, FrequencyCap: true, QuietHours: true}}
	p.j = j
	p.journey(doc.Content[0])
	if len(p.r.diags) > 0 {
		return nil, p.r.diags
	}
	return j, nil
}

type parser struct {
	r      reporter
	j      *Journey
	exists func(string) bool
	ids    map[string]*yaml.Node // step ids (send, split) → where first defined
}

// mapping checks n is a mapping with only the allowed keys and returns its
// values by key (the key nodes under key+"#key").
func (p *parser) mapping(n *yaml.Node, what string, allowed ...string) map[string]*yaml.Node {
	if n.Kind != yaml.MappingNode {
		p.r.at(n, "", "%s must be a mapping, not %s", what, describe(n))
		return nil
	}
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !slices.Contains(allowed, k.Value) {
			p.r.at(k, didYouMean(k.Value, allowed), "unknown field %q in %s", k.Value, what)
			continue
		}
		if _, dup := out[k.Value]; dup {
			p.r.at(k, "remove one of them", "field %q is set twice in %s", k.Value, what)
			continue
		}
		out[k.Value] = v
		out[k.Value+"#key"] = k
	}
	return out
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an alias"
}

func (p *parser) str(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" || n.Value == "" {
		p.r.at(n, "", "%s must be a non-empty string, not %s", what, describe(n))
		return "", false
	}
	return n.Value, true
}

func (p *parser) journey(n *yaml.Node) {
	m := p.mapping(n, "journey", "name", "description", "trigger", "re_entry", "policy", "exit_when", "steps")
	if m == nil {
		return
	}
	j := p.j
	folder := filepath.Base(j.Dir)
	if v := m["name"]; v == nil {
		p.r.at(n, fmt.Sprintf("add name: %s", folder), "missing field \"name\"")
	} else if s, ok := p.str(v, "name"); ok {
		switch {
		case !nameRE.MatchString(s):
			p.r.at(v, "use lower-case letters, digits and single hyphens, e.g. abandoned-cart", "invalid journey name %q", s)
		case s != folder:
			p.r.at(v, fmt.Sprintf("rename the folder or set name: %s", folder), "journey name %q does not match its folder %q", s, folder)
		default:
			j.Name = s
		}
	}
	if v := m["description"]; v != nil {
		j.Description, _ = p.str(v, "description")
	}
	if v := m["trigger"]; v == nil {
		p.r.at(n, "add a trigger with events and key", "missing field \"trigger\"")
	} else {
		p.trigger(v)
	}
	if v := m["re_entry"]; v != nil {
		p.reEntry(v)
	}
	if v := m["policy"]; v != nil {
		p.policy(v)
	}
	if v := m["exit_when"]; v != nil {
		p.exits(v)
	}
	v := m["steps"]
	if v == nil {
		p.r.at(n, "add steps: a list of wait, send, if, split and exit", "missing field \"steps\"")
		return
	}
	j.Steps = p.steps(v, "steps")
	if len(j.Steps) == 0 && len(p.r.diags) == 0 {
		p.r.at(v, "add at least one send step", "journey has no steps")
	}
	if len(p.r.diags) == 0 {
		p.checkFlow(v)
	}
	if len(p.r.diags) == 0 {
		p.check(v.Line, v.Column)
	}
}

var eventNames = func() []string {
	out := make([]string, len(touchpoint.Types))
	for i, t := range touchpoint.Types {
		out[i] = string(t)
	}
	return out
}()

func (p *parser) trigger(n *yaml.Node) {
	m := p.mapping(n, "trigger", "event", "events", "key", "filter")
	if m == nil {
		return
	}
	var evNodes []*yaml.Node
	switch {
	case m["event"] != nil && m["events"] != nil:
		p.r.at(m["events#key"], "use events: [a, b] alone", "trigger has both event and events")
		return
	case m["event"] != nil:
		evNodes = []*yaml.Node{m["event"]}
	case m["events"] != nil:
		if m["events"].Kind != yaml.SequenceNode || len(m["events"].Content) == 0 {
			p.r.at(m["events"], "e.g. events: [checkout_started, checkout_updated]", "events must be a non-empty list of event types")
			return
		}
		evNodes = m["events"].Content
	default:
		p.r.at(n, "e.g. event: order_placed", "trigger needs event or events")
		return
	}
	for _, e := range evNodes {
		s, ok := p.str(e, "event type")
		if !ok {
			continue
		}
		if !slices.Contains(eventNames, s) {
			p.r.at(e, didYouMean(s, eventNames), "unknown event type %q", s)
			continue
		}
		if slices.Contains(p.j.Events, touchpoint.Type(s)) {
			p.r.at(e, "remove the duplicate", "event type %q is listed twice", s)
			continue
		}
		p.j.Events = append(p.j.Events, touchpoint.Type(s))
	}
	if v := m["key"]; v == nil {
		p.r.at(n, "e.g. key: checkout.id (one execution per checkout) or key: email (once per profile)", "trigger needs a key")
	} else if s, ok := p.str(v, "trigger key"); ok {
		f, known := lookupField(srcTrigger, s)
		switch {
		case !known:
			p.r.at(v, didYouMean(s, fieldNames(srcTrigger)), "unknown trigger field %q", s)
		case f.kind != kString && f.kind != kDecimal:
			p.r.at(v, "use an id such as checkout.id, order.id or email", "trigger key %q is a %s, not a string", s, f.kind)
		default:
			p.j.TriggerKey = s
		}
	}
	if v := m["filter"]; v != nil {
		c := &condParser{p: p, trigger: true}
		rule, _, ok := c.cond(v)
		if ok {
			p.j.Filter = &rule
		}
	}
}

func (p *parser) reEntry(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode {
		switch n.Value {
		case contract.ReEntryAlways, contract.ReEntryNever:
			p.j.ReEntry = n.Value
		default:
			p.r.at(n, "use always, never, or after: <duration> (e.g. after: 14d)", "invalid re_entry %q", n.Value)
		}
		return
	}
	m := p.mapping(n, "re_entry", "after")
	if m == nil || m["after"] == nil {
		if m != nil {
			p.r.at(n, "e.g. re_entry: {after: 14d}", "re_entry needs after")
		}
		return
	}
	d, ok := p.duration(m["after"])
	if ok {
		p.j.ReEntry, p.j.ReEntryFor = contract.ReEntryAfter, d
	}
}

func (p *parser) policy(n *yaml.Node) {
	m := p.mapping(n, "policy", "consent", "frequency_cap", "quiet_hours")
	if m == nil {
		return
	}
	if v := m["consent"]; v != nil {
		if v.Value != contract.ConsentSubscribed && v.Value != contract.ConsentNone {
			p.r.at(v, "use subscribed (marketing) or none (service messages; suppression still applies)", "invalid consent %q", v.Value)
		} else {
			p.j.Policy.Consent = v.Value
		}
	}
	for key, dst := range map[string]*bool{"frequency_cap": &p.j.Policy.FrequencyCap, "quiet_hours": &p.j.Policy.QuietHours} {
		if v := m[key]; v != nil {
			b, err := strconv.ParseBool(v.Value)
			if v.Kind != yaml.ScalarNode || err != nil {
				p.r.at(v, "use true or false", "%s must be a boolean, not %s", key, describe(v))
				continue
			}
			*dst = b
		}
	}
}

func (p *parser) exits(n *yaml.Node) {
	if n.Kind != yaml.SequenceNode {
		p.r.at(n, "e.g. exit_when: [{name: Ordered since start, when: {field: profile.last_order_at, after: start}}]", "exit_when must be a list")
		return
	}
	names := map[string]bool{}
	for _, e := range n.Content {
		m := p.mapping(e, "exit_when entry", "name", "when")
		if m == nil {
			continue
		}
		var x Exit
		if v := m["name"]; v == nil {
			p.r.at(e, "e.g. name: Ordered since start", "exit_when entry needs a name")
			continue
		} else if s, ok := p.str(v, "exit name"); ok {
			if names[strings.ToLower(s)] {
				p.r.at(v, "give each exit its own name", "exit %q is defined twice", s)
				continue
			}
			names[strings.ToLower(s)] = true
			x.Name = s
		} else {
			continue
		}
		if m["when"] == nil {
			p.r.at(e, "add when: <condition>", "exit %q needs when", x.Name)
			continue
		}
		c := &condParser{p: p}
		rule, u, ok := c.cond(m["when"])
		if ok {
			x.Rule, x.uses = rule, u
			p.j.Exits = append(p.j.Exits, x)
		}
	}
}

var stepKinds = []string{KindWait, KindSend, KindIf, KindSplit, KindExit}

func (p *parser) steps(n *yaml.Node, what string) []*Step {
	if n.Kind != yaml.SequenceNode {
		p.r.at(n, "", "%s must be a list of steps, not %s", what, describe(n))
		return nil
	}
	var out []*Step
	for _, sn := range n.Content {
		if st := p.step(sn); st != nil {
			out = append(out, st)
		}
	}
	return out
}

func (p *parser) step(n *yaml.Node) *Step {
	if n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		p.r.at(n, "start a step with one of: "+strings.Join(stepKinds, ", "), "a step must be a mapping, not %s", describe(n))
		return nil
	}
	kindKey := n.Content[0]
	st := &Step{Kind: kindKey.Value, Line: kindKey.Line, Col: kindKey.Column}
	var allowed []string
	switch st.Kind {
	case KindWait:
		allowed = []string{"wait"}
	case KindSend:
		allowed = []string{"send", "template", "subject", "data"}
	case KindIf:
		allowed = []string{"if", "name", "then", "else"}
	case KindSplit:
		allowed = []string{"split", "branches"}
	case KindExit:
		allowed = []string{"exit"}
	default:
		p.r.at(kindKey, didYouMean(st.Kind, stepKinds), "unknown step %q", st.Kind)
		return nil
	}
	m := p.mapping(n, st.Kind+" step", allowed...)
	if m == nil {
		return nil
	}
	head := m[st.Kind]
	switch st.Kind {
	case KindWait:
		if head.Kind == yaml.MappingNode {
			wm := p.mapping(head, "wait", "until")
			if wm == nil {
				return nil
			}
			v := wm["until"]
			if v == nil {
				if len(head.Content) == 0 { // else an unknown field was reported
					p.r.at(head, "e.g. wait: {until: \"09:00\"}", "wait needs a duration or until")
				}
				return nil
			}
			if _, err := contract.ParseTimeOfDay(v.Value); err != nil || v.Kind != yaml.ScalarNode {
				p.r.at(v, "a 24-hour time of day in the profile's time zone, quoted: \"09:00\"", "invalid time of day %s", describe(v))
				return nil
			}
			st.Until, st.WaitText = v.Value, "until "+v.Value
			break
		}
		d, ok := p.duration(head)
		if !ok {
			return nil
		}
		if d > 365*24*time.Hour {
			p.r.at(head, "a STANDARD execution lasts at most one year; split the journey or shorten the wait", "wait %s is longer than one year", head.Value)
			return nil
		}
		st.Wait, st.WaitText = d, head.Value
	case KindSend:
		id, ok := p.stepID(head, "send")
		if !ok {
			return nil
		}
		st.ID, st.Template = id, id
		if v := m["template"]; v != nil {
			t, ok := p.str(v, "template")
			if !ok {
				return nil
			}
			st.Template = t
		}
		if v := m["subject"]; v == nil {
			p.r.at(kindKey, "add subject: \"...\" (template syntax allowed, e.g. {{.Profile.FirstName}})", "send %q needs a subject", id)
		} else if s, ok := p.str(v, "subject"); ok {
			if err := checkSubject(s); err != nil {
				p.r.at(v, "subjects use Go text/template syntax with the data in docs/journeys.md", "invalid subject: %v", err)
			}
			st.Subject = s
		}
		if v := m["data"]; v != nil {
			var d map[string]any
			if v.Kind != yaml.MappingNode || v.Decode(&d) != nil {
				p.r.at(v, "e.g. data: {discount_code: COMEBACK10}", "data must be a mapping")
			}
			st.Data = d
		}
		p.checkTemplates(kindKey, st.Template)
	case KindIf:
		c := &condParser{p: p}
		rule, u, ok := c.cond(head)
		if !ok {
			return nil
		}
		st.Cond, st.condUses = rule, u
		if v := m["name"]; v != nil {
			st.ID, _ = p.str(v, "if name")
		}
		if v := m["then"]; v == nil {
			p.r.at(kindKey, "add then: [steps]", "if needs then")
		} else {
			st.Then = p.steps(v, "then")
		}
		if v := m["else"]; v != nil {
			st.Else = p.steps(v, "else")
		}
	case KindSplit:
		id, ok := p.stepID(head, "split")
		if !ok {
			return nil
		}
		st.ID = id
		p.branches(kindKey, m["branches"], st)
	case KindExit:
		s, ok := p.str(head, "exit reason")
		if !ok {
			return nil
		}
		st.ID = s
	}
	return st
}

var idRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

func (p *parser) stepID(n *yaml.Node, kind string) (string, bool) {
	s, ok := p.str(n, kind+" id")
	if !ok {
		return "", false
	}
	if !idRE.MatchString(s) {
		p.r.at(n, "use lower-case letters, digits and hyphens, e.g. cart-reminder-1", "invalid %s id %q", kind, s)
		return "", false
	}
	if first, dup := p.ids[s]; dup {
		p.r.at(n, fmt.Sprintf("first used at line %d; step ids must be unique in a journey", first.Line), "duplicate step id %q", s)
		return "", false
	}
	p.ids[s] = n
	return s, true
}

func (p *parser) checkTemplates(at *yaml.Node, name string) {
	if p.exists == nil {
		return
	}
	for _, ext := range []string{".html", ".txt"} {
		if !p.exists(name + ext) {
			p.r.at(at, fmt.Sprintf("create %s in %s (every send needs an HTML and a text part)", name+ext, p.j.Dir), "missing template file %s", name+ext)
		}
	}
}

func (p *parser) branches(at, n *yaml.Node, st *Step) {
	if n == nil || n.Kind != yaml.SequenceNode || len(n.Content) < 2 {
		where := at
		if n != nil {
			where = n
		}
		p.r.at(where, "e.g. branches: [{name: A, percent: 90, steps: [...]}, {name: holdout, percent: 10, holdout: true}]", "split needs branches: a list of at least two")
		return
	}
	total := 0
	names := map[string]bool{}
	for _, bn := range n.Content {
		m := p.mapping(bn, "split branch", "name", "percent", "holdout", "steps")
		if m == nil {
			continue
		}
		b := &Branch{}
		if v := m["name"]; v == nil {
			p.r.at(bn, "e.g. name: A", "split branch needs a name")
			continue
		} else if s, ok := p.str(v, "branch name"); ok {
			if names[s] {
				p.r.at(v, "give each branch its own name", "branch %q is defined twice", s)
			}
			names[s] = true
			b.Name = s
		}
		if v := m["percent"]; v == nil {
			p.r.at(bn, "e.g. percent: 50", "split branch %q needs a percent", b.Name)
		} else if pct, err := strconv.Atoi(v.Value); err != nil || v.Kind != yaml.ScalarNode || pct < 1 || pct > 99 {
			p.r.at(v, "a whole number from 1 to 99", "invalid percent %s", describe(v))
		} else {
			b.Percent = pct
			total += pct
		}
		if v := m["holdout"]; v != nil {
			h, err := strconv.ParseBool(v.Value)
			if err != nil {
				p.r.at(v, "use true or false", "holdout must be a boolean")
			}
			b.Holdout = h
		}
		if v := m["steps"]; v != nil {
			if b.Holdout {
				p.r.at(m["steps#key"], "a holdout gets nothing; remove its steps", "holdout branch %q cannot have steps", b.Name)
			} else {
				b.Steps = p.steps(v, "branch steps")
			}
		}
		st.Branches = append(st.Branches, b)
	}
	if total != 100 && len(st.Branches) == len(n.Content) {
		p.r.at(at, "make the branch percentages add up to 100", "split %q percentages sum to %d, not 100", st.ID, total)
	}
}

var durRE = regexp.MustCompile(`^(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?$`)

// duration parses "4h", "14d", "1d12h", "90m", "2w".
func (p *parser) duration(n *yaml.Node) (time.Duration, bool) {
	s := n.Value
	if n.Kind != yaml.ScalarNode || s == "" || !durRE.MatchString(s) {
		p.r.at(n, "use a number with a unit: s, m, h, d or w, e.g. 4h, 14d, 1d12h", "invalid duration %s", describe(n))
		return 0, false
	}
	var d time.Duration
	units := map[byte]time.Duration{'w': 7 * 24 * time.Hour, 'd': 24 * time.Hour, 'h': time.Hour, 'm': time.Minute, 's': time.Second}
	num := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			num = num*10 + int(c-'0')
			if num > 1e6 {
				p.r.at(n, "a STANDARD execution lasts at most one year", "duration %s is too long", s)
				return 0, false
			}
			continue
		}
		d += time.Duration(num) * units[c]
		num = 0
	}
	if d <= 0 {
		p.r.at(n, "use a positive duration, e.g. 4h", "duration %s is zero", s)
		return 0, false
	}
	return d, true
}

// formatDuration writes a duration the way journeys do: "4h", "14d", "1d12h".
func formatDuration(d time.Duration) string {
	var b strings.Builder
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

// checkFlow reports steps that can never run.
func (p *parser) checkFlow(_ *yaml.Node) {
	p.flow(p.j.Steps)
}

// flow reports the first unreachable step of a list and whether the list
// always ends the journey.
func (p *parser) flow(steps []*Step) bool {
	ends := false
	for _, st := range steps {
		if ends {
			p.r.atLC(st.Line, st.Col, "remove it, or move it before the step that ends the journey", "unreachable step: every path before it ends the journey")
			return true
		}
		switch st.Kind {
		case KindExit:
			ends = true
		case KindIf:
			t := p.flow(st.Then)
			e := p.flow(st.Else)
			ends = t && e && len(st.Else) > 0
		case KindSplit:
			ends = true
			for _, b := range st.Branches {
				if !b.Holdout && !p.flow(b.Steps) {
					ends = false
				}
			}
		}
	}
	return ends
}
