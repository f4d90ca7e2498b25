package devstack

import (
	"fmt"
	"io"
	"time"
)

// Banner writes what a developer needs at start: the URLs, the signing
// secrets (and where they come from), the AWS endpoints and ready curl
// lines that post samples from events/.
func (s *Stack) Banner(w io.Writer) {
	b := s.url
	fmt.Fprintf(w, "parcours dev: listening on %s\n\n", b)
	fmt.Fprintf(w, "Console:   %s/_dev/   (outbox, profiles, journeys)\n", b)
	speed := fmt.Sprintf("%g virtual seconds per second", s.cfg.Speed)
	if s.cfg.Speed == 0 {
		speed = "stopped: only advance moves it"
	}
	fmt.Fprintf(w, "Clock:     %s (%s)\n\n", s.Now().UTC().Format(time.RFC3339), speed)
	fmt.Fprintln(w, "Webhooks (POST, signed with these secrets):")
	sec := s.Secrets()
	for _, x := range []struct{ source, env string }{
		{"shopify", "SHOPIFY_WEBHOOK_SECRET"}, {"woocommerce", "WOOCOMMERCE_WEBHOOK_SECRET"}, {"standard", "STANDARD_WEBHOOK_SECRET"},
	} {
		fmt.Fprintf(w, "  %-12s %s/webhooks/%s\n               secret %s  (%s)\n", x.source, b, x.source, sec[x.env], s.origin(x.env))
	}
	fmt.Fprintf(w, "Unsubscribe links are signed with UNSUBSCRIBE_SECRET=%s  (%s)\n\n", sec["UNSUBSCRIBE_SECRET"], s.origin("UNSUBSCRIBE_SECRET"))

	fmt.Fprintln(w, "Dev API:")
	fmt.Fprintf(w, "  GET  %s/_dev/api/profiles/{email}\n", b)
	fmt.Fprintf(w, "  GET  %s/_dev/api/executions?journey=&profile=    GET %s/_dev/api/executions/{name}\n", b, b)
	fmt.Fprintf(w, "  GET  %s/_dev/api/outbox                          GET %s/_dev/api/clock\n", b, b)
	fmt.Fprintf(w, "  POST %s/_dev/api/clock/advance  {\"duration\":\"24h\"}\n", b)
	fmt.Fprintf(w, "  POST %s/_dev/api/replay         (body: an API Gateway event from events/)\n\n", b)

	fmt.Fprintf(w, "AWS endpoints on the same port (any credentials, region %s), table %s:\n", LocalRegion, s.table)
	fmt.Fprintf(w, "  export AWS_ENDPOINT_URL_DYNAMODB=%s AWS_ENDPOINT_URL_SFN=%s AWS_ENDPOINT_URL_SESV2=%s\n", b, b, b)
	fmt.Fprintf(w, "  aws dynamodb scan --table-name %s\n\n", s.table)

	fmt.Fprintln(w, "Try it (from the repository root):")
	fmt.Fprintln(w, "  # a subscriber signs up: the welcome journey sends its first email at once")
	fmt.Fprintf(w, "  curl -s --data-binary @events/standard/consent-changed.json %s/_dev/api/replay\n", b)
	fmt.Fprintln(w, "  # a signed Shopify order, exactly as the shop posts it (replay sends the fixture's headers and body)")
	fmt.Fprintf(w, "  curl -s --data-binary @events/shopify/orders-create.json %s/_dev/api/replay\n", b)
	fmt.Fprintln(w, "  # two days later: the second welcome email")
	fmt.Fprintf(w, "  curl -s -d '{\"duration\":\"2d\"}' %s/_dev/api/clock/advance\n", b)
	fmt.Fprintf(w, "  then open %s/_dev/\n", b)
	fmt.Fprintln(w, "\nCtrl-C stops.")
}

func (s *Stack) origin(env string) string {
	if s.getenv(env) != "" {
		return "from " + env
	}
	return "dev default; set " + env + " to override"
}
