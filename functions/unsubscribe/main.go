// Command unsubscribe serves GET and POST /unsubscribe?t=<token>.
package main

import (
	"log"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/parcours/parcours/internal/awsenv"
	"github.com/parcours/parcours/internal/unsubscribe"
)

func main() {
	cfg, err := unsubscribe.ConfigFromEnv(os.Getenv)
	if err != nil {
		log.Fatalf("unsubscribe: %v", err)
	}
	awsCfg, err := awsenv.Lambda(os.Getenv)
	if err != nil {
		log.Fatalf("unsubscribe: aws config: %v", err)
	}
	h, err := unsubscribe.FromConfig(cfg, awsCfg, time.Now, lambdacontext.NewLogger())
	if err != nil {
		log.Fatalf("unsubscribe: %v", err)
	}
	lambda.Start(h.Handle)
}
