// Command send is the Lambda every journey email passes through.
package main

import (
	"log"
	"os"
	"time"
	_ "time/tzdata" // quiet hours need every IANA zone, whatever the runtime image has

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/parcours/parcours/internal/awsenv"
	"github.com/parcours/parcours/internal/emf"
	"github.com/parcours/parcours/internal/mail"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/send"
	"github.com/parcours/parcours/journeys"
)

func main() {
	cfg, err := send.ConfigFromEnv(os.Getenv)
	if err != nil {
		log.Fatalf("send: %v", err)
	}
	awsCfg, err := awsenv.Lambda(os.Getenv)
	if err != nil {
		log.Fatalf("send: aws config: %v", err)
	}
	// Clients go in as method values, not interfaces: internal/send/clients.go says why (binary size).
	db := send.NewDynamoDBCalls(dynamodb.NewFromConfig(awsCfg))
	h := &send.Handler{DB: db, Profiles: send.ProfilesFunc(profile.NewStore(db, cfg.Table).GetView), SES: send.NewSESCalls(sesv2.NewFromConfig(awsCfg)),
		Renderer: mail.Renderer{FS: journeys.FS}, Signer: cfg.Signer, Config: cfg,
		Metrics: emf.New(os.Stdout, time.Now), Log: lambdacontext.NewLogger(), Now: time.Now}
	lambda.Start(h.Handle)
}
