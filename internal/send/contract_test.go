package send_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/parcours/parcours/internal/journey/contract"
	"github.com/parcours/parcours/internal/send"
	"github.com/parcours/parcours/internal/touchpoint"
)

// TestResumeAt: every answer tells the state machine where its next Wait
// ends (e.handle checks not_before / now + next_wait_seconds on every call;
// here the values themselves).
func TestResumeAt(t *testing.T) {
	e := newEnv(t)
	e.addProfile(t, "ana@example.com", touchpoint.ConsentSubscribed, "Europe/Paris")
	in := req("cart", "reminder", "exec-1", "ana@example.com", marketing)
	in.NextWaitSeconds = 20 * 3600
	out, err := e.h.Handle(context.Background(), in)
	if err != nil || out.Status != contract.StatusSent || out.ResumeAt != "2026-03-11T08:00:00Z" {
		t.Errorf("sent: %+v %v, want resume_at t0+20h", out, err)
	}
	// The repeat of a sent step answers sent again, resuming from now.
	e.now = e.now.Add(time.Minute)
	out, err = e.h.Handle(context.Background(), in)
	if err != nil || out.Status != contract.StatusSent || out.ResumeAt != "2026-03-11T08:01:00Z" {
		t.Errorf("repeat: %+v %v", out, err)
	}
	// Evening in Paris: deferred, resume_at is not_before.
	e.now = time.Date(2026, 3, 10, 20, 30, 0, 0, time.UTC)
	in.Execution = "exec-2"
	out, err = e.h.Handle(context.Background(), in)
	if err != nil || out.Status != contract.StatusDeferred || out.ResumeAt != "2026-03-11T07:00:00Z" || out.NotBefore != out.ResumeAt {
		t.Errorf("deferred: %+v %v", out, err)
	}
	in.NextWaitSeconds = -1
	if _, err := e.h.Handle(context.Background(), in); !isNamed(err, send.ErrBadRequest, "next_wait_seconds must not be negative") {
		t.Errorf("negative wait: %v", err)
	}
}

func isNamed(err error, typ, msg string) bool {
	var ie messages.InvokeResponse_Error
	return errors.As(err, &ie) && ie.Type == typ && ie.Message == msg
}

// TestDeferralsAreBounded: one step of one execution is deferred at most
// contract.MaxDeferrals times, then skipped (deferred_too_often); the
// compiled journeys' history bound relies on it.
func TestDeferralsAreBounded(t *testing.T) {
	t.Run("the 11th deferral is a skip", func(t *testing.T) {
		e := newEnv(t)
		e.addProfile(t, "ana@example.com", touchpoint.ConsentSubscribed, "Europe/Paris")
		e.now = time.Date(2026, 3, 10, 20, 30, 0, 0, time.UTC) // 21:30 in Paris
		in := req("cart", "reminder", "exec-1", "ana@example.com", marketing)
		for i := 1; i <= contract.MaxDeferrals; i++ {
			if got := e.handle(t, in); got.Status != contract.StatusDeferred {
				t.Fatalf("call %d: %+v, want deferred", i, got)
			}
		}
		got := e.handle(t, in)
		if got != (contract.SendResponse{Status: contract.StatusSkipped, Reason: send.ReasonDeferredTooOften}) {
			t.Errorf("call %d: %+v, want skipped/%s", contract.MaxDeferrals+1, got, send.ReasonDeferredTooOften)
		}
		item := e.item(t, send.MessagePK("exec-1"), send.MessageSK("reminder"))
		if s(item, send.AttrStatus) != "deferred" || len(e.ses.Outbox()) != 0 {
			t.Errorf("message item %v, %d emails", item, len(e.ses.Outbox()))
		}
	})
	t.Run("a deferred step sends once the window opens", func(t *testing.T) {
		e := newEnv(t)
		e.addProfile(t, "ana@example.com", touchpoint.ConsentSubscribed, "Europe/Paris")
		e.now = time.Date(2026, 3, 10, 20, 30, 0, 0, time.UTC)
		in := req("cart", "reminder", "exec-1", "ana@example.com", marketing)
		for range 3 {
			e.handle(t, in)
		}
		e.now = time.Date(2026, 3, 11, 7, 0, 0, 0, time.UTC) // 08:00 in Paris
		if got := e.handle(t, in); got.Status != contract.StatusSent {
			t.Fatalf("after the window: %+v", got)
		}
		if item := e.item(t, send.MessagePK("exec-1"), send.MessageSK("reminder")); s(item, send.AttrStatus) != "sent" || len(e.ses.Outbox()) != 1 {
			t.Errorf("message item %v, %d emails", item, len(e.ses.Outbox()))
		}
	})
}

