package samtemplate

import "testing"

// TestAlarms: the alarms the issue lists exist, read metrics of this
// stack, notify the SNS topic and stay within CloudWatch's limits.
func TestAlarms(t *testing.T) {
	for _, p := range load(t).CheckAlarms() {
		t.Error(p)
	}
}
