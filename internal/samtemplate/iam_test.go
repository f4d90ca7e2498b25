package samtemplate

import (
	"fmt"
	"strings"
	"testing"
)

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

// statementProblems says what is wrong with one IAM statement.
func statementProblems(st any) []string {
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

func policyProblems(p any) []string {
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
				out = append(out, statementProblems(st)...)
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

// TestIAMScoped: every policy of every function and state machine is a
// scoped statement or a reviewed SAM policy template with its scope; no
// managed policies.
func TestIAMScoped(t *testing.T) {
	tp := load(t)
	n := 0
	for _, typ := range []string{"AWS::Serverless::Function", "AWS::Serverless::StateMachine"} {
		for _, r := range tp.Resources(typ) {
			policies := list(r.Properties["Policies"])
			if len(policies) == 0 {
				t.Errorf("%s has no Policies", r.ID)
			}
			for i, p := range policies {
				n++
				for _, problem := range policyProblems(p) {
					t.Errorf("%s Policies[%d]: %s", r.ID, i, problem)
				}
			}
		}
	}
	for _, typ := range []string{"AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"} {
		for _, r := range tp.Resources(typ) {
			for _, ref := range list(r.Properties["ManagedPolicyArns"]) {
				for _, problem := range policyProblems(ref) {
					t.Errorf("%s: %s", r.ID, problem)
				}
			}
			for _, p := range append(list(r.Properties["Policies"]), r.Properties["PolicyDocument"]) {
				doc := Get(p, "PolicyDocument")
				if doc == nil {
					doc = p
				}
				for _, st := range list(Get(doc, "Statement")) {
					for _, problem := range statementProblems(st) {
						t.Errorf("%s: %s", r.ID, problem)
					}
				}
			}
		}
	}
	if n < 10 {
		t.Errorf("only %d policies checked", n)
	}
}

// TestStatementProblems: the checker itself catches what it must.
func TestStatementProblems(t *testing.T) {
	st := func(action, resource any) map[string]any {
		return map[string]any{"Effect": "Allow", "Action": action, "Resource": resource}
	}
	tableArn := map[string]any{"Fn::GetAtt": []any{"Table", "Arn"}}
	for _, c := range []struct {
		name string
		p    any
		want string
	}{
		{"scoped", map[string]any{"Statement": []any{st("dynamodb:GetItem", tableArn)}}, ""},
		{"star resource", map[string]any{"Statement": []any{st("dynamodb:GetItem", "*")}}, `Resource "*" for [dynamodb:GetItem], which can be scoped`},
		{"star mixed", map[string]any{"Statement": []any{st([]any{"logs:CreateLogDelivery", "ses:SendEmail"}, "*")}}, `Resource "*"`},
		{"log delivery", map[string]any{"Statement": []any{st([]any{"logs:CreateLogDelivery", "logs:DescribeLogGroups"}, "*")}}, ""},
		{"whole service", map[string]any{"Statement": []any{st("dynamodb:*", tableArn)}}, "action dynamodb:* grants a whole service"},
		{"no resource", map[string]any{"Statement": []any{map[string]any{"Effect": "Allow", "Action": "ses:SendEmail"}}}, "no Resource"},
		{"managed", "AmazonDynamoDBFullAccess", "managed policy AmazonDynamoDBFullAccess"},
		{"template unscoped", map[string]any{"DynamoDBCrudPolicy": map[string]any{}}, "without TableName"},
		{"template unknown", map[string]any{"AdministratorAccessPolicy": map[string]any{}}, "not on the reviewed list"},
		{"template scoped", map[string]any{"DynamoDBReadPolicy": map[string]any{"TableName": map[string]any{"Ref": "Table"}}}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := strings.Join(policyProblems(c.p), "; ")
			if c.want == "" && got != "" || !strings.Contains(got, c.want) {
				t.Errorf("problems = %q, want %q", got, c.want)
			}
		})
	}
}
