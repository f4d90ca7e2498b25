// Package awsenv builds a Lambda function's aws.Config from its environment
// alone, with the HTTP client of internal/sdkhttp. The CLI uses the SDK's
// config.LoadDefaultConfig instead (profiles, SSO, …); no package a
// function links may import the config package (docs/benchmarks.md, size).
package awsenv

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/parcours/parcours/internal/sdkhttp"
)

// Lambda is the aws.Config of a Lambda function, read from its
// environment alone (getenv is os.Getenv in main): what config.LoadDefaultConfig
// resolves in Lambda, without linking the config package and its credential
// chain (the STS, SSO, SSO OIDC and Sign-In clients, IMDS, shared config
// files: about 1.3 MB of a bootstrap, docs/benchmarks.md). Lambda sets AWS_REGION and the execution role's
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, which
// stay valid for the life of the execution environment; the SDK's default
// chain reads the same variables there.
//
// Also honoured, as the SDK does: AWS_DEFAULT_REGION (when AWS_REGION is
// unset), AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> (e.g.
// AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SESV2, AWS_ENDPOINT_URL_SFN),
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS, AWS_CA_BUNDLE (a PEM file whose
// certificates become the only trusted roots, as the SDK does),
// AWS_MAX_ATTEMPTS and AWS_RETRY_MODE. Not read: profiles and shared
// config files, container, process, web-identity and SSO credentials.
// A missing region or key is an error that names the variable.
func Lambda(getenv func(string) string) (aws.Config, error) {
	region := getenv("AWS_REGION")
	if region == "" {
		region = getenv("AWS_DEFAULT_REGION")
	}
	if region == "" {
		return aws.Config{}, fmt.Errorf("missing environment variable AWS_REGION")
	}
	id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	for _, v := range []struct{ name, value string }{{"AWS_ACCESS_KEY_ID", id}, {"AWS_SECRET_ACCESS_KEY", secret}} {
		if v.value == "" {
			return aws.Config{}, fmt.Errorf("missing environment variable %s", v.name)
		}
	}
	cfg := aws.Config{
		Region:        region,
		Credentials:   credentials.NewStaticCredentialsProvider(id, secret, getenv("AWS_SESSION_TOKEN")),
		ConfigSources: []any{envEndpoints{getenv}},
	}
	ignore := strings.EqualFold(getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true")
	if v := getenv("AWS_ENDPOINT_URL"); v != "" && !ignore {
		cfg.BaseEndpoint = aws.String(v)
	}
	if v := getenv("AWS_MAX_ATTEMPTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return aws.Config{}, fmt.Errorf("AWS_MAX_ATTEMPTS %q: want a positive integer", v)
		}
		cfg.RetryMaxAttempts = n
	}
	if v := getenv("AWS_RETRY_MODE"); v != "" {
		m, err := aws.ParseRetryMode(v)
		if err != nil {
			return aws.Config{}, fmt.Errorf("AWS_RETRY_MODE: %w", err)
		}
		cfg.RetryMode = m
	}
	var opts []func(*http.Transport)
	if path := getenv("AWS_CA_BUNDLE"); path != "" {
		pem, err := os.ReadFile(path)
		if err != nil {
			return aws.Config{}, fmt.Errorf("AWS_CA_BUNDLE: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return aws.Config{}, fmt.Errorf("AWS_CA_BUNDLE %s: no PEM certificate", path)
		}
		opts = append(opts, func(tr *http.Transport) {
			if tr.TLSClientConfig == nil {
				tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
			}
			tr.TLSClientConfig.RootCAs = pool
		})
	}
	cfg.HTTPClient = sdkhttp.New(opts...)
	return cfg, nil
}

// envEndpoints answers the service clients' question "is there an endpoint
// for service sdkID?" (their NewFromConfig asks every ConfigSources entry)
// from AWS_ENDPOINT_URL_<SDK ID, upper case, spaces as underscores>.
type envEndpoints struct{ getenv func(string) string }

// GetServiceBaseEndpoint is the method the SDK's configsources look for.
func (e envEndpoints) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	if strings.EqualFold(e.getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true") {
		return "", false, nil
	}
	if v := e.getenv("AWS_ENDPOINT_URL_" + strings.ReplaceAll(strings.ToUpper(sdkID), " ", "_")); v != "" {
		return v, true, nil
	}
	return "", false, nil
}
