package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/parcours/parcours/internal/erase"
	"github.com/parcours/parcours/internal/sdkhttp"
)

func init() {
	register(command{name: "erase", summary: "erase everything stored about a customer (--email) or a shop (--shop); TABLE_NAME and the AWS SDK's environment", run: runErase})
	register(command{name: "export", summary: "print everything stored about a customer as JSON (--email; --saved: the exports saved for data requests)", run: runExport})
}

// eraser builds the eraser from the environment: TABLE_NAME, and the
// SDK's own variables (AWS_REGION, credentials, AWS_ENDPOINT_URL_DYNAMODB,
// AWS_ENDPOINT_URL_SFN for local endpoints).
func eraser(ctx context.Context, stderr io.Writer) (*erase.Eraser, error) {
	table, ok := os.LookupEnv("TABLE_NAME")
	if !ok || table == "" {
		return nil, fmt.Errorf("environment variable TABLE_NAME is not set")
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	cfg.HTTPClient = sdkhttp.Wrap(cfg.HTTPClient) // see internal/sdkhttp
	return erase.New(dynamodb.NewFromConfig(cfg), sfn.NewFromConfig(cfg), table, slog.New(slog.NewJSONHandler(stderr, nil))), nil
}

func printJSON(w io.Writer, v any) {
	b, _ := json.MarshalIndent(v, "", "  ") // plain data: cannot fail
	fmt.Fprintln(w, string(b))
}

func runErase(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("erase", flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "the customer's email address")
	shop := fs.String("shop", "", "erase every customer of this shop (e.g. my-shop.myshopify.com)")
	source := fs.String("source", "shopify", "the shop's source, with --shop")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if (*email == "") == (*shop == "") || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "parcours erase: give exactly one of --email or --shop")
		return 2
	}
	e, err := eraser(ctx, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "parcours erase: %v\n", err)
		return 1
	}
	var rep erase.Report
	if *email != "" {
		rep, err = e.Customer(ctx, *email)
	} else {
		rep, err = e.Shop(ctx, *source, *shop)
	}
	printJSON(stdout, rep)
	if err != nil {
		fmt.Fprintf(stderr, "parcours erase: %v (run the same command again to finish)\n", err)
		return 1
	}
	return 0
}

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "the customer's email address")
	saved := fs.Bool("saved", false, "print the exports saved for customers/data_request instead of a fresh one")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *email == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "parcours export: --email is required")
		return 2
	}
	e, err := eraser(ctx, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "parcours export: %v\n", err)
		return 1
	}
	if *saved {
		xs, err := e.SavedExports(ctx, *email)
		if err != nil {
			fmt.Fprintf(stderr, "parcours export: %v\n", err)
			return 1
		}
		if xs == nil {
			xs = []json.RawMessage{}
		}
		printJSON(stdout, xs)
		return 0
	}
	x, found, err := e.Export(ctx, *email)
	if err != nil {
		fmt.Fprintf(stderr, "parcours export: %v\n", err)
		return 1
	}
	if !found {
		fmt.Fprintln(stderr, "parcours export: nothing is stored for this address")
		return 1
	}
	printJSON(stdout, x)
	return 0
}
