package cost

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Volume is a shop's month.
type Volume struct {
	Profiles int
	Webhooks int
	// EntriesPerProfile is journey entries per profile per month, spread
	// evenly over the journeys and priced on their worst path.
	EntriesPerProfile float64
	// DeferralRate is the share of sends deferred once (quiet hours, cap).
	DeferralRate float64
}

// DefaultVolume is the shop: 10,000 profiles, 100,000 webhooks.
var DefaultVolume = Volume{Profiles: 10000, Webhooks: 100000, EntriesPerProfile: 1, DeferralRate: 0.1}

// GoalJourney and GoalTransitions: abandoned-cart with three emails in at
// most 15 transitions on its longest path.
const (
	GoalJourney     = "abandoned-cart"
	GoalTransitions = 15
)

// Report is everything parcours cost prints.
type Report struct {
	Prices          Prices
	Assumptions     Assumptions
	Volume          Volume
	Journeys        []JourneyRuns
	Webhooks        Webhooks
	BytesPerProfile float64
	Klaviyo         Klaviyo
}

// Build runs the journeys and the webhook replay under root.
func Build(ctx context.Context, root string, p Prices, a Assumptions, v Volume) (Report, error) {
	r := Report{Prices: p, Assumptions: a, Volume: v, Klaviyo: KlaviyoReference}
	var err error
	if r.Journeys, err = SimulateAll(ctx, root); err != nil {
		return r, err
	}
	em, err := StartEmulator(ctx)
	if err != nil {
		return r, err
	}
	defer em.Close()
	if r.Webhooks, err = MeasureWebhooks(ctx, root, em); err != nil {
		return r, err
	}
	if r.BytesPerProfile, _, err = TableBytes(ctx, em); err != nil {
		return r, err
	}
	return r, nil
}

// Monthly is the month's bill by line.
type Monthly struct {
	Webhooks, Entries, Deferrals, Storage Bill
	EntriesCount                          float64
	Transitions, Emails                   float64
}

// Total adds the lines.
func (m Monthly) Total() Bill {
	return m.Webhooks.Add(m.Entries).Add(m.Deferrals).Add(m.Storage)
}

// Monthly estimates the month at r.Volume.
func (r Report) Monthly() Monthly {
	var m Monthly
	m.Webhooks = Webhook(r.Prices, r.Assumptions, r.Webhooks).Scale(float64(r.Volume.Webhooks))
	m.EntriesCount = float64(r.Volume.Profiles) * r.Volume.EntriesPerProfile
	if n := len(r.Journeys); n > 0 {
		per := m.EntriesCount / float64(n)
		for _, j := range r.Journeys {
			ew := EntryWrites(j.ReEntry)
			m.Entries = m.Entries.Add(Entry(r.Prices, r.Assumptions, j.Worst, ew).Scale(per))
			m.Transitions += per * float64(j.Worst.Transitions)
			m.Emails += per * float64(j.Worst.Emails)
			extra := Entry(r.Prices, r.Assumptions, j.Deferral, ew).Add(Entry(r.Prices, r.Assumptions, j.Worst, ew).Scale(-1))
			m.Deferrals = m.Deferrals.Add(extra.Scale(per * float64(j.Worst.Sends) * r.Volume.DeferralRate))
		}
	}
	m.Storage = Bill{DynamoDB: float64(r.Volume.Profiles) * r.BytesPerProfile / 1e9 * r.Prices.StorageGBMonth}
	return m
}

func usd(v float64) string {
	switch {
	case v == 0:
		return "$0"
	case v < 0.01:
		return fmt.Sprintf("$%.5f", v)
	default:
		return fmt.Sprintf("$%.2f", v)
	}
}

