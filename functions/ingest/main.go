// Command ingest is the webhook Lambda: POST /webhooks/{source}.
package main

import (
	"context"
	"log"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/parcours/parcours/internal/emf"
	"github.com/parcours/parcours/internal/erase"
	"github.com/parcours/parcours/internal/ingest"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/sdkhttp"
)

func main() {
	cfg, err := ingest.ConfigFromEnv(os.LookupEnv)
	if err != nil {
		log.Fatalf("ingest: %v", err)
	}
	sources, err := cfg.Sources(time.Now)
	if err != nil {
		log.Fatalf("ingest: %v", err)
	}
	awsCfg, err := sdkhttp.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatalf("ingest: aws config: %v", err)
	}
	db, logger := dynamodb.NewFromConfig(awsCfg), lambdacontext.NewLogger()
	h := ingest.New(profile.NewStore(db, cfg.TableName), emf.New(os.Stdout, time.Now), logger, sources...)
	h.Privacy = erase.New(db, sfn.NewFromConfig(awsCfg), cfg.TableName, logger)
	lambda.Start(h.Handle)
}
