package samtemplate

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/parcours/parcours/internal/emf"
	"github.com/parcours/parcours/internal/journey"
	"github.com/parcours/parcours/internal/journey/contract"
	"github.com/parcours/parcours/internal/router"
)

// The checks below read a template without an AWS account and return the
// problems they find, one sentence each (none: the template passes). The
// tests of this package run them on the repository's template.yaml;
// CheckJourneys runs those a new journey could break on any checkout, so
// a test can prove that adding a journey needs no hand edit.

// CheckJourneys loads root/template.yaml and runs every check that
// depends on the journeys against root's statemachines/: state machines
// and their definitions, the router's ARNs and StartExecution scope,
// alarms, IAM, outputs, the dashboard's AWS metrics, and that the
// hand-written part of the template names no journey.
func CheckJourneys(root string) ([]string, error) {
	tp, err := Load(filepath.Join(root, "template.yaml"))
	if err != nil {
		return nil, err
	}
	m, err := router.LoadManifest(os.DirFS(filepath.Join(root, "statemachines")), "triggers.json")
	if err != nil {
		return nil, err
	}
	doc, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	var p []string
	p = append(p, tp.CheckStateMachines(root)...)
	p = append(p, tp.CheckRouter(m)...)
	p = append(p, tp.CheckAlarms()...)
	p = append(p, tp.CheckIAM()...)
	p = append(p, tp.CheckOutputs()...)
	p = append(p, tp.CheckDashboardResources()...)
	p = append(p, CheckHandWritten(string(doc), m)...)
	return p, nil
}

var placeholder = regexp.MustCompile(`\$\{([^}]+)\}`)

// CheckStateMachines: every root/statemachines/*.asl.json is declared and
// every declared DefinitionUri exists; each definition's ${…}
// placeholders all have a substitution (and every substitution is used);
// each state machine is STANDARD, traced, logged, with the live alias.
func (t *Template) CheckStateMachines(root string) []string {
	var p []string
	files, err := filepath.Glob(filepath.Join(root, "statemachines", "*.asl.json"))
	if err != nil {
		return []string{err.Error()}
	}
	onDisk := map[string]bool{}
	for _, f := range files {
		onDisk["statemachines/"+filepath.Base(f)] = true
	}
	declared := map[string]bool{}
	for _, sm := range t.Resources("AWS::Serverless::StateMachine") {
		bad := func(format string, args ...any) { p = append(p, sm.ID+": "+fmt.Sprintf(format, args...)) }
		uri, ok := sm.Properties["DefinitionUri"].(string)
		if !ok {
			bad("DefinitionUri = %v, want a path", sm.Properties["DefinitionUri"])
			continue
		}
		declared[uri] = true
		def, err := os.ReadFile(filepath.Join(root, uri))
		if err != nil {
			bad("DefinitionUri: %v", err)
			continue
		}
		subs, _ := sm.Properties["DefinitionSubstitutions"].(map[string]any)
		used := map[string]bool{}
		for _, m := range placeholder.FindAllSubmatch(def, -1) {
			name := string(m[1])
			if !used[name] {
				if _, ok := subs[name]; !ok {
					bad("%s uses ${%s}: no DefinitionSubstitutions entry", uri, name)
				}
			}
			used[name] = true
		}
		for _, name := range sortedKeys(subs) {
			if !used[name] {
				bad("DefinitionSubstitutions.%s is not used by %s", name, uri)
			}
		}
		for _, c := range []struct {
			path []string
			want string
		}{
			{[]string{"Type"}, "STANDARD"},
			{[]string{"AutoPublishAlias"}, journey.Alias},
			{[]string{"Tracing", "Enabled"}, "true"},
		} {
			if got := fmt.Sprint(Get(sm.Properties, c.path...)); got != c.want {
				bad("%s = %s, want %s", strings.Join(c.path, "."), got, c.want)
			}
		}
		dest, _ := Get(sm.Properties, "Logging", "Destinations").([]any)
		if len(dest) == 0 || Get(dest[0], "CloudWatchLogsLogGroup", "LogGroupArn") == nil {
			bad("Logging has no CloudWatch Logs destination")
		}
	}
	for _, f := range sortedKeys(onDisk) {
		if !declared[f] {
			p = append(p, f+" is not declared in template.yaml (run make statemachines)")
		}
	}
	for _, f := range sortedKeys(declared) {
		if !onDisk[f] {
			p = append(p, "template.yaml declares "+f+", which does not exist")
		}
	}
	return p
}

