package samtemplate

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/awslabs/goformation/v7/cloudformation/dynamodb"
	"github.com/awslabs/goformation/v7/cloudformation/serverless"

	"github.com/parcours/parcours/internal/journey"
)

const root = "../.."

func load(t *testing.T) *Template {
	t.Helper()
	tp, err := Load(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

// functionDirs lists functions/<name>.
func functionDirs(t *testing.T) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

// logicalID is the template name of functions/<name>: ingest → IngestFunction.
func logicalID(dir string) string {
	return strings.ToUpper(dir[:1]) + dir[1:] + "Function"
}

// TestTypedResources: Load decoded every resource into goformation's
// typed struct for its type (a misspelled property fails Load); the
// typed values agree with the raw document.
func TestTypedResources(t *testing.T) {
	tp := load(t)
	raw := tp.Resources("")
	if len(tp.Typed) != len(raw) || len(raw) < 20 {
		t.Fatalf("%d typed resources, %d raw", len(tp.Typed), len(raw))
	}
	for _, r := range raw {
		if got := tp.Typed[r.ID].AWSCloudFormationType(); got != r.Type {
			t.Errorf("%s: typed as %s, raw type %s", r.ID, got, r.Type)
		}
	}
	tbl, ok := tp.Typed[journey.TableResource].(*dynamodb.Table)
	if !ok || tbl.StreamSpecification == nil || tbl.StreamSpecification.StreamViewType != "NEW_IMAGE" {
		t.Errorf("typed Table has no NEW_IMAGE stream")
	}
	for _, f := range tp.Resources("AWS::Serverless::Function") {
		fn, ok := tp.Typed[f.ID].(*serverless.Function)
		if !ok || fn.CodeUri == nil || fn.CodeUri.String == nil || *fn.CodeUri.String != "." {
			t.Errorf("typed %s: CodeUri is not .", f.ID)
		}
	}
}

func TestTypedRejectsUnknownProperty(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Replace(data, []byte("      BillingMode: PAY_PER_REQUEST"), []byte("      BilingMode: PAY_PER_REQUEST"), 1)
	if bytes.Equal(bad, data) {
		t.Fatal("template has no BillingMode line to misspell")
	}
	path := filepath.Join(t.TempDir(), "template.yaml")
	if err := os.WriteFile(path, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Load(path)
	if err == nil || !strings.Contains(err.Error(), `resource Table (AWS::DynamoDB::Table): json: unknown field "BilingMode"`) {
		t.Errorf("Load of a misspelled property: %v", err)
	}
}

func TestGlobals(t *testing.T) {
	tp := load(t)
	g := Get(tp.Raw, "Globals", "Function")
	for _, c := range []struct {
		path []string
		want any
	}{
		{[]string{"Runtime"}, "provided.al2023"},
		{[]string{"Handler"}, "bootstrap"},
		{[]string{"Tracing"}, "Active"},
		{[]string{"LoggingConfig", "LogFormat"}, "JSON"},
		{[]string{"LoggingConfig", "ApplicationLogLevel"}, map[string]any{"Ref": "LogLevel"}},
	} {
		got := Get(g, c.path...)
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("Globals.Function.%s = %v, want %v", strings.Join(c.path, "."), got, c.want)
		}
	}
	if a, _ := Get(g, "Architectures").([]any); len(a) != 1 || a[0] != "arm64" {
		t.Errorf("Globals.Function.Architectures = %v, want [arm64]", a)
	}
	for _, k := range []string{"Timeout", "MemorySize"} {
		if _, ok := Get(g, k).(float64); !ok {
			t.Errorf("Globals.Function.%s is not set", k)
		}
	}
}

// TestFunctionsMatchDirectories: every functions/<name> is a function of
// the template and vice versa, each built by make build-<LogicalId> from
// its own directory.
func TestFunctionsMatchDirectories(t *testing.T) {
	tp := load(t)
	var declared []string
	for _, f := range tp.Resources("AWS::Serverless::Function") {
		declared = append(declared, f.ID)
		if Get(f.Metadata, "BuildMethod") != "makefile" {
			t.Errorf("%s: Metadata.BuildMethod = %v, want makefile", f.ID, Get(f.Metadata, "BuildMethod"))
		}
		if f.Properties["CodeUri"] != "." {
			t.Errorf("%s: CodeUri = %v, want . (the Makefile is at the root)", f.ID, f.Properties["CodeUri"])
		}
		if lg, ok := Get(f.Properties, "LoggingConfig", "LogGroup", "Ref").(string); !ok {
			t.Errorf("%s: LoggingConfig.LogGroup is not a !Ref to a log group with retention", f.ID)
		} else if r, ok := tp.Resource(lg); !ok || r.Type != "AWS::Logs::LogGroup" {
			t.Errorf("%s: LoggingConfig.LogGroup %s is not an AWS::Logs::LogGroup", f.ID, lg)
		}
	}
	var dirs []string
	for _, d := range functionDirs(t) {
		dirs = append(dirs, logicalID(d))
	}
	sort.Strings(dirs)
	if !slices.Equal(declared, dirs) {
		t.Errorf("template functions %v, functions/ directories %v", declared, dirs)
	}
}

func TestLogGroupsHaveRetention(t *testing.T) {
	tp := load(t)
	for _, lg := range tp.Resources("AWS::Logs::LogGroup") {
		if lg.Properties["RetentionInDays"] == nil {
			t.Errorf("log group %s has no RetentionInDays", lg.ID)
		}
	}
}

var makeTarget = regexp.MustCompile(`(?m)^(build-[A-Za-z0-9]+):`)

// TestMakeBuildTargets builds every function the way sam build does
// (make build-<LogicalId> ARTIFACTS_DIR=…) and checks the result is a
// linux/arm64 executable named bootstrap.
func TestMakeBuildTargets(t *testing.T) {
	tp := load(t)
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string]bool{}
	for _, m := range makeTarget.FindAllSubmatch(mk, -1) {
		targets[string(m[1])] = true
	}
	phony := regexp.MustCompile(`(?s)\.PHONY:(.*?[^\\])\n`).FindSubmatch(mk)
	for _, f := range tp.Resources("AWS::Serverless::Function") {
		target := "build-" + f.ID
		t.Run(f.ID, func(t *testing.T) {
			if !targets[target] {
				t.Fatalf("Makefile has no target %s", target)
			}
			if phony == nil || !bytes.Contains(phony[1], []byte(target)) {
				t.Errorf("%s is not .PHONY", target)
			}
			dir := strings.ToLower(strings.TrimSuffix(f.ID, "Function"))
			dry, err := exec.Command("make", "-s", "-n", "-C", root, target, "ARTIFACTS_DIR=/artifacts").CombinedOutput()
			if err != nil {
				t.Fatalf("make -n %s: %v\n%s", target, err, dry)
			}
			for _, want := range []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64", "-tags lambda.norpc", "-trimpath", "-o /artifacts/bootstrap", "./functions/" + dir + "\n"} {
				if !strings.Contains(string(dry)+"\n", want) {
					t.Errorf("make %s runs %q: no %q", target, dry, want)
				}
			}
			out := t.TempDir()
			cmd := exec.Command("make", "-s", "-C", root, target, "ARTIFACTS_DIR="+out)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("make %s: %v\n%s", target, err, b)
			}
			bin, err := elf.Open(filepath.Join(out, "bootstrap"))
			if err != nil {
				t.Fatalf("bootstrap: %v", err)
			}
			defer bin.Close()
			if bin.Machine != elf.EM_AARCH64 || bin.Class != elf.ELFCLASS64 || bin.Type != elf.ET_EXEC {
				t.Errorf("bootstrap is %v %v %v, want EM_AARCH64 ELFCLASS64 ET_EXEC", bin.Machine, bin.Class, bin.Type)
			}
			if bin.Section(".interp") != nil {
				t.Errorf("bootstrap is dynamically linked (CGO?): provided.al2023 wants a static binary")
			}
		})
	}
}

