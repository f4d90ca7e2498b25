// Command ingest is the webhook Lambda: POST /webhooks/{source}.
package main

import (
	"log"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/parcours/parcours/internal/awsenv"
	"github.com/parcours/parcours/internal/ingest"
)

func main() {
	cfg, err := ingest.ConfigFromEnv(os.LookupEnv)
	if err != nil {
		log.Fatalf("ingest: %v", err)
	}
	awsCfg, err := awsenv.Lambda(os.Getenv)
	if err != nil {
		log.Fatalf("ingest: aws config: %v", err)
	}
	h, err := ingest.FromConfig(cfg, awsCfg, time.Now, os.Stdout, lambdacontext.NewLogger())
	if err != nil {
		log.Fatalf("ingest: %v", err)
	}
	lambda.Start(h.Handle)
}
