package send

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/parcours/parcours/internal/journey/contract"
	"github.com/parcours/parcours/internal/profile"
)

// resolveWait answers the action resolve_wait of a wait {until: "HH:MM"}
// step: resume_at is the next moment, at or after now, when the wall clock
// in the profile's time zone (else the shop's) reads Until. It reads the
// fresh profile; a missing profile uses the shop's zone (the journey's next
// read fails visibly anyway).
func (h *Handler) resolveWait(ctx context.Context, in contract.SendRequest) (contract.SendResponse, error) {
	minutes, err := contract.ParseTimeOfDay(in.Until)
	if err != nil || in.ProfileKey == "" {
		return contract.SendResponse{}, messages.InvokeResponse_Error{Type: ErrBadRequest,
			Message: "resolve_wait needs profile_key and until as HH:MM"}
	}
	email := profile.NormalizeEmail(in.ProfileKey)
	v, err := h.Profiles.GetView(ctx, email)
	if err != nil && !errors.Is(err, profile.ErrNotFound) {
		h.Log.ErrorContext(ctx, "send: resolve wait failed", "profile", profile.AddressHash(email), "err", err)
		return contract.SendResponse{}, messages.InvokeResponse_Error{Type: ErrRetryable, Message: fmt.Sprintf("resolve wait: %v", err)}
	}
	at := NextTimeOfDay(h.Now(), minutes, location(v, h.Config.ShopLocation))
	return contract.SendResponse{ResumeAt: at.Format(time.RFC3339)}, nil
}

// NextTimeOfDay is the first moment at or after now when the wall clock in
// loc reads minutes after midnight, in UTC. On the day a DST change skips
// that time (02:30 on a spring-forward night), it is the moment the clock
// would have read it had it not jumped: one hour later in local time.
func NextTimeOfDay(now time.Time, minutes int, loc *time.Location) time.Time {
	local := now.In(loc)
	y, m, d := local.Date()
	at := time.Date(y, m, d, minutes/60, minutes%60, 0, 0, loc)
	if at.Before(now) {
		at = time.Date(y, m, d+1, minutes/60, minutes%60, 0, 0, loc)
	}
	return at.UTC()
}