// TestStateMachines: every statemachines/*.asl.json is declared, every
// declared DefinitionUri exists, and its ${…} placeholders all have a
// substitution (and every substitution is used).
func TestStateMachines(t *testing.T) {
	tp := load(t)
	if n := len(tp.Resources("AWS::Serverless::StateMachine")); n < 5 {
		t.Fatalf("%d state machines, want the five journeys", n)
	}
	for _, p := range tp.CheckStateMachines(root) {
		t.Error(p)
	}
}

// TestTable: the one table, as docs/architecture.md describes it.
func TestTable(t *testing.T) {
	tp := load(t)
	tbl, ok := tp.Resource(journey.TableResource)
	if !ok || tbl.Type != "AWS::DynamoDB::Table" {
		t.Fatalf("no AWS::DynamoDB::Table %s (the generated state machines refer to it)", journey.TableResource)
	}
	for _, c := range []struct {
		path []string
		want string
	}{
		{[]string{"BillingMode"}, "PAY_PER_REQUEST"},
		{[]string{"StreamSpecification", "StreamViewType"}, "NEW_IMAGE"},
		{[]string{"TimeToLiveSpecification", "AttributeName"}, "ttl"},
		{[]string{"TimeToLiveSpecification", "Enabled"}, "true"},
		{[]string{"PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled"}, "true"},
		{[]string{"SSESpecification", "SSEEnabled"}, "true"},
	} {
		if got := fmt.Sprint(Get(tbl.Properties, c.path...)); got != c.want {
			t.Errorf("Table %s = %s, want %s", strings.Join(c.path, "."), got, c.want)
		}
	}
	if _, ok := tp.Resource(journey.SendResource); !ok {
		t.Errorf("no %s (the generated state machines invoke it)", journey.SendResource)
	}
}

