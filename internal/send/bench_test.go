package send_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/parcours/parcours/internal/journey/contract"
	"github.com/parcours/parcours/internal/mail"
	"github.com/parcours/parcours/internal/touchpoint"
	"github.com/parcours/parcours/journeys"
)

// BenchmarkSend is one full send (profile read, cap update, claim, render
// of cart-reminder-1, SES call, message update) against the local
// DynamoDB and SES endpoints: the cost of the gate without network.
func BenchmarkSend(b *testing.B) {
	e := newEnv(b)
	e.h.Renderer = mail.Renderer{FS: journeys.FS}
	e.h.Config.FrequencyCap = 0
	e.addProfile(b, "ana@example.com", touchpoint.ConsentSubscribed, "")
	in := contract.SendRequest{Journey: "abandoned-cart", Step: "cart-reminder-1", Template: "cart-reminder-1", Subject: "Hi {{.Profile.FirstName}}",
		Policy: contract.Policy{Consent: contract.ConsentSubscribed, FrequencyCap: true}, ProfileKey: "ana@example.com",
		Trigger: trigger(b, touchpoint.CheckoutStarted, "ana@example.com")}
	for i := 0; b.Loop(); i++ {
		in.Execution = "bench-" + strconv.Itoa(i)
		if out, err := e.h.Handle(context.Background(), in); err != nil || out.Status != contract.StatusSent {
			b.Fatalf("%+v %v", out, err)
		}
	}
}
