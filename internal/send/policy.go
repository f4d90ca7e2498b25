package send

import (
	"fmt"
	"time"

	"github.com/parcours/parcours/internal/journey/contract"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/touchpoint"
)

// Skip reasons. They are the "reason" of a skipped answer and the Reason
// dimension of the EmailsSkipped metric.
const (
	ReasonNoProfile  = "no_profile"
	ReasonSuppressed = "suppressed"
	ReasonInDoubt    = "in_doubt" // an earlier attempt of this step may have sent
	// ReasonDeferredTooOften: the step was deferred contract.MaxDeferrals
	// times already; it is given up rather than deferred again.
	ReasonDeferredTooOften = "deferred_too_often"
	// Consent reasons are "consent_" + the profile's consent state
	// (consent_unsubscribed, consent_not_subscribed, consent_pending), or
	// consent_unknown when the profile has none.
	ReasonConsentPrefix = "consent_"
	// Deferral reasons.
	ReasonQuietHours   = "quiet_hours"
	ReasonFrequencyCap = "frequency_cap"
)

// consentReason says why a profile may not receive a journey's email under
// its consent policy, or "" when it may. Suppression applies whatever the
// policy; marketing journeys (consent: subscribed, the default) also need
// the profile's consent state to be "subscribed".
func consentReason(v profile.View, p contract.Policy) string {
	if v.Suppressed != nil {
		return ReasonSuppressed
	}
	if p.Consent == contract.ConsentNone {
		return ""
	}
	switch {
	case v.Consent == nil || v.Consent.State == "":
		return ReasonConsentPrefix + "unknown"
	case v.Consent.State != touchpoint.ConsentSubscribed:
		return ReasonConsentPrefix + v.Consent.State
	}
	return ""
}

// QuietHours is a daily window, in local time, when no email is sent. Start
// and End are minutes after midnight; a window that wraps midnight
// (21:00–08:00) has Start > End. Start == End means no quiet hours.
type QuietHours struct {
	Start, End int
}

// DefaultQuietHours is 21:00–08:00.
var DefaultQuietHours = QuietHours{Start: 21 * 60, End: 8 * 60}

// ParseQuietHours reads "HH:MM-HH:MM" (or "off").
func ParseQuietHours(s string) (QuietHours, error) {
	if s == "off" {
		return QuietHours{}, nil
	}
	var h1, m1, h2, m2 int
	if n, err := fmt.Sscanf(s, "%d:%d-%d:%d", &h1, &m1, &h2, &m2); err != nil || n != 4 ||
		h1 < 0 || h1 > 23 || h2 < 0 || h2 > 23 || m1 < 0 || m1 > 59 || m2 < 0 || m2 > 59 {
		return QuietHours{}, fmt.Errorf("quiet hours %q: want HH:MM-HH:MM, e.g. 21:00-08:00, or off", s)
	}
	return QuietHours{Start: h1*60 + m1, End: h2*60 + m2}, nil
}

// NextAllowed returns the first moment at or after now, in loc, outside
// the window. It is now itself when now is outside.
func (q QuietHours) NextAllowed(now time.Time, loc *time.Location) time.Time {
	if q.Start == q.End {
		return now
	}
	local := now.In(loc)
	min := local.Hour()*60 + local.Minute()
	var inside bool
	if q.Start < q.End {
		inside = min >= q.Start && min < q.End
	} else {
		inside = min >= q.Start || min < q.End
	}
	if !inside {
		return now
	}
	y, m, d := local.Date()
	end := time.Date(y, m, d, q.End/60, q.End%60, 0, 0, loc)
	if !end.After(local) { // the window ends tomorrow
		end = time.Date(y, m, d+1, q.End/60, q.End%60, 0, 0, loc)
	}
	return end.UTC()
}

// location is the profile's time zone, else the shop's.
func location(v profile.View, shop *time.Location) *time.Location {
	if v.Timezone != "" {
		if loc, err := time.LoadLocation(v.Timezone); err == nil {
			return loc
		}
	}
	return shop
}
