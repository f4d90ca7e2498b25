package journey

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/parcours/parcours/internal/asl"
)

// Output is everything parcours compile writes, by path relative to the
// repository root. template.yaml and README.md are whole files with their
// generated regions (SAMRegions, the README's journey graphs) replaced.
type Output struct {
	Journeys []*Journey
	Machines map[string]*asl.StateMachine // journey name → definition
	Files    map[string][]byte
	// Stale lists files under statemachines/ that no journey produces.
	Stale []string
}

// Build compiles every journey of the repository at root.
func Build(root string) (*Output, error) {
	js, err := LoadAll(filepath.Join(root, "journeys"))
	if err != nil {
		return nil, err
	}
	if len(js) == 0 {
		return nil, fmt.Errorf("no journey in %s (each is a folder with a %s)", filepath.Join(root, "journeys"), FileName)
	}
	out := &Output{Journeys: js, Machines: map[string]*asl.StateMachine{}, Files: map[string][]byte{}}
	var graphs strings.Builder
	graphs.WriteString("\n| journey | trigger | longest path | emails | transitions per email |\n|---|---|---|---|---|\n")
	var blocks strings.Builder
	var tds Diagnostics
	for _, j := range js {
		if err := CheckTemplates(j); err != nil {
			tds = append(tds, err.(Diagnostics)...)
		}
	}
	if len(tds) > 0 {
		return nil, tds
	}
	for _, j := range js {
		sm, err := Compile(j)
		if err != nil {
			return nil, fmt.Errorf("compile %s: %w", j.Name, err)
		}
		data, err := asl.Marshal(sm)
		if err != nil {
			return nil, fmt.Errorf("marshal %s: %w", j.Name, err)
		}
		out.Machines[j.Name] = sm
		out.Files[filepath.Join("statemachines", j.Name+".asl.json")] = data
		st := Measure(sm)
		evs := make([]string, len(j.Events))
		for i, e := range j.Events {
			evs[i] = "`" + string(e) + "`"
		}
		fmt.Fprintf(&graphs, "| `%s` | %s | %d transitions | %d | %.1f |\n", j.Name, strings.Join(evs, ", "), st.Transitions, st.Emails, st.PerEmail())
		g, err := Graph(sm, FormatMermaid)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&blocks, "\n<details><summary><code>%s</code>: %s</summary>\n\n```mermaid\n%s```\n\n</details>\n", j.Name, j.Description, g)
	}
	graphs.WriteString(blocks.String() + "\n")
	m, err := MarshalManifest(BuildManifest(js))
	if err != nil {
		return nil, fmt.Errorf("marshal manifest: %w", err)
	}
	out.Files[filepath.Join("statemachines", "triggers.json")] = m

	tpl, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		return nil, fmt.Errorf("read template.yaml: %w", err)
	}
	s, err := ReplaceRegions(string(tpl), SAMRegions, js)
	if err != nil {
		return nil, fmt.Errorf("template.yaml: %w", err)
	}
	out.Files["template.yaml"] = []byte(s)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		return nil, fmt.Errorf("read README.md: %w", err)
	}
	s, err = ReplaceRegion(string(readme), ReadmeBegin, ReadmeEnd, graphs.String())
	if err != nil {
		return nil, fmt.Errorf("README.md: %w (add the two marker lines)", err)
	}
	out.Files["README.md"] = []byte(s)
	entries, _ := os.ReadDir(filepath.Join(root, "statemachines"))
	for _, e := range entries {
		p := filepath.Join("statemachines", e.Name())
		if _, ok := out.Files[p]; !ok && !e.IsDir() && strings.HasSuffix(e.Name(), ".json") { // embed.go is not compiler output
			out.Stale = append(out.Stale, p)
		}
	}
	return out, nil
}

// Diff lists the files that differ from what is on disk (or are stale).
func (o *Output) Diff(root string) []string {
	var diff []string
	for _, p := range sortedKeys(o.Files) {
		cur, err := os.ReadFile(filepath.Join(root, p))
		if err != nil || string(cur) != string(o.Files[p]) {
			diff = append(diff, p)
		}
	}
	return append(diff, o.Stale...)
}

// Write writes the files and removes stale ones.
func (o *Output) Write(root string) error {
	if err := os.MkdirAll(filepath.Join(root, "statemachines"), 0o755); err != nil {
		return fmt.Errorf("create statemachines: %w", err)
	}
	for _, p := range sortedKeys(o.Files) {
		cur, err := os.ReadFile(filepath.Join(root, p))
		if err == nil && string(cur) == string(o.Files[p]) {
			continue
		}
		if err := os.WriteFile(filepath.Join(root, p), o.Files[p], 0o644); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	for _, p := range o.Stale {
		if err := os.Remove(filepath.Join(root, p)); err != nil {
			return fmt.Errorf("remove stale %s: %w", p, err)
		}
	}
	return nil
}