// CheckRouter: the router's STATE_MACHINE_ARNS, read by the router's own
// configuration code, names for every journey of the manifest the live
// alias of that journey's state machine; its StartExecution statement
// covers exactly those state machines, only through the alias.
func (t *Template) CheckRouter(m contract.Manifest) []string {
	var p []string
	fn, ok := t.Resource("RouterFunction")
	if !ok {
		return []string{"no RouterFunction"}
	}
	s, err := Resolver{T: t}.String(Get(fn.Properties, "Environment", "Variables", "STATE_MACHINE_ARNS"))
	if err != nil {
		return []string{"RouterFunction STATE_MACHINE_ARNS: " + err.Error()}
	}
	arns, err := router.ParseStateMachineARNs(s, m)
	if err != nil {
		return []string{"RouterFunction: " + err.Error()}
	}
	want := map[string]bool{}
	for _, j := range m.Journeys {
		sm, ok := t.Resource(j.StateMachine)
		if !ok || sm.Type != "AWS::Serverless::StateMachine" {
			p = append(p, fmt.Sprintf("journey %s: state machine %s is not declared", j.Journey, j.StateMachine))
			continue
		}
		want[fmt.Sprint(map[string]any{"Ref": j.StateMachine})] = true
		alias, _ := sm.Properties["AutoPublishAlias"].(string)
		if w := "arn:aws:local:" + j.StateMachine + ":" + alias; arns[j.Journey] != w {
			p = append(p, fmt.Sprintf("journey %s starts on %s, want %s (its %s alias)", j.Journey, arns[j.Journey], w, journey.Alias))
		}
	}
	var starts []any
	for _, pol := range list(fn.Properties["Policies"]) {
		for _, st := range list(Get(pol, "Statement")) {
			if !containsAny(list(Get(st, "Action")), "states:StartExecution") {
				continue
			}
			if q := Get(st, "Condition", "StringEquals", "states:StateMachineQualifier"); q != journey.Alias {
				p = append(p, fmt.Sprintf("RouterFunction may StartExecution with qualifier %v, want only %s", q, journey.Alias))
			}
			starts = append(starts, list(Get(st, "Resource"))...)
		}
	}
	got := map[string]bool{}
	for _, r := range starts {
		k := fmt.Sprint(r)
		got[k] = true
		if !want[k] {
			p = append(p, fmt.Sprintf("RouterFunction may StartExecution on %s, which is no journey's state machine", k))
		}
	}
	for _, k := range sortedKeys(want) {
		if !got[k] {
			p = append(p, fmt.Sprintf("RouterFunction may not StartExecution on %s", k))
		}
	}
	return p
}

func containsAny(vs []any, s string) bool {
	for _, v := range vs {
		if fmt.Sprint(v) == s {
			return true
		}
	}
	return false
}

// AlarmMetrics lists "namespace metric dimension=value" of every metric
// an alarm reads (plain or inside Metrics).
func AlarmMetrics(a Resource) []string {
	var out []string
	add := func(ns, name, dims any) {
		s := fmt.Sprint(ns, " ", name)
		for _, d := range list(dims) {
			s += fmt.Sprint(" ", Get(d, "Name"), "=", Get(d, "Value"))
		}
		out = append(out, s)
	}
	if a.Properties["MetricName"] != nil {
		add(a.Properties["Namespace"], a.Properties["MetricName"], a.Properties["Dimensions"])
	}
	for _, m := range list(a.Properties["Metrics"]) {
		if ms := Get(m, "MetricStat", "Metric"); ms != nil {
			add(Get(ms, "Namespace"), Get(ms, "MetricName"), Get(ms, "Dimensions"))
		}
	}
	return out
}

// Limits of PutMetricAlarm's Metrics (CloudWatch, hard): at most 10
// metrics and at most 10 expressions, exactly one of them returned.
const (
	maxAlarmMetrics     = 10
	maxAlarmExpressions = 10
)

