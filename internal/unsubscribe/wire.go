package unsubscribe

import (
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/parcours/parcours/internal/profile"
)

// FromConfig builds the handler the unsubscribe Lambda runs: the token
// signer with every configured key, and the profile store, on one clock.
// functions/unsubscribe and the dev stack both call it, so the two cannot
// wire the function differently.
func FromConfig(cfg Config, awsCfg aws.Config, now func() time.Time, log *slog.Logger) (*Handler, error) {
	signer, err := NewSigner(cfg.Keys...)
	if err != nil {
		return nil, err
	}
	store := profile.NewStore(dynamodb.NewFromConfig(awsCfg), cfg.Table)
	store.Now = now
	return &Handler{Signer: signer, Profiles: store, Shop: cfg.Shop, Log: log, Now: now}, nil
}
