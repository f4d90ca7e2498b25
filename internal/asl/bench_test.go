package asl

import (
	"context"
	"testing"
)

// BenchmarkEngine runs whole executions in virtual time.
func BenchmarkEngine(b *testing.B) {
	cases := []struct{ name, def, input string }{
		{"pass-chain", `{"StartAt":"A","States":{"A":{"Type":"Pass","Result":1,"ResultPath":"$.a","Next":"B"},"B":{"Type":"Pass","Parameters":{"x.$":"$.a","n.$":"$$.Execution.Name"},"ResultPath":"$.b","Next":"C"},"C":{"Type":"Succeed"}}}`, `{"k":"v"}`},
		{"journey", `{"StartAt":"Get","States":{
			"Get":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:getItem","Parameters":{"TableName":"t","Key":{"pk":{"S.$":"States.Format('PROFILE#{}', $.profile_key)"},"sk":{"S":"PROFILE"}}},
				"ResultSelector":{"view.$":"States.StringToJson($.Item.view.S)"},"ResultPath":"$.profile","Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.error","Next":"Fail"}],"Next":"Split"},
			"Split":{"Type":"Pass","Parameters":{"bucket.$":"States.MathRandom(0, 100)"},"ResultPath":"$.split","Next":"Wait"},
			"Wait":{"Type":"Wait","Seconds":14400,"Next":"Check"},
			"Check":{"Type":"Choice","Choices":[{"And":[{"Variable":"$.profile.view.email_ok","BooleanEquals":true},{"Variable":"$.split.bucket","NumericLessThan":50}],"Next":"Send"}],"Default":"Done"},
			"Send":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:send","Retry":[{"ErrorEquals":["States.ALL"],"JitterStrategy":"FULL","MaxDelaySeconds":60}],"ResultPath":null,"Next":"Done"},
			"Done":{"Type":"Succeed"},"Fail":{"Type":"Fail","Error":"NoProfile"}}}`, `{"profile_key":"abc"}`},
		{"map-10", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":{"StartAt":"X","States":{"X":{"Type":"Pass","Parameters":{"v.$":"$"},"End":true}}},"End":true}}}`, `{"items":[1,2,3,4,5,6,7,8,9,10]}`},
	}
	item := map[string]any{"Item": map[string]any{"view": map[string]any{"S": `{"email_ok":true}`}}}
	res := ResolverFunc(func(ctx context.Context, c TaskCall) (any, error) {
		if c.StateName == "Get" {
			return item, nil
		}
		return map[string]any{"ok": true}, nil
	})
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			sm := mustParse(b, tc.def)
			in := mustJSON(b, tc.input)
			e := NewEngine(EngineOptions{Resolver: res, NoHistory: true})
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				x, err := e.Start(ctx, sm, "", in)
				if err != nil {
					b.Fatal(err)
				}
				e.RunUntilIdle(ctx)
				if x.Status != StatusSucceeded {
					b.Fatalf("%s %s %s", x.Status, x.Error, x.Cause)
				}
			}
		})
	}
}
