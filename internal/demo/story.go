// Package demo is `make demo`: a scripted story of five customers replayed
// day by day through the dev stack's real HTTP webhook route, with the
// virtual clock moved between deliveries. It prints what happened (the
// webhooks, journeys started and exited, emails sent, skipped or deferred
// and why) and the outbox, and checks that the emails the story expects
// were sent — no more, no fewer.
//
// The deliveries are Standard Webhooks fixtures in events/demo/, signed
// with the dev secret at the virtual time they are posted; their editable
// bodies are in testdata/webhooks/ (go test ./internal/demo -update
// re-signs them).
package demo

import "time"

// Beat is one delivery of the story.
type Beat struct {
	Fixture string // file in events/demo/
	Note    string // what the customer did, in words
}

// Expect is what one customer's journey must have done by the end.
type Expect struct {
	Email   string
	Journey string
	// Steps are the emails sent, in order.
	Steps []string
	// Status is the execution's status at the end (RUNNING, SUCCEEDED).
	Status string
	// State, when set, is the state the execution ended in: it says why
	// (an exit such as "Exit: Ordered since start").
	State string
}

// Story is a scripted sequence of deliveries and what they must cause.
type Story struct {
	Beats []Beat
	// End is the virtual time the clock is moved to after the last beat.
	End    time.Time
	Expect []Expect
}

// Default is the demo's story: five customers, one per journey.
//
//   - Lucas orders on day 0 and never again: 60 days later the win-back
//     series starts (three emails, two weeks apart).
//   - Alice leaves a cart, gets the first reminder, and buys: the
//     abandoned-cart journey exits before the second email.
//   - Bob leaves a cart over 100 EUR and never buys: three reminders, the
//     second with a discount.
//   - Chloé's order is delivered: 14 days later the review request, five
//     days after that the reminder.
//   - Emma subscribes: the welcome series. She also looks at a teapot half
//     an hour later; the browse reminder would go out within 16 hours of
//     her welcome email, so it is deferred by the frequency cap and sent
//     the next morning.
//
// Every checkout and order carries the customer's marketing consent, so
// only Emma (who subscribes through the sign-up form) enters the welcome
// journey.
var Default = Story{
	Beats: []Beat{
		{"01-lucas-order-placed.json", "Lucas orders a linen apron"},
		{"02-alice-checkout-started.json", "Alice starts a checkout (2 mugs, 37 EUR) and leaves"},
		{"03-bob-checkout-started.json", "Bob starts a checkout (2 teapots, 128 EUR) and leaves"},
		{"04-alice-order-placed.json", "Alice comes back through the reminder and orders"},
		{"05-chloe-order-placed.json", "Chloé orders linen tea towels"},
		{"06-emma-subscribed.json", "Emma subscribes through the sign-up form"},
		{"07-emma-product-viewed.json", "Emma looks at the cast iron teapot"},
		{"08-chloe-order-delivered.json", "The carrier delivers Chloé's order"},
	},
	End: time.Date(2026, 4, 4, 9, 0, 0, 0, time.UTC),
	Expect: []Expect{
		{Email: "lucas@example.com", Journey: "win-back", Steps: []string{"win-back-1", "win-back-2", "win-back-3"}, Status: "SUCCEEDED"},
		{Email: "alice@example.com", Journey: "abandoned-cart", Steps: []string{"cart-reminder-1"}, Status: "SUCCEEDED", State: "Exit: Ordered since start"},
		{Email: "alice@example.com", Journey: "win-back", Status: "RUNNING"},
		{Email: "bob@example.com", Journey: "abandoned-cart", Steps: []string{"cart-reminder-1", "cart-reminder-2-discount", "cart-reminder-3"}, Status: "SUCCEEDED"},
		{Email: "chloe@example.com", Journey: "review-request", Steps: []string{"review-request-1", "review-request-2"}, Status: "SUCCEEDED"},
		{Email: "chloe@example.com", Journey: "win-back", Status: "RUNNING"},
		{Email: "emma@example.com", Journey: "welcome", Steps: []string{"welcome-1", "welcome-2", "welcome-3"}, Status: "SUCCEEDED"},
		{Email: "emma@example.com", Journey: "browse-abandonment", Steps: []string{"browse-reminder"}, Status: "SUCCEEDED"},
	},
}
