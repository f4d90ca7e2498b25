// Command unsubscribe serves GET and POST /unsubscribe?t=<token>.
package main

import (
	"log"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/parcours/parcours/internal/awsenv"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/unsubscribe"
)

func main() {
	cfg, err := unsubscribe.ConfigFromEnv(os.Getenv)
	if err != nil {
		log.Fatalf("unsubscribe: %v", err)
	}
	signer, err := unsubscribe.NewSigner(cfg.Keys...)
	if err != nil {
		log.Fatalf("unsubscribe: %v", err)
	}
	awsCfg, err := awsenv.Lambda(os.Getenv)
	if err != nil {
		log.Fatalf("unsubscribe: aws config: %v", err)
	}
	h := &unsubscribe.Handler{Signer: signer, Profiles: profile.NewStore(dynamodb.NewFromConfig(awsCfg), cfg.Table),
		Shop: cfg.Shop, Log: lambdacontext.NewLogger(), Now: time.Now}
	lambda.Start(h.Handle)
}
