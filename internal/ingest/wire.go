package ingest

import (
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/parcours/parcours/internal/emf"
	"github.com/parcours/parcours/internal/erase"
	"github.com/parcours/parcours/internal/profile"
)

// FromConfig builds the handler the ingest Lambda runs: its sources, the
// profile store, the eraser for privacy webhooks and the EMF writer, all on
// one clock. functions/ingest and the dev stack both call it, so the two can
// not wire the function differently.
func FromConfig(cfg Config, awsCfg aws.Config, now func() time.Time, metrics io.Writer, log *slog.Logger) (*Handler, error) {
	sources, err := cfg.Sources(now)
	if err != nil {
		return nil, err
	}
	db := dynamodb.NewFromConfig(awsCfg)
	store := profile.NewStore(db, cfg.TableName)
	store.Now = now
	h := New(store, emf.New(metrics, now), log, sources...)
	eraser := erase.New(db, sfn.NewFromConfig(awsCfg), cfg.TableName, log)
	eraser.Now = now
	h.Privacy = eraser
	return h, nil
}
