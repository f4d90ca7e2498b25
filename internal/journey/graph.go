package journey

import (
	"fmt"
	"strings"

	"github.com/parcours/parcours/internal/asl"
)

// Graph formats.
const (
	FormatMermaid = "mermaid"
	FormatDOT     = "dot"
)

// Graph draws a compiled state machine as a Mermaid flowchart or a Graphviz
// digraph. Catch transitions are dotted.
func Graph(sm *asl.StateMachine, format string) (string, error) {
	names := sm.States.Names()
	id := map[string]string{}
	for i, n := range names {
		id[n] = fmt.Sprintf("s%d", i)
	}
	var b strings.Builder
	switch format {
	case FormatMermaid:
		b.WriteString("flowchart TD\n")
		fmt.Fprintf(&b, "  start((start)) --> %s\n", id[sm.StartAt])
		for _, n := range names {
			l := strings.ReplaceAll(n, `"`, "#quot;")
			switch sm.States.Get(n).Type {
			case "Choice":
				fmt.Fprintf(&b, "  %s{\"%s\"}\n", id[n], l)
			case "Wait":
				fmt.Fprintf(&b, "  %s([\"%s\"])\n", id[n], l)
			case "Succeed", "Fail":
				fmt.Fprintf(&b, "  %s[[\"%s\"]]\n", id[n], l)
			default:
				fmt.Fprintf(&b, "  %s[\"%s\"]\n", id[n], l)
			}
		}
		for _, e := range Edges(sm) {
			arrow := "-->"
			if e.Kind == "catch" {
				arrow = "-.->"
			}
			if e.Label != "" {
				fmt.Fprintf(&b, "  %s %s|\"%s\"| %s\n", id[e.From], arrow, strings.ReplaceAll(e.Label, `"`, "#quot;"), id[e.To])
			} else {
				fmt.Fprintf(&b, "  %s %s %s\n", id[e.From], arrow, id[e.To])
			}
		}
	case FormatDOT:
		b.WriteString("digraph journey {\n  rankdir=TB;\n  node [fontname=\"Helvetica\"];\n")
		for _, n := range names {
			shape := map[string]string{"Choice": "diamond", "Wait": "ellipse", "Succeed": "doublecircle", "Fail": "octagon"}[sm.States.Get(n).Type]
			if shape == "" {
				shape = "box"
			}
			fmt.Fprintf(&b, "  %s [label=%q, shape=%s];\n", id[n], n, shape)
		}
		fmt.Fprintf(&b, "  start [shape=point];\n  start -> %s;\n", id[sm.StartAt])
		for _, e := range Edges(sm) {
			attrs := []string{}
			if e.Label != "" {
				attrs = append(attrs, fmt.Sprintf("label=%q", e.Label))
			}
			if e.Kind == "catch" {
				attrs = append(attrs, "style=dashed")
			}
			a := ""
			if len(attrs) > 0 {
				a = " [" + strings.Join(attrs, ", ") + "]"
			}
			fmt.Fprintf(&b, "  %s -> %s%s;\n", id[e.From], id[e.To], a)
		}
		b.WriteString("}\n")
	default:
		return "", fmt.Errorf("unknown graph format %q (use mermaid or dot)", format)
	}
	return b.String(), nil
}