// TestRouterStream: the router's event source is the table's stream with
// the filter, partial batch responses, bisection, bounded retries and a
// dead-letter destination.
func TestRouterStream(t *testing.T) {
	tp := load(t)
	r, _ := tp.Resource("RouterFunction")
	events, _ := r.Properties["Events"].(map[string]any)
	var streams []any
	for _, e := range events {
		if Get(e, "Type") == "DynamoDB" {
			streams = append(streams, Get(e, "Properties"))
		}
	}
	if len(streams) != 1 {
		t.Fatalf("RouterFunction has %d DynamoDB events, want 1", len(streams))
	}
	p := streams[0]
	if id, attr := getAtt(Get(p, "Stream")); id != "Table" || attr != "StreamArn" {
		t.Errorf("Stream = %v, want !GetAtt Table.StreamArn", Get(p, "Stream"))
	}
	if got := Get(p, "FunctionResponseTypes"); fmt.Sprint(got) != "[ReportBatchItemFailures]" {
		t.Errorf("FunctionResponseTypes = %v", got)
	}
	if Get(p, "BisectBatchOnFunctionError") != true {
		t.Errorf("BisectBatchOnFunctionError is not true")
	}
	if n, _ := Get(p, "MaximumRetryAttempts").(float64); n < 1 || n > 100 {
		t.Errorf("MaximumRetryAttempts = %v, want bounded (1..100)", Get(p, "MaximumRetryAttempts"))
	}
	if n, _ := Get(p, "MaximumRecordAgeInSeconds").(float64); n < 60 || n > 604800 {
		t.Errorf("MaximumRecordAgeInSeconds = %v", Get(p, "MaximumRecordAgeInSeconds"))
	}
	if Get(p, "DestinationConfig", "OnFailure", "Type") != "SQS" {
		t.Errorf("DestinationConfig.OnFailure.Type = %v, want SQS", Get(p, "DestinationConfig", "OnFailure", "Type"))
	}
	dlq, attr := getAtt(Get(p, "DestinationConfig", "OnFailure", "Destination"))
	if q, ok := tp.Resource(dlq); !ok || q.Type != "AWS::SQS::Queue" || attr != "Arn" {
		t.Errorf("OnFailure.Destination %v is not the ARN of an SQS queue of the template", Get(p, "DestinationConfig", "OnFailure", "Destination"))
	}
	filters, _ := Get(p, "FilterCriteria", "Filters").([]any)
	if len(filters) != 1 {
		t.Fatalf("FilterCriteria.Filters = %v, want one", filters)
	}
	var got, want any
	if err := json.Unmarshal([]byte(fmt.Sprint(Get(filters[0], "Pattern"))), &got); err != nil {
		t.Fatalf("filter pattern: %v", err)
	}
	_ = json.Unmarshal([]byte(`{"eventName":["INSERT"],"dynamodb":{"NewImage":{"sk":{"S":["EVENT"]}}}}`), &want)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("filter pattern = %v, want %v", got, want)
	}
}

