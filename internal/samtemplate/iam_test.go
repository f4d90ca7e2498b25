package samtemplate

import (
	"strings"
	"testing"
)

// TestIAMScoped: every policy of every function and state machine is a
// scoped statement or a reviewed SAM policy template with its scope; no
// managed policies.
func TestIAMScoped(t *testing.T) {
	for _, p := range load(t).CheckIAM() {
		t.Error(p)
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
			got := strings.Join(PolicyProblems(c.p), "; ")
			if c.want == "" && got != "" || !strings.Contains(got, c.want) {
				t.Errorf("problems = %q, want %q", got, c.want)
			}
		})
	}
}