// TestNextTimeOfDay: wait {until: HH:MM} in a time zone, across DST.
func TestNextTimeOfDay(t *testing.T) {
	zone := func(n string) *time.Location {
		l, err := time.LoadLocation(n)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		name, now, until, zone, want string
	}{
		{"later today", "2026-03-10T06:00:00Z", "09:00", "Europe/Paris", "2026-03-10T08:00:00Z"},
		{"passed today: tomorrow", "2026-03-10T12:00:00Z", "09:00", "Europe/Paris", "2026-03-11T08:00:00Z"},
		{"exactly now: now", "2026-03-10T08:00:00Z", "09:00", "Europe/Paris", "2026-03-10T08:00:00Z"},
		{"across spring forward (CET to CEST)", "2026-03-28T12:00:00Z", "09:00", "Europe/Paris", "2026-03-29T07:00:00Z"},
		{"time skipped by spring forward: an hour later", "2026-03-29T00:30:00Z", "02:30", "Europe/Paris", "2026-03-29T01:30:00Z"},
		{"across fall back (EDT to EST)", "2026-10-31T14:00:00Z", "09:00", "America/New_York", "2026-11-01T14:00:00Z"},
		{"date line: Tokyo is already tomorrow", "2026-03-10T20:00:00Z", "09:00", "Asia/Tokyo", "2026-03-11T00:00:00Z"},
		{"southern hemisphere DST ends", "2026-04-04T12:00:00Z", "09:00", "Australia/Sydney", "2026-04-04T23:00:00Z"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := contract.ParseTimeOfDay(c.until)
			if err != nil {
				t.Fatal(err)
			}
			if got := send.NextTimeOfDay(utc(c.now), m, zone(c.zone)); !got.Equal(utc(c.want)) {
				t.Errorf("got %s, want %s", got.Format(time.RFC3339), c.want)
			}
		})
	}
}

// TestResolveWait: the action resolve_wait answers resume_at in the
// profile's zone, else the shop's.
func TestResolveWait(t *testing.T) {
	e := newEnv(t) // shop zone Europe/Paris
	e.now = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	e.addProfile(t, "ny@example.com", touchpoint.ConsentSubscribed, "America/New_York")
	e.addProfile(t, "nozone@example.com", touchpoint.ConsentSubscribed, "")
	for _, c := range []struct{ name, email, until, want string }{
		{"profile zone (08:00 in New York)", "ny@example.com", "09:00", "2026-03-10T13:00:00Z"},
		{"shop zone when the profile has none", "nozone@example.com", "09:00", "2026-03-11T08:00:00Z"},
		{"shop zone when there is no profile", "gone@example.com", "18:30", "2026-03-10T17:30:00Z"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := e.h.Handle(context.Background(), contract.SendRequest{Action: contract.ActionResolveWait, Until: c.until, ProfileKey: c.email})
			if err != nil || out != (contract.SendResponse{ResumeAt: c.want}) {
				t.Errorf("got %+v %v, want resume_at %s", out, err, c.want)
			}
		})
	}
	for _, c := range []struct{ name, until, email string }{{"bad time", "9am", "ny@example.com"}, {"24:00", "24:00", "ny@example.com"}, {"no profile key", "09:00", ""}} {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.h.Handle(context.Background(), contract.SendRequest{Action: contract.ActionResolveWait, Until: c.until, ProfileKey: c.email})
			if !isNamed(err, send.ErrBadRequest, "resolve_wait needs profile_key and until as HH:MM") {
				t.Errorf("err = %v", err)
			}
		})
	}
	t.Run("unknown action", func(t *testing.T) {
		_, err := e.h.Handle(context.Background(), contract.SendRequest{Action: "explode"})
		if !isNamed(err, send.ErrBadRequest, `unknown action "explode"`) {
			t.Errorf("err = %v", err)
		}
	})
}
