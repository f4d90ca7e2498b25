// Package feedback handles the SES events a configuration set publishes to
// EventBridge: permanent bounces and complaints suppress the address;
// transient bounces are counted only; anything else is acknowledged.
package feedback

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/mail"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/parcours/parcours/internal/emf"
	"github.com/parcours/parcours/internal/profile"
)

// EventBridge detail types of SES events.
const (
	DetailBounced   = "Email Bounced"
	DetailComplaint = "Email Complaint Received"
)

// Suppression reasons written on the profile.
const (
	ReasonBounce    = "bounce"
	ReasonComplaint = "complaint"
)

// Suppressor marks an address as not to be emailed (profile.Store): on its
// profile and its address marker, or, for an address without a profile
// (erased), on the marker alone; existed says which.
type Suppressor interface {
	Suppress(ctx context.Context, email, reason string, at time.Time) (existed bool, err error)
}

// Handler is the feedback function.
type Handler struct {
	Profiles Suppressor
	Metrics  *emf.Writer
	Log      *slog.Logger
}

// detail is the SES event record (the EventBridge event's detail).
type detail struct {
	EventType string `json:"eventType"`
	Bounce    *struct {
		BounceType        string      `json:"bounceType"`
		BounceSubType     string      `json:"bounceSubType"`
		BouncedRecipients []recipient `json:"bouncedRecipients"`
		Timestamp         time.Time   `json:"timestamp"`
	} `json:"bounce"`
	Complaint *struct {
		ComplainedRecipients  []recipient `json:"complainedRecipients"`
		ComplaintFeedbackType string      `json:"complaintFeedbackType"`
		Timestamp             time.Time   `json:"timestamp"`
	} `json:"complaint"`
	Mail struct {
		MessageID string              `json:"messageId"`
		Tags      map[string][]string `json:"tags"`
	} `json:"mail"`
}

type recipient struct {
	EmailAddress string `json:"emailAddress"`
}

// Handle processes one event. It returns an error only when a suppression
// could not be stored, so that Lambda's asynchronous retries (and the
// function's failure destination) take over; everything else is logged and
// acknowledged.
func (h *Handler) Handle(ctx context.Context, ev events.CloudWatchEvent) error {
	log := h.Log.With("event_id", ev.ID, "detail_type", ev.DetailType)
	if ev.DetailType != DetailBounced && ev.DetailType != DetailComplaint {
		log.InfoContext(ctx, "feedback: event ignored")
		return nil
	}
	var d detail
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		log.WarnContext(ctx, "feedback: unreadable detail acknowledged", "err", err)
		h.Metrics.Count("FeedbackUnreadable", 1, nil)
		return nil
	}
	dims := map[string]string{"Journey": first(d.Mail.Tags["journey"]), "Step": first(d.Mail.Tags["step"])}
	log = log.With("ses_message_id", d.Mail.MessageID)

	var reason string
	var recipients []recipient
	var at time.Time
	switch {
	case ev.DetailType == DetailBounced && d.Bounce != nil:
		dims["Reason"] = d.Bounce.BounceType
		h.Metrics.Count("EmailBounces", float64(len(d.Bounce.BouncedRecipients)), dims)
		if d.Bounce.BounceType != "Permanent" {
			log.InfoContext(ctx, "feedback: non-permanent bounce counted", "bounce_type", d.Bounce.BounceType, "bounce_sub_type", d.Bounce.BounceSubType)
			return nil
		}
		reason, recipients, at = ReasonBounce, d.Bounce.BouncedRecipients, d.Bounce.Timestamp
	case ev.DetailType == DetailComplaint && d.Complaint != nil:
		dims["Reason"] = d.Complaint.ComplaintFeedbackType
		h.Metrics.Count("EmailComplaints", float64(len(d.Complaint.ComplainedRecipients)), dims)
		if d.Complaint.ComplaintFeedbackType == "not-spam" {
			log.InfoContext(ctx, "feedback: not-spam feedback counted")
			return nil
		}
		reason, recipients, at = ReasonComplaint, d.Complaint.ComplainedRecipients, d.Complaint.Timestamp
	default:
		log.WarnContext(ctx, "feedback: event without its bounce or complaint object acknowledged")
		h.Metrics.Count("FeedbackUnreadable", 1, nil)
		return nil
	}
	if at.IsZero() {
		at = ev.Time
	}
	for _, r := range recipients {
		addr, err := mail.ParseAddress(r.EmailAddress)
		if err != nil {
			log.WarnContext(ctx, "feedback: recipient is not an address", "err", err)
			continue
		}
		email := profile.NormalizeEmail(addr.Address)
		existed, err := h.Profiles.Suppress(ctx, email, reason, at)
		if err != nil {
			return fmt.Errorf("suppress %s after %s: %w", profile.AddressHash(email), reason, err)
		}
		log.InfoContext(ctx, "feedback: address suppressed", "profile", profile.AddressHash(email), "reason", reason, "had_profile", existed)
		h.Metrics.Count("AddressesSuppressed", 1, map[string]string{"Reason": reason})
	}
	return nil
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}