// Write prints the report.
func (r Report) Write(w io.Writer) error {
	p, a := r.Prices, r.Assumptions
	var b strings.Builder
	fmt.Fprintf(&b, "parcours cost: AWS list prices, %s, as of %s (no free tier)\n\n", p.Region, p.AsOf)

	b.WriteString("Per 1,000 journey entries (scenarios run on the ASL engine in virtual time)\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "journey\tpath\ttransitions\temails\treads\tsends\tStep Functions\tLambda\tDynamoDB\tSES\ttotal\tends in")
	for _, j := range r.Journeys {
		ew := EntryWrites(j.ReEntry)
		for _, row := range []struct {
			path string
			run  Run
		}{{"best", j.Best}, {"worst", j.Worst}} {
			bill := Entry(p, a, row.run, ew).Scale(1000)
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", j.Name, row.path, row.run.Transitions, row.run.Emails, row.run.Reads, row.run.Sends,
				usd(bill.StepFunctions), usd(bill.Lambda), usd(bill.DynamoDB), usd(bill.SES), usd(bill.Total()), row.run.End)
		}
	}
	tw.Flush()

	b.WriteString("\nDeferral and retry, extra cost of one occurrence on the worst path (per 1,000)\n")
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "journey\tone deferral\t+transitions\t+reads\t+sends\tone retry\t+transitions (billed)\t+sends")
	for _, j := range r.Journeys {
		ew := EntryWrites(j.ReEntry)
		worst := Entry(p, a, j.Worst, ew)
		d := Entry(p, a, j.Deferral, ew).Add(worst.Scale(-1)).Scale(1000)
		rt := Entry(p, a, j.Retry, ew).Add(worst.Scale(-1)).Scale(1000)
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%d\t%d\n", j.Name, usd(d.Total()), j.Deferral.Transitions-j.Worst.Transitions, j.Deferral.Reads-j.Worst.Reads, j.Deferral.Sends-j.Worst.Sends,
			usd(rt.Total()), j.Retry.Transitions-j.Worst.Transitions+j.Retry.Retries*a.RetryTransitions, j.Retry.Sends-j.Worst.Sends)
	}
	tw.Flush()

	b.WriteString("\nStatic check: the compiler's longest path (journey.Measure) against the worst run\n")
	for _, j := range r.Journeys {
		mark := "same"
		if j.Static.Transitions != j.Worst.Transitions {
			mark = fmt.Sprintf("DIFFERENT: the scenarios did not reach the %d-transition path", j.Static.Transitions)
		}
		fmt.Fprintf(&b, "  %-20s %d transitions, %d emails: %s\n", j.Name, j.Static.Transitions, j.Static.Emails, mark)
	}
	for _, j := range r.Journeys {
		if j.Name != GoalJourney {
			continue
		}
		verdict := "met"
		if j.Worst.Transitions > GoalTransitions {
			verdict = "NOT MET"
		}
		fmt.Fprintf(&b, "\nGoal: %s with %d emails in at most %d transitions on its longest path: %d transitions, %s.\n", j.Name, j.Worst.Emails, GoalTransitions, j.Worst.Transitions, verdict)
	}

	wh := r.Webhooks
	wb := Webhook(p, a, wh)
	fmt.Fprintf(&b, "\nWebhooks (measured: %d committed fixtures under events/ replayed through the ingest handler and the real store against the embedded DynamoDB; %d stored, %d answered 5xx)\n", wh.Deliveries, wh.Stored, wh.Failed)
	fmt.Fprintf(&b, "  DynamoDB per delivery: %.2f WRU (%.2f per stored delivery, at most %.0f; TransactWriteItems is 2 WRU per item per started KB), %.2f RRU\n",
		wh.Units.Write/float64(max(wh.Deliveries, 1)), wh.WritePerStored(), wh.MaxWrite, wh.ReadPerDelivery())
	fmt.Fprintf(&b, "  calls: %s\n", calls(wh.Units.Calls))
	fmt.Fprintf(&b, "  per 1,000 webhooks: API Gateway %s, Lambda %s, DynamoDB %s, total %s\n",
		usd(wb.APIGateway*1000), usd(wb.Lambda*1000), usd(wb.DynamoDB*1000), usd(wb.Total()*1000))

	m := r.Monthly()
	v := r.Volume
	fmt.Fprintf(&b, "\nMonthly estimate: %d profiles, %d webhooks, %.0f journey entries (%.1f per profile, spread evenly over %d journeys, worst path), %.0f%% of sends deferred once\n",
		v.Profiles, v.Webhooks, m.EntriesCount, v.EntriesPerProfile, len(r.Journeys), v.DeferralRate*100)
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "line\tStep Functions\tLambda\tDynamoDB\tSES\tAPI Gateway\ttotal\t")
	for _, l := range []struct {
		name string
		bill Bill
	}{{"webhooks", m.Webhooks}, {"journey entries", m.Entries}, {"deferrals", m.Deferrals}, {"storage", m.Storage}, {"total", m.Total()}} {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", l.name, usd(l.bill.StepFunctions), usd(l.bill.Lambda), usd(l.bill.DynamoDB), usd(l.bill.SES), usd(l.bill.APIGateway), usd(l.bill.Total()))
	}
	tw.Flush()
	fmt.Fprintf(&b, "  (%.0f state transitions, %.0f emails)\n", m.Transitions, m.Emails)
	k := r.Klaviyo
	fmt.Fprintf(&b, "\nKlaviyo for %d profiles: about $%.0f/month; source: %s.\n", k.Profiles, k.Monthly, k.Source)
	if t := m.Total().Total(); t > 0 && v.Profiles == k.Profiles {
		fmt.Fprintf(&b, "parcours at these volumes: %s/month, %.0f× less.\n", usd(t), k.Monthly/t)
	}

	b.WriteString("\nAssumptions\n")
	for _, s := range []string{
		fmt.Sprintf("Lambda billed duration per invocation: ingest %.0f ms, router %.0f ms, send %.0f ms (network waits on DynamoDB and SES; not measured here)", a.IngestMS, a.RouterMS, a.SendMS),
		fmt.Sprintf("Lambda memory: ingest %.0f MB, router %.0f MB, send %.0f MB (%s), arm64", a.IngestMB, a.RouterMB, a.SendMB, a.MemorySource),
		"one router invocation per stored webhook (stream batches of one); StartExecution calls are not billed beyond transitions",
		fmt.Sprintf("a send that sends: %.0f RRU + %.0f WRU; deferred: %.0f RRU + %.0f WRU (internal/send, checked by TestSendUnits); items under 1 KB", SendSentUnits.Read, SendSentUnits.Write, SendDeferredUnits.Read, SendDeferredUnits.Write),
		"a journey's profile/order read: one strongly consistent getItem, 1 RRU per started 4 KB of the scenario's item",
		"journeys with re_entry never/after: one 1-WRU journey-entry item per entry",
		fmt.Sprintf("a Task retry: %d billed transition, one more send invocation, no DynamoDB", a.RetryTransitions),
		fmt.Sprintf("storage: %.0f bytes per profile (items + 100 B overhead each, after the fixture replay)", r.BytesPerProfile),
		"not included: CloudWatch Logs and metrics, X-Ray, data transfer, SES dedicated IPs, the free tiers",
	} {
		fmt.Fprintf(&b, "  - %s\n", s)
	}
	b.WriteString("\nSources\n")
	for _, s := range p.Sources {
		fmt.Fprintf(&b, "  - %s\n", s)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func calls(m map[string]int) string {
	var out []string
	for _, op := range []string{"TransactWriteItems", "TransactGetItems", "GetItem", "Query", "PutItem", "UpdateItem"} {
		if n := m[op]; n > 0 {
			out = append(out, fmt.Sprintf("%s %d", op, n))
		}
	}
	return strings.Join(out, ", ")
}