// CheckAlarms: the alarms the issue lists exist, read metrics of this
// stack (every function's errors, every state machine's failed and timed
// out executions, the queue's depth, the API's 5xx rate, SES reputation),
// notify the SNS topic, and stay within CloudWatch's metric math limits.
func (t *Template) CheckAlarms() []string {
	var p []string
	topic := ""
	for _, r := range t.Resources("AWS::SNS::Topic") {
		topic = r.ID
	}
	if topic == "" {
		return []string{"no SNS topic for alarms"}
	}
	covered := map[string]bool{}
	for _, a := range t.Resources("AWS::CloudWatch::Alarm") {
		actions := list(a.Properties["AlarmActions"])
		if len(actions) == 0 || fmt.Sprint(Get(actions[0], "Ref")) != topic {
			p = append(p, fmt.Sprintf("alarm %s does not notify %s", a.ID, topic))
		}
		metrics, exprs, returned := 0, 0, 0
		for _, m := range list(a.Properties["Metrics"]) {
			if Get(m, "MetricStat") != nil {
				metrics++
			}
			if Get(m, "Expression") != nil {
				exprs++
			}
			if Get(m, "ReturnData") != false {
				returned++
			}
		}
		if metrics > maxAlarmMetrics || exprs > maxAlarmExpressions {
			p = append(p, fmt.Sprintf("alarm %s reads %d metrics with %d expressions: CloudWatch allows at most %d and %d", a.ID, metrics, exprs, maxAlarmMetrics, maxAlarmExpressions))
		}
		if a.Properties["Metrics"] != nil && returned != 1 {
			p = append(p, fmt.Sprintf("alarm %s returns %d of its Metrics, want exactly 1", a.ID, returned))
		}
		for _, m := range AlarmMetrics(a) {
			covered[m] = true
		}
	}
	ref := func(id string) string { return fmt.Sprint(map[string]any{"Ref": id}) }
	want := []string{
		"AWS/ApiGateway 5xx ApiId=" + ref("HttpApi"),
		"AWS/ApiGateway Count ApiId=" + ref("HttpApi"),
		"AWS/SES Reputation.BounceRate",
		"AWS/SES Reputation.ComplaintRate",
	}
	for _, f := range t.Resources("AWS::Serverless::Function") {
		want = append(want, "AWS/Lambda Errors FunctionName="+ref(f.ID))
	}
	for _, sm := range t.Resources("AWS::Serverless::StateMachine") {
		want = append(want, "AWS/States ExecutionsFailed StateMachineArn="+ref(sm.ID), "AWS/States ExecutionsTimedOut StateMachineArn="+ref(sm.ID))
	}
	for _, q := range t.Resources("AWS::SQS::Queue") {
		want = append(want, "AWS/SQS ApproximateNumberOfMessagesVisible QueueName="+fmt.Sprint(map[string]any{"Fn::GetAtt": q.ID + ".QueueName"}))
	}
	for _, w := range want {
		if !covered[w] {
			p = append(p, "no alarm reads "+w)
		}
	}
	for id, th := range map[string]float64{"SesBounceRateAlarm": 0.05, "SesComplaintRateAlarm": 0.001, "ApiServerErrorRateAlarm": 5} {
		a, ok := t.Resource(id)
		if !ok || a.Properties["Threshold"] != th {
			p = append(p, fmt.Sprintf("alarm %s threshold = %v, want %v", id, a.Properties["Threshold"], th))
		}
	}
	sort.Strings(p)
	return p
}

// noResourceScope are the actions IAM only grants on "*": the log
// delivery actions Step Functions logging needs and X-Ray's writes
// (https://docs.aws.amazon.com/service-authorization/latest/reference/).
var noResourceScope = map[string]bool{
	"logs:CreateLogDelivery": true, "logs:GetLogDelivery": true, "logs:UpdateLogDelivery": true,
	"logs:DeleteLogDelivery": true, "logs:ListLogDeliveries": true, "logs:PutResourcePolicy": true,
	"logs:DescribeResourcePolicies": true, "logs:DescribeLogGroups": true,
	"xray:PutTraceSegments": true, "xray:PutTelemetryRecords": true,
	"xray:GetSamplingRules": true, "xray:GetSamplingTargets": true,
}

// samPolicyTemplates are the SAM policy templates the template may use,
// each with the parameter that scopes it.
var samPolicyTemplates = map[string]string{
	"DynamoDBReadPolicy": "TableName", "DynamoDBCrudPolicy": "TableName", "DynamoDBWritePolicy": "TableName",
	"LambdaInvokePolicy": "FunctionName", "SQSSendMessagePolicy": "QueueName",
	"StepFunctionsExecutionPolicy": "StateMachineName", "SESCrudPolicy": "IdentityName",
}