// TestRoutes: every HTTP API route is served by a function of the template
// on the template's API, there are no two functions for one route, and
// the URLs the template hands out (outputs, UNSUBSCRIBE_URL) are routes.
func TestRoutes(t *testing.T) {
	tp := load(t)
	routes := map[string]string{}
	for _, f := range tp.Resources("AWS::Serverless::Function") {
		events, _ := f.Properties["Events"].(map[string]any)
		for name, e := range events {
			if Get(e, "Type") != "HttpApi" {
				continue
			}
			p := Get(e, "Properties")
			method, _ := Get(p, "Method").(string)
			path, _ := Get(p, "Path").(string)
			if method == "" || path == "" {
				t.Errorf("%s event %s: HttpApi event without Method and Path", f.ID, name)
				continue
			}
			if api := Get(p, "ApiId", "Ref"); api != "HttpApi" {
				t.Errorf("%s event %s: ApiId = %v, want !Ref HttpApi", f.ID, name, Get(p, "ApiId"))
			}
			key := strings.ToUpper(method) + " " + path
			if other, dup := routes[key]; dup {
				t.Errorf("route %s is served by %s and %s", key, other, f.ID)
			}
			routes[key] = f.ID
		}
	}
	for key, fn := range map[string]string{
		"POST /webhooks/{source}": "IngestFunction",
		"GET /unsubscribe":        "UnsubscribeFunction",
		"POST /unsubscribe":       "UnsubscribeFunction",
	} {
		if routes[key] != fn {
			t.Errorf("route %s → %q, want %s", key, routes[key], fn)
		}
	}
	res := Resolver{T: tp}
	base := "https://httpapi.execute-api.eu-west-1.amazonaws.com"
	check := func(what string, v any, method string) {
		u, err := res.String(v)
		if err != nil {
			t.Errorf("%s: %v", what, err)
			return
		}
		path, ok := strings.CutPrefix(u, base)
		if !ok {
			t.Errorf("%s = %s: not a URL of the template's HTTP API", what, u)
			return
		}
		for key := range routes {
			m, p, _ := strings.Cut(key, " ")
			if m == method && (p == path || strings.HasSuffix(p, "/{source}") && strings.HasPrefix(path, strings.TrimSuffix(p, "{source}")) && !strings.Contains(strings.TrimPrefix(path, strings.TrimSuffix(p, "{source}")), "/")) {
				return
			}
		}
		t.Errorf("%s = %s: no %s route serves %s", what, u, method, path)
	}
	for _, out := range []string{"ShopifyWebhookUrl", "WooCommerceWebhookUrl", "StandardWebhookUrl"} {
		check("Outputs."+out, Get(tp.Raw, "Outputs", out, "Value"), "POST")
	}
	check("Outputs.UnsubscribeUrl", Get(tp.Raw, "Outputs", "UnsubscribeUrl", "Value"), "POST")
	send, _ := tp.Resource("SendFunction")
	check("SendFunction UNSUBSCRIBE_URL", Get(send.Properties, "Environment", "Variables", "UNSUBSCRIBE_URL"), "GET")
	check("SendFunction UNSUBSCRIBE_URL", Get(send.Properties, "Environment", "Variables", "UNSUBSCRIBE_URL"), "POST")
}

