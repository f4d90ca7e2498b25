package feedback

import (
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/parcours/parcours/internal/emf"
	"github.com/parcours/parcours/internal/profile"
)

// Config is the feedback function's configuration.
type Config struct {
	Table string // TABLE_NAME
}

// ConfigFromEnv reads TABLE_NAME with getenv (os.Getenv in main).
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{Table: getenv("TABLE_NAME")}
	if c.Table == "" {
		return Config{}, errors.New("missing environment variable TABLE_NAME")
	}
	return c, nil
}

// FromConfig builds the handler the feedback Lambda runs: the profile store
// and the EMF writer on one clock. functions/feedback and the dev stack
// both call it, so the two cannot wire the function differently.
func FromConfig(cfg Config, awsCfg aws.Config, now func() time.Time, metrics io.Writer, log *slog.Logger) *Handler {
	store := profile.NewStore(dynamodb.NewFromConfig(awsCfg), cfg.Table)
	store.Now = now
	return &Handler{Profiles: store, Metrics: emf.New(metrics, now), Log: log}
}
