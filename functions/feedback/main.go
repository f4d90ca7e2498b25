// Command feedback suppresses addresses after SES bounces and complaints
// (SES events delivered by EventBridge).
package main

import (
	"log"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/parcours/parcours/internal/awsenv"
	"github.com/parcours/parcours/internal/emf"
	"github.com/parcours/parcours/internal/feedback"
	"github.com/parcours/parcours/internal/profile"
)

func main() {
	table := os.Getenv("TABLE_NAME")
	if table == "" {
		log.Fatalf("feedback: missing environment variable TABLE_NAME")
	}
	awsCfg, err := awsenv.Lambda(os.Getenv)
	if err != nil {
		log.Fatalf("feedback: aws config: %v", err)
	}
	h := &feedback.Handler{Profiles: profile.NewStore(dynamodb.NewFromConfig(awsCfg), table),
		Metrics: emf.New(os.Stdout, time.Now), Log: lambdacontext.NewLogger()}
	lambda.Start(h.Handle)
}
