// Command router is the DynamoDB Stream Lambda: it starts the journeys that
// new event items trigger.
package main

import (
	"log"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/parcours/parcours/internal/awsenv"
	"github.com/parcours/parcours/internal/router"
	"github.com/parcours/parcours/statemachines"
)

func main() {
	m, err := router.LoadManifest(statemachines.FS, statemachines.Triggers)
	if err != nil {
		log.Fatalf("router: %v", err)
	}
	cfg, err := router.ConfigFromEnv(os.Getenv, m)
	if err != nil {
		log.Fatalf("router: %v", err)
	}
	awsCfg, err := awsenv.Lambda(os.Getenv)
	if err != nil {
		log.Fatalf("router: aws config: %v", err)
	}
	h := router.FromConfig(cfg, m, awsCfg, time.Now, os.Stdout, lambdacontext.NewLogger())
	lambda.Start(h.Handle)
}
