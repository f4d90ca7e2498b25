package lambdabench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// BuildFlags are the Makefile's LAMBDA_BUILD flags (TestMakefileFlags
// keeps the two equal).
var BuildFlags = []string{"-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w"}

// Function is one Lambda under functions/<Name>.
type Function struct {
	Name string
	Dir  string // functions/<name>, relative to the repository root
}

// Functions lists functions/*/main.go under root, in name order.
func Functions(root string) ([]Function, error) {
	mains, err := filepath.Glob(filepath.Join(root, "functions", "*", "main.go"))
	if err != nil {
		return nil, err
	}
	sort.Strings(mains)
	var out []Function
	for _, m := range mains {
		name := filepath.Base(filepath.Dir(m))
		out = append(out, Function{Name: name, Dir: "./functions/" + name})
	}
	return out, nil
}

// Build compiles f for goos/goarch into out with the Makefile's flags
// (CGO_ENABLED=0), from the repository root.
func Build(ctx context.Context, root string, f Function, goos, goarch, out string) error {
	args := append([]string{"build"}, BuildFlags...)
	args = append(args, "-o", out, f.Dir)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build %s for %s/%s: %w: %s", f.Name, goos, goarch, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// Env is the environment a function needs to pass its config at cold start:
// dummy values, the dev secrets, and every AWS endpoint pointing at
// endpoint (a loopback server). AWS credentials are static dummies.
func Env(root string, f Function, endpoint string) ([]string, error) {
	env := []string{
		"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=bench", "AWS_SECRET_ACCESS_KEY=bench",
		"AWS_ENDPOINT_URL=" + endpoint, "AWS_EC2_METADATA_DISABLED=true",
		"AWS_LAMBDA_FUNCTION_NAME=parcours-" + f.Name, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256", "AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"TABLE_NAME=parcours-bench",
	}
	switch f.Name {
	case "ingest":
		env = append(env,
			"SHOPIFY_WEBHOOK_SECRET=parcours-dev-shopify-secret",
			"WOOCOMMERCE_WEBHOOK_SECRET=parcours-dev-woocommerce-secret",
			"STANDARD_WEBHOOK_SECRET=whsec_cGFyY291cnMtZGV2LXN0YW5kYXJkLXNlY3JldA==")
	case "router":
		arns, err := stateMachineARNs(root)
		if err != nil {
			return nil, err
		}
		env = append(env, "STATE_MACHINE_ARNS="+arns)
	case "send", "unsubscribe":
		env = append(env,
			"FROM_ADDRESS=Shop <hello@shop.example>", "CONFIGURATION_SET=parcours", "UNSUBSCRIBE_URL=https://shop.example/unsubscribe",
			"UNSUBSCRIBE_SECRET=cGFyY291cnMtYmVuY2gtdW5zdWJzY3JpYmUtc2VjcmV0LTMyYnl0ZXM=",
			"SHOP_NAME=Shop", "SHOP_URL=https://shop.example", "SHOP_TIMEZONE=Europe/Paris")
	}
	return env, nil
}

// stateMachineARNs names an ARN for every journey of the committed
// manifest, as the router requires.
func stateMachineARNs(root string) (string, error) {
	b, err := os.ReadFile(filepath.Join(root, "statemachines", "triggers.json"))
	if err != nil {
		return "", fmt.Errorf("router manifest: %w", err)
	}
	var m struct {
		Journeys []struct {
			Journey string `json:"journey"`
		} `json:"journeys"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return "", fmt.Errorf("router manifest: %w", err)
	}
	var parts []string
	for _, j := range m.Journeys {
		parts = append(parts, j.Journey+"=arn:aws:states:us-east-1:123456789012:stateMachine:"+j.Journey)
	}
	return strings.Join(parts, ","), nil
}