func list(v any) []any {
	if a, ok := v.([]any); ok {
		return a
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

// StatementProblems says what is wrong with one IAM statement.
func StatementProblems(st any) []string {
	var out []string
	if Get(st, "Effect") != "Allow" {
		return nil // a Deny only narrows
	}
	if Get(st, "NotAction") != nil || Get(st, "NotResource") != nil {
		out = append(out, "NotAction/NotResource grant more than they name")
	}
	actions := list(Get(st, "Action"))
	if len(actions) == 0 {
		out = append(out, "no Action")
	}
	allUnscoped := len(actions) > 0
	for _, a := range actions {
		s := fmt.Sprint(a)
		if s == "*" || strings.HasSuffix(s, ":*") {
			out = append(out, fmt.Sprintf("action %s grants a whole service", s))
		}
		if !noResourceScope[s] {
			allUnscoped = false
		}
	}
	resources := list(Get(st, "Resource"))
	if len(resources) == 0 {
		out = append(out, "no Resource")
	}
	for _, r := range resources {
		if s, ok := r.(string); ok && (s == "*" || strings.HasSuffix(s, ":*")) && !allUnscoped {
			out = append(out, fmt.Sprintf("Resource %q for %v, which can be scoped", s, actions))
		}
	}
	return out
}

// PolicyProblems says what is wrong with one entry of a SAM Policies list.
func PolicyProblems(p any) []string {
	switch x := p.(type) {
	case string:
		if strings.Contains(x, "FullAccess") || strings.Contains(x, "AdministratorAccess") || strings.Contains(x, "PowerUser") {
			return []string{"managed policy " + x}
		}
		return []string{"managed policy " + x + ": use a statement scoped to this stack"}
	case map[string]any:
		if sts, ok := x["Statement"]; ok {
			var out []string
			for _, st := range list(sts) {
				out = append(out, StatementProblems(st)...)
			}
			return out
		}
		if len(x) != 1 {
			return []string{fmt.Sprintf("unrecognized policy %v", x)}
		}
		for name, arg := range x {
			param, ok := samPolicyTemplates[name]
			if !ok {
				return []string{"SAM policy template " + name + " is not on the reviewed list"}
			}
			if Get(arg, param) == nil {
				return []string{fmt.Sprintf("SAM policy template %s without %s: it would default to every resource", name, param)}
			}
		}
	}
	return nil
}

// CheckIAM: every policy of every function and state machine is a scoped
// statement or a reviewed SAM policy template with its scope; no managed
// policies; IAM resources' statements are scoped too.
func (t *Template) CheckIAM() []string {
	var p []string
	n := 0
	for _, typ := range []string{"AWS::Serverless::Function", "AWS::Serverless::StateMachine"} {
		for _, r := range t.Resources(typ) {
			policies := list(r.Properties["Policies"])
			if len(policies) == 0 {
				p = append(p, r.ID+" has no Policies")
			}
			for i, pol := range policies {
				n++
				for _, problem := range PolicyProblems(pol) {
					p = append(p, fmt.Sprintf("%s Policies[%d]: %s", r.ID, i, problem))
				}
			}
		}
	}
	for _, typ := range []string{"AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"} {
		for _, r := range t.Resources(typ) {
			for _, ref := range list(r.Properties["ManagedPolicyArns"]) {
				for _, problem := range PolicyProblems(ref) {
					p = append(p, r.ID+": "+problem)
				}
			}
			for _, pol := range append(list(r.Properties["Policies"]), r.Properties["PolicyDocument"]) {
				doc := Get(pol, "PolicyDocument")
				if doc == nil {
					doc = pol
				}
				for _, st := range list(Get(doc, "Statement")) {
					for _, problem := range StatementProblems(st) {
						p = append(p, r.ID+": "+problem)
					}
				}
			}
		}
	}
	if n < 10 {
		p = append(p, fmt.Sprintf("only %d policies checked", n))
	}
	return p
}

// CheckOutputs: the outputs a deployer needs exist, every state machine's
// ARN is an output, and every output resolves.
func (t *Template) CheckOutputs() []string {
	var p []string
	outs, _ := t.Raw["Outputs"].(map[string]any)
	for _, want := range []string{"ShopifyWebhookUrl", "WooCommerceWebhookUrl", "StandardWebhookUrl", "TableName", "DashboardUrl"} {
		if outs[want] == nil {
			p = append(p, "no output "+want)
		}
	}
	for _, sm := range t.Resources("AWS::Serverless::StateMachine") {
		o := outs[sm.ID+"Arn"]
		if fmt.Sprint(Get(o, "Value")) != fmt.Sprint(map[string]any{"Ref": sm.ID}) {
			p = append(p, fmt.Sprintf("output %sArn = %v, want !Ref %s", sm.ID, Get(o, "Value"), sm.ID))
		}
	}
	res := Resolver{T: t}
	for _, name := range sortedKeys(outs) {
		if _, err := res.String(Get(outs[name], "Value")); err != nil {
			p = append(p, fmt.Sprintf("output %s: %v", name, err))
		}
	}
	return p
}

// Widget is one dashboard widget, as far as the checks read it.
type Widget struct {
	Type       string
	Properties struct {
		Title   string
		Metrics [][]any
	}
}

// Dashboard resolves the DashboardBody of the Dashboard resource and
// decodes its widgets.
func (t *Template) Dashboard() ([]Widget, error) {
	d, ok := t.Resource("Dashboard")
	if !ok || d.Type != "AWS::CloudWatch::Dashboard" {
		return nil, fmt.Errorf("no AWS::CloudWatch::Dashboard Dashboard")
	}
	body, err := Resolver{T: t}.String(d.Properties["DashboardBody"])
	if err != nil {
		return nil, fmt.Errorf("DashboardBody: %w", err)
	}
	var doc struct{ Widgets []Widget }
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		return nil, fmt.Errorf("DashboardBody is not a dashboard: %w", err)
	}
	return doc.Widgets, nil
}

// Shown is one Parcours metric the dashboard reads.
type Shown struct {
	Name   string
	Dims   []string
	Widget string
	// FromLogs: an AWS::Logs::MetricFilter of the template writes this
	// metric (journeys exited/completed, from the execution logs), not
	// the code's EMF lines.
	FromLogs bool
}

// LogMetrics returns the "namespace name" of every metric the template's
// AWS::Logs::MetricFilter resources write, with the filter's ID.
func (t *Template) LogMetrics() map[string]string {
	out := map[string]string{}
	for _, f := range t.Resources("AWS::Logs::MetricFilter") {
		ts, _ := Get(f.Properties, "MetricTransformations").([]any)
		for _, tr := range ts {
			ns, _ := Get(tr, "MetricNamespace").(string)
			name, _ := Get(tr, "MetricName").(string)
			out[ns+" "+name] = f.ID
		}
	}
	return out
}

var insights = regexp.MustCompile(`^SELECT (SUM|AVG|MIN|MAX|COUNT)\((\w+)\) FROM SCHEMA\(Parcours((?:, \w+)*)\)(?: GROUP BY (\w+(?:, \w+)*))?$`)

// awsMetrics are the AWS metrics the dashboard may name, by namespace,
// with their dimension (CloudWatch documentation of each service).
var awsMetrics = map[string]map[string]string{
	"AWS/Lambda":     {"Errors": "FunctionName", "Duration": "FunctionName", "Throttles": "FunctionName", "Invocations": "FunctionName", "IteratorAge": "FunctionName", "ConcurrentExecutions": "FunctionName"},
	"AWS/States":     {"ExecutionsStarted": "StateMachineArn", "ExecutionsSucceeded": "StateMachineArn", "ExecutionsFailed": "StateMachineArn", "ExecutionsAborted": "StateMachineArn", "ExecutionsTimedOut": "StateMachineArn", "ExecutionThrottled": "StateMachineArn"},
	"AWS/ApiGateway": {"Count": "ApiId", "4xx": "ApiId", "5xx": "ApiId", "Latency": "ApiId", "IntegrationLatency": "ApiId"},
	"AWS/SQS":        {"ApproximateNumberOfMessagesVisible": "QueueName", "ApproximateAgeOfOldestMessage": "QueueName"},
	"AWS/SES":        {"Reputation.BounceRate": "", "Reputation.ComplaintRate": "", "Send": "", "Bounce": "", "Complaint": ""},
}

// ReadDashboard sorts the dashboard's metrics into the Parcours metrics it
// shows (Metrics Insights queries over SCHEMA(Parcours, …) or plain
// Parcours metrics) and the AWS metrics (namespace metric → dimension →
// resolved values), with what is malformed.
func (t *Template) ReadDashboard() (parcours []Shown, aws map[string]map[string][]string, problems []string) {
	aws = map[string]map[string][]string{}
	widgets, err := t.Dashboard()
	if err != nil {
		return nil, aws, []string{err.Error()}
	}
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	fromLogs := t.LogMetrics()
	for _, w := range widgets {
		for _, m := range w.Properties.Metrics {
			if len(m) == 0 {
				continue
			}
			if opts, ok := m[0].(map[string]any); ok {
				q, _ := opts["expression"].(string)
				g := insights.FindStringSubmatch(q)
				if g == nil {
					bad("widget %q: expression %q is not a Metrics Insights query over SCHEMA(Parcours, …) this check reads", w.Properties.Title, q)
					continue
				}
				dims := strings.Split(strings.TrimPrefix(g[3], ", "), ", ")
				if g[3] == "" {
					dims = nil
				}
				if !sort.StringsAreSorted(dims) {
					bad("widget %q: SCHEMA dimensions %v not sorted", w.Properties.Title, dims)
				}
				for _, gb := range strings.Split(g[4], ", ") {
					if gb != "" && !containsString(dims, gb) {
						bad("widget %q: GROUP BY %s is not a SCHEMA dimension", w.Properties.Title, gb)
					}
				}
				parcours = append(parcours, Shown{Name: g[2], Dims: dims, Widget: w.Properties.Title})
				continue
			}
			var parts []string
			for _, p := range m {
				if s, ok := p.(string); ok {
					parts = append(parts, s)
				}
			}
			if len(parts) < 2 || len(parts)%2 != 0 {
				bad("widget %q: metric %v is not [namespace, name, dim, value…]", w.Properties.Title, m)
				continue
			}
			ns, name := parts[0], parts[1]
			var dims []string
			for i := 2; i < len(parts); i += 2 {
				dims = append(dims, parts[i])
			}
			if ns == emf.Namespace {
				_, logs := fromLogs[ns+" "+name]
				parcours = append(parcours, Shown{Name: name, Dims: dims, Widget: w.Properties.Title, FromLogs: logs})
				continue
			}
			dim, ok := awsMetrics[ns][name]
			if !ok {
				bad("widget %q: %s %s is not a metric of that namespace", w.Properties.Title, ns, name)
				continue
			}
			if dim == "" && len(dims) != 0 || dim != "" && (len(parts) != 4 || dims[0] != dim) {
				bad("widget %q: %s %s with dimensions %v, want [%s]", w.Properties.Title, ns, name, dims, dim)
				continue
			}
			if aws[ns+" "+name] == nil {
				aws[ns+" "+name] = map[string][]string{}
			}
			if len(parts) == 4 {
				aws[ns+" "+name][parts[2]] = append(aws[ns+" "+name][parts[2]], parts[3])
			}
		}
	}
	return parcours, aws, problems
}

// CheckDashboardResources: the dashboard's AWS metrics are well formed,
// name resources of this stack, and cover every state machine (failed,
// timed out) and every function (errors, duration); every state machine
// logs at level ALL to its log group, whose metric filters count the
// executions that exited and completed, both on the dashboard.
func (t *Template) CheckDashboardResources() []string {
	shown, aws, p := t.ReadDashboard()
	res := Resolver{T: t}
	ref := func(id string) string { s, _ := res.String(map[string]any{"Ref": id}); return s }
	onDash := map[string]bool{}
	for _, s := range shown {
		if s.FromLogs {
			onDash[s.Name] = true
		}
	}
	for _, sm := range t.Resources("AWS::Serverless::StateMachine") {
		for _, m := range []string{"ExecutionsFailed", "ExecutionsTimedOut"} {
			if !containsString(aws["AWS/States "+m]["StateMachineArn"], ref(sm.ID)) {
				p = append(p, fmt.Sprintf("the dashboard has no %s for %s", m, sm.ID))
			}
		}
		p = append(p, t.checkJourneyCounts(sm, onDash)...)
	}
	for _, f := range t.Resources("AWS::Serverless::Function") {
		for _, m := range []string{"Errors", "Duration"} {
			if !containsString(aws["AWS/Lambda "+m]["FunctionName"], ref(f.ID)) {
				p = append(p, fmt.Sprintf("the dashboard has no %s for %s", m, f.ID))
			}
		}
	}
	for _, key := range sortedKeys(aws) {
		for _, dim := range sortedKeys(aws[key]) {
			for _, v := range aws[key][dim] {
				if !strings.HasPrefix(v, "arn:aws:local:") && v != "httpapi" {
					p = append(p, fmt.Sprintf("%s %s=%s: not a resource of this stack", key, dim, v))
				}
			}
		}
	}
	return p
}

// CheckHandWritten: outside its generated regions, template.yaml names
// no journey of the manifest and no journey's state machine, so adding or
// removing a journey never needs a hand edit.
func CheckHandWritten(doc string, m contract.Manifest) []string {
	var p []string
	var names []*regexp.Regexp
	for _, j := range m.Journeys {
		for _, n := range []string{j.Journey, j.StateMachine} {
			names = append(names, regexp.MustCompile(`(^|[^A-Za-z0-9-])`+regexp.QuoteMeta(n)+`($|[^A-Za-z0-9-])`))
		}
	}
	gen := journey.Generated(doc)
	for i, line := range strings.Split(doc, "\n") {
		if gen[i] {
			continue
		}
		for _, re := range names {
			if re.MatchString(line) {
				p = append(p, fmt.Sprintf("template.yaml:%d names a journey outside the generated regions: %s", i+1, strings.TrimSpace(line)))
				break
			}
		}
	}
	return p
}

func containsString(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkJourneyCounts: sm logs every event (Level ALL, no execution data)
// to a log group with exactly one metric filter per outcome — exited and
// completed, with the patterns the compiler writes — each writing one
// Parcours metric, without dimensions, that the dashboard shows.
func (t *Template) checkJourneyCounts(sm Resource, onDash map[string]bool) []string {
	var p []string
	bad := func(format string, args ...any) {
		p = append(p, sm.ID+": "+fmt.Sprintf(format, args...))
	}
	if lvl := fmt.Sprint(Get(sm.Properties, "Logging", "Level")); lvl != "ALL" {
		bad("Logging.Level = %s, want ALL (journeys exited and completed are counted from SucceedStateEntered, logged only at ALL)", lvl)
	}
	if inc := fmt.Sprint(Get(sm.Properties, "Logging", "IncludeExecutionData")); inc != "false" {
		bad("Logging.IncludeExecutionData = %s, want false (execution data holds customer addresses)", inc)
	}
	dest, _ := Get(sm.Properties, "Logging", "Destinations").([]any)
	var group string
	if len(dest) > 0 {
		switch att := Get(dest[0], "CloudWatchLogsLogGroup", "LogGroupArn", "Fn::GetAtt").(type) {
		case []any:
			if len(att) == 2 {
				group, _ = att[0].(string)
			}
		case string:
			group, _, _ = strings.Cut(att, ".")
		}
	}
	found := map[string]int{}
	for _, f := range t.Resources("AWS::Logs::MetricFilter") {
		if g, _ := Get(f.Properties, "LogGroupName", "Ref").(string); g == "" || g != group {
			continue
		}
		pattern, _ := Get(f.Properties, "FilterPattern").(string)
		var kind string
		switch pattern {
		case journey.ExitedPattern:
			kind = "exited"
		case journey.CompletedPattern:
			kind = "completed"
		default:
			bad("metric filter %s has pattern %q, not one of the compiler's", f.ID, pattern)
			continue
		}
		found[kind]++
		ts, _ := Get(f.Properties, "MetricTransformations").([]any)
		if len(ts) != 1 {
			bad("metric filter %s has %d metric transformations, want 1", f.ID, len(ts))
			continue
		}
		ns, _ := Get(ts[0], "MetricNamespace").(string)
		name, _ := Get(ts[0], "MetricName").(string)
		if ns != journey.MetricNamespace || Get(ts[0], "Dimensions") != nil || fmt.Sprint(Get(ts[0], "MetricValue")) != "1" {
			bad("metric filter %s writes %s %s (value %v, dimensions %v), want namespace %s, value 1, no dimensions", f.ID, ns, name, Get(ts[0], "MetricValue"), Get(ts[0], "Dimensions"), journey.MetricNamespace)
		}
		if !onDash[name] {
			bad("the dashboard does not show %s (metric filter %s)", name, f.ID)
		}
	}
	for _, kind := range []string{"exited", "completed"} {
		if found[kind] != 1 {
			bad("%d metric filters count journeys %s on its log group %s, want 1", found[kind], kind, group)
		}
	}
	return p
}
