package ingest_test

import (
	"strings"
	"testing"
)

// A value the sender put where parcours expects a keyword is echoed to the
// sender, who needs it to fix the payload, but never logged: an address or
// a name in an unexpected field stays out of the logs. newEnv's cleanup
// fails the test if any log line holds an "@".
func TestRejectionReasonsLogNoValues(t *testing.T) {
	e := newEnv(t)
	r := fixture(t, "shopify/customers-update.json")
	body := strings.Replace(r.Body, `"state":"subscribed"`, `"state":"Ana Lovelace <ana@example.com>"`, 1)
	if body == r.Body {
		t.Fatal("fixture has no subscribed consent state to replace")
	}
	r = signedShopify("customers/update", body)

	status, got := e.post(t, r)
	want := `{"status":"rejected","reason":"email_marketing_consent.state: unknown consent state \"Ana Lovelace \u003cana@example.com\u003e\""}`
	if status != 400 || got != want {
		t.Fatalf("answer = %d %s, want 400 %s", status, got, want)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, `"reason":"email_marketing_consent.state: unknown consent state \"…\""`) {
		t.Errorf("the rejection is not logged with its value replaced:\n%s", logs)
	}
	for _, leak := range []string{"ana@example.com", "Lovelace"} {
		if strings.Contains(logs, leak) {
			t.Errorf("log holds %q:\n%s", leak, logs)
		}
	}
	if items := e.dump(t); len(items) != 0 {
		t.Errorf("%d items written by a rejected delivery", len(items))
	}
}

// A keyword-like value (an unknown topic, type or state spelled as the
// platforms spell theirs) stays in the log, for the engineer on call.
func TestRejectionReasonsLogKeywords(t *testing.T) {
	e := newEnv(t)
	r := fixture(t, "shopify/customers-update.json")
	r = signedShopify("customers/update", strings.Replace(r.Body, `"state":"subscribed"`, `"state":"double_opt_in"`, 1))
	status, got := e.post(t, r)
	if want := `{"status":"rejected","reason":"email_marketing_consent.state: unknown consent state \"double_opt_in\""}`; status != 400 || got != want {
		t.Fatalf("answer = %d %s, want 400 %s", status, got, want)
	}
	if logs := e.logs.String(); !strings.Contains(logs, `unknown consent state \"double_opt_in\"`) {
		t.Errorf("the keyword is not in the log:\n%s", logs)
	}
}
