package router

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/parcours/parcours/internal/journey/contract"
)

// LoadManifest reads the compiler's trigger manifest (statemachines.FS,
// statemachines.Triggers).
func LoadManifest(fsys fs.FS, name string) (contract.Manifest, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return contract.Manifest{}, fmt.Errorf("read trigger manifest: %w", err)
	}
	var m contract.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return contract.Manifest{}, fmt.Errorf("decode trigger manifest %s: %w", name, err)
	}
	return m, nil
}

// ParseStateMachineARNs reads STATE_MACHINE_ARNS: comma-separated
// journey=arn pairs, one per journey of the manifest, each the ARN of the
// journey's "live" alias (so executions start on the published version and
// keep it while they run). A journey without an ARN, an ARN for an unknown
// journey, or a malformed pair is an error: the router refuses to start
// rather than drop events.
func ParseStateMachineARNs(s string, m contract.Manifest) (map[string]string, error) {
	out := map[string]string{}
	for _, pair := range strings.Split(s, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		name, arn, ok := strings.Cut(pair, "=")
		if !ok || name == "" || !strings.HasPrefix(arn, "arn:") {
			return nil, fmt.Errorf("STATE_MACHINE_ARNS: %q is not journey=arn", pair)
		}
		out[strings.TrimSpace(name)] = strings.TrimSpace(arn)
	}
	known := map[string]bool{}
	var missing []string
	for _, j := range m.Journeys {
		known[j.Journey] = true
		if out[j.Journey] == "" {
			missing = append(missing, j.Journey)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("STATE_MACHINE_ARNS has no ARN for journey %s", strings.Join(missing, ", "))
	}
	var extra []string
	for name := range out {
		if !known[name] {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return nil, fmt.Errorf("STATE_MACHINE_ARNS names journeys the manifest does not have: %s", strings.Join(extra, ", "))
	}
	return out, nil
}

// Config is the router function's configuration.
type Config struct {
	Table         string            // TABLE_NAME
	StateMachines map[string]string // STATE_MACHINE_ARNS
}

// ConfigFromEnv reads TABLE_NAME and STATE_MACHINE_ARNS (checked against
// the manifest) with getenv (os.Getenv in main).
func ConfigFromEnv(getenv func(string) string, m contract.Manifest) (Config, error) {
	c := Config{Table: getenv("TABLE_NAME")}
	if c.Table == "" {
		return Config{}, fmt.Errorf("missing environment variable TABLE_NAME")
	}
	arns := getenv("STATE_MACHINE_ARNS")
	if arns == "" {
		return Config{}, fmt.Errorf("missing environment variable STATE_MACHINE_ARNS")
	}
	var err error
	if c.StateMachines, err = ParseStateMachineARNs(arns, m); err != nil {
		return Config{}, err
	}
	return c, nil
}
