// Command feedback suppresses addresses after SES bounces and complaints
// (SES events delivered by EventBridge).
package main

import (
	"log"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/parcours/parcours/internal/awsenv"
	"github.com/parcours/parcours/internal/feedback"
)

func main() {
	cfg, err := feedback.ConfigFromEnv(os.Getenv)
	if err != nil {
		log.Fatalf("feedback: %v", err)
	}
	awsCfg, err := awsenv.Lambda(os.Getenv)
	if err != nil {
		log.Fatalf("feedback: aws config: %v", err)
	}
	h := feedback.FromConfig(cfg, awsCfg, time.Now, os.Stdout, lambdacontext.NewLogger())
	lambda.Start(h.Handle)
}
