package samtemplate

import (
	"fmt"
	"testing"
)

// alarmMetrics lists "namespace metric dimension=value" of every metric
// an alarm reads (plain or inside Metrics), by alarm.
func alarmMetrics(a Resource) []string {
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

// TestAlarms: the alarms the issue lists exist, read metrics of this
// stack, and notify the SNS topic.
func TestAlarms(t *testing.T) {
	tp := load(t)
	topic := ""
	for _, r := range tp.Resources("AWS::SNS::Topic") {
		topic = r.ID
	}
	if topic == "" {
		t.Fatal("no SNS topic for alarms")
	}
	covered := map[string]bool{}
	for _, a := range tp.Resources("AWS::CloudWatch::Alarm") {
		actions := list(a.Properties["AlarmActions"])
		if len(actions) == 0 || fmt.Sprint(Get(actions[0], "Ref")) != topic {
			t.Errorf("alarm %s does not notify %s", a.ID, topic)
		}
		for _, m := range alarmMetrics(a) {
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
	for _, f := range tp.Resources("AWS::Serverless::Function") {
		want = append(want, "AWS/Lambda Errors FunctionName="+ref(f.ID))
	}
	for _, sm := range tp.Resources("AWS::Serverless::StateMachine") {
		want = append(want, "AWS/States ExecutionsFailed StateMachineArn="+ref(sm.ID), "AWS/States ExecutionsTimedOut StateMachineArn="+ref(sm.ID))
	}
	for _, q := range tp.Resources("AWS::SQS::Queue") {
		want = append(want, "AWS/SQS ApproximateNumberOfMessagesVisible QueueName="+fmt.Sprint(map[string]any{"Fn::GetAtt": q.ID + ".QueueName"}))
	}
	for _, w := range want {
		if !covered[w] {
			t.Errorf("no alarm reads %s", w)
		}
	}
	thresholds := map[string]float64{"SesBounceRateAlarm": 0.05, "SesComplaintRateAlarm": 0.001, "ApiServerErrorRateAlarm": 5}
	for id, th := range thresholds {
		a, ok := tp.Resource(id)
		if !ok || a.Properties["Threshold"] != th {
			t.Errorf("alarm %s threshold = %v, want %v", id, a.Properties["Threshold"], th)
		}
	}
}
