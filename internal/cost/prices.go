// Package cost estimates what parcours costs to run on AWS: it runs each
// compiled journey's scenarios through the project's ASL engine in virtual
// time, counts what AWS bills (state transitions, Lambda requests and
// duration, DynamoDB request units, SES emails, API requests), measures the
// DynamoDB writes of real webhook deliveries against the embedded emulator,
// and prices it all at dated list prices.
package cost

// Prices is a dated list-price table. Every amount is in US dollars per one
// unit (one transition, one GB-second, one request, one request unit, one
// email).
type Prices struct {
	AsOf   string // the date the prices were checked
	Region string

	Transition     float64 // Step Functions Standard, per state transition
	LambdaGBSecond float64 // Lambda arm64 duration, per GB-second
	LambdaRequest  float64 // Lambda, per request
	WriteUnit      float64 // DynamoDB on-demand, per write request unit
	ReadUnit       float64 // DynamoDB on-demand, per read request unit
	StorageGBMonth float64 // DynamoDB Standard table class, per GB-month
	Email          float64 // SES outbound, per email
	APIRequest     float64 // API Gateway HTTP API, per request (first 300 million a month)

	// Sources lists where the prices come from.
	Sources []string
}

// ListPrices are AWS's public list prices in us-east-1 (no free tier, no
// savings plan), as checked on AsOf.
var ListPrices = Prices{
	AsOf:           "2026-11-22",
	Region:         "us-east-1",
	Transition:     0.025 / 1000,
	LambdaGBSecond: 0.0000133334,
	LambdaRequest:  0.20 / 1e6,
	WriteUnit:      0.625 / 1e6,
	ReadUnit:       0.125 / 1e6,
	StorageGBMonth: 0.25,
	Email:          0.10 / 1000,
	APIRequest:     1.00 / 1e6,
	Sources: []string{
		"https://aws.amazon.com/step-functions/pricing/ (Standard: $0.025 per 1,000 state transitions)",
		"https://aws.amazon.com/lambda/pricing/ (arm64: $0.0000133334 per GB-second, $0.20 per 1M requests)",
		"https://aws.amazon.com/dynamodb/pricing/on-demand/ ($0.625 per million WRU, $0.125 per million RRU, $0.25 per GB-month)",
		"https://aws.amazon.com/ses/pricing/ ($0.10 per 1,000 emails)",
		"https://aws.amazon.com/api-gateway/pricing/ (HTTP API: $1.00 per million requests)",
	},
}

// Klaviyo is the comparison point for a shop with 10,000 profiles.
type Klaviyo struct {
	Profiles int
	Monthly  float64
	Source   string
}

// KlaviyoReference is the figure parcours' design document uses. Klaviyo's
// own pricing page (https://www.klaviyo.com/pricing) was not reachable from
// the machine that wrote this; its plans are priced by active profiles
// since 2025-02-18 (https://help.klaviyo.com/hc/en-us/articles/33136281415451).
var KlaviyoReference = Klaviyo{
	Profiles: 10000,
	Monthly:  150,
	Source:   "the design document's ~$150/month for 10,000 profiles (Klaviyo bills by active profiles since 2025-02-18; pricing page not re-checked)",
}
