package send

import (
	"io"
	"io/fs"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/parcours/parcours/internal/emf"
	"github.com/parcours/parcours/internal/mail"
	"github.com/parcours/parcours/internal/profile"
)

// FromConfig builds the handler the send Lambda runs: the DynamoDB and SES
// clients (as method values, see clients.go), the profile store, the
// renderer over templates (<journey>/<template>.{html,txt}), the EMF writer
// and the logger, all on one clock. functions/send and the dev stack both
// call it, so the two cannot wire the function differently; the dev stack
// passes the working tree's journeys folder so that an edited template
// shows in the next email.
func FromConfig(cfg Config, awsCfg aws.Config, templates fs.FS, now func() time.Time, metrics io.Writer, log *slog.Logger) *Handler {
	db := NewDynamoDBCalls(dynamodb.NewFromConfig(awsCfg))
	store := profile.NewStore(db, cfg.Table)
	store.Now = now
	return &Handler{
		DB: db, Profiles: ProfilesFunc(store.GetView), SES: NewSESCalls(sesv2.NewFromConfig(awsCfg)),
		Renderer: mail.Renderer{FS: templates}, Signer: cfg.Signer, Config: cfg,
		Metrics: emf.New(metrics, now), Log: log, Now: now,
	}
}
