// Command send is the Lambda every journey email passes through.
package main

import (
	"log"
	"os"
	"time"
	_ "time/tzdata" // quiet hours need every IANA zone, whatever the runtime image has

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/parcours/parcours/internal/awsenv"
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
	h := send.FromConfig(cfg, awsCfg, journeys.FS, time.Now, os.Stdout, lambdacontext.NewLogger())
	lambda.Start(h.Handle)
}