// TestFeedbackWiring: the configuration set every email names sends
// bounces and complaints to EventBridge, and the feedback function's rule
// takes exactly the detail types it handles.
func TestFeedbackWiring(t *testing.T) {
	tp := load(t)
	send, _ := tp.Resource("SendFunction")
	if got := Get(send.Properties, "Environment", "Variables", "CONFIGURATION_SET", "Ref"); got == nil {
		t.Fatalf("SendFunction CONFIGURATION_SET is not a !Ref to the configuration set")
	} else if r, ok := tp.Resource(got.(string)); !ok || r.Type != "AWS::SES::ConfigurationSet" {
		t.Fatalf("CONFIGURATION_SET refers to %v, not an AWS::SES::ConfigurationSet", got)
	}
	var dest map[string]any
	for _, d := range tp.Resources("AWS::SES::ConfigurationSetEventDestination") {
		if Get(d.Properties, "ConfigurationSetName", "Ref") == Get(send.Properties, "Environment", "Variables", "CONFIGURATION_SET", "Ref") {
			dest, _ = Get(d.Properties, "EventDestination").(map[string]any)
		}
	}
	if dest == nil {
		t.Fatal("the configuration set has no event destination")
	}
	if Get(dest, "EventBridgeDestination", "EventBusArn") == nil || Get(dest, "Enabled") != true {
		t.Errorf("event destination is not an enabled EventBridge destination: %v", dest)
	}
	types := fmt.Sprint(Get(dest, "MatchingEventTypes"))
	for _, want := range []string{"bounce", "complaint"} {
		if !strings.Contains(types, want) {
			t.Errorf("MatchingEventTypes %s has no %s", types, want)
		}
	}
	fb, _ := tp.Resource("FeedbackFunction")
	events, _ := fb.Properties["Events"].(map[string]any)
	var pattern any
	for _, e := range events {
		if Get(e, "Type") == "EventBridgeRule" {
			pattern = Get(e, "Properties", "Pattern")
		}
	}
	if fmt.Sprint(Get(pattern, "source")) != "[aws.ses]" {
		t.Errorf("feedback rule source = %v, want [aws.ses]", Get(pattern, "source"))
	}
	if got := fmt.Sprint(Get(pattern, "detail-type")); got != "[Email Bounced Email Complaint Received]" {
		t.Errorf("feedback rule detail-type = %s", got)
	}
}

func TestOutputs(t *testing.T) {
	for _, p := range load(t).CheckOutputs() {
		t.Error(p)
	}
}

func TestParameters(t *testing.T) {
	tp := load(t)
	params, _ := tp.Raw["Parameters"].(map[string]any)
	for _, secret := range []string{"ShopifyWebhookSecret", "WooCommerceWebhookSecret", "StandardWebhookSecret", "UnsubscribeSecret"} {
		if Get(params, secret, "NoEcho") != true {
			t.Errorf("parameter %s is not NoEcho", secret)
		}
		if Get(params, secret, "Default") != nil {
			t.Errorf("parameter %s has a Default: a secret must come from the deployer", secret)
		}
	}
	for _, want := range []string{"SenderIdentity", "FromAddress", "ShopTimezone", "FrequencyCap", "QuietHours", "LogRetentionInDays", "AlarmEmail"} {
		if params[want] == nil {
			t.Errorf("no parameter %s", want)
		}
	}
	// Every parameter is used somewhere.
	b, _ := json.Marshal([]any{tp.Raw["Resources"], tp.Raw["Conditions"], tp.Raw["Globals"]})
	all := string(b)
	for name := range params {
		if !strings.Contains(all, `"Ref":"`+name+`"`) && !strings.Contains(all, "${"+name+"}") {
			t.Errorf("parameter %s is not used", name)
		}
	}
}

// getAtt reads a !GetAtt in either form goformation leaves it:
// "Id.Attr" or ["Id", "Attr"].
func getAtt(v any) (id, attr string) {
	switch a := Get(v, "Fn::GetAtt").(type) {
	case string:
		id, attr, _ = strings.Cut(a, ".")
	case []any:
		if len(a) == 2 {
			id, attr = fmt.Sprint(a[0]), fmt.Sprint(a[1])
		}
	}
	return id, attr
}
