package journey

import (
	"encoding/json"
	"testing"

	"github.com/parcours/parcours/internal/asl"
	"github.com/parcours/parcours/internal/journey/contract"
	"github.com/parcours/parcours/internal/touchpoint"
)

// TestManifestFilter evaluates the router's filters the way the router
// does (asl.EvalChoice over the execution input): a trigger money field a
// journey compares as a number must be present and a string, or the read's
// States.StringToJson would fail the execution (States.Runtime cannot be
// caught) — so such an event never starts the journey.
func TestManifestFilter(t *testing.T) {
	m := BuildManifest(loadRepo(t))
	filter := func(name string) *asl.ChoiceRule {
		for _, mj := range m.Journeys {
			if mj.Journey == name {
				return mj.Filter
			}
		}
		t.Fatalf("journey %s not in the manifest", name)
		return nil
	}
	withTotal := func(total string) touchpoint.Event {
		ev := cartEvent(total)
		return ev
	}
	noCheckoutTotal := cartEvent("")
	noRecovery := cartEvent("59.90")
	noRecovery.Checkout.RecoveryURL = ""
	for _, c := range []struct {
		name    string
		journey string
		ev      touchpoint.Event
		want    bool
	}{
		{"checkout with a total starts abandoned-cart", "abandoned-cart", withTotal("59.90"), true},
		{"checkout without a total does not start abandoned-cart", "abandoned-cart", noCheckoutTotal, false},
		{"checkout without a recovery link does not start abandoned-cart", "abandoned-cart", noRecovery, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, _ := json.Marshal(contract.ExecutionInput{Journey: c.journey, ProfileKey: c.ev.Email, TriggerKey: "c-1", Trigger: c.ev})
			var in any
			_ = json.Unmarshal(b, &in)
			got, err := asl.EvalChoice(filter(c.journey), in, nil)
			if err != nil {
				t.Fatalf("filter: %v", err)
			}
			if got != c.want {
				t.Errorf("filter = %v, want %v", got, c.want)
			}
		})
	}
}
