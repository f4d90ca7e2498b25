package router

import (
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/parcours/parcours/internal/emf"
	"github.com/parcours/parcours/internal/journey/contract"
)

// FromConfig builds the handler the router Lambda runs: the manifest the
// configuration was read against, the Step Functions and DynamoDB
// clients, the EMF writer and the logger, all on one clock.
// functions/router and the dev stack both call it, so the two cannot wire
// the function differently; the dev stack passes the working tree's
// manifest.
func FromConfig(cfg Config, m contract.Manifest, awsCfg aws.Config, now func() time.Time, metrics io.Writer, log *slog.Logger) *Handler {
	return &Handler{
		SFN: sfn.NewFromConfig(awsCfg), DB: dynamodb.NewFromConfig(awsCfg), Table: cfg.Table,
		Manifest: m, StateMachines: cfg.StateMachines, Metrics: emf.New(metrics, now), Log: log, Now: now,
	}
}
