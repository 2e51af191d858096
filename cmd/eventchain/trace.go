package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/eventchain/eventchain/infra/local"
	"github.com/eventchain/eventchain/infra/samtemplate"
	"github.com/eventchain/eventchain/internal/trace"
)

// runTrace prints one request's story: eventchain trace <requestId>.
func runTrace(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("trace", stderr)
	api := fs.String("api", "http://"+local.DefaultAPIAddr, "the API's base `URL`; a deployed API (not loopback) is called signed with SigV4 and the caller's AWS credentials")
	region := fs.String("region", "", "AWS `region` for signing (default: the AWS configuration's)")
	asJSON := fs.Bool("json", false, "print the request as the API answers it")
	tmpl := fs.String("template", "template.yaml", "SAM `template` naming each consumer's queue and visibility timeout (optional)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("want one request id, got %d arguments", fs.NArg())
	}
	raw, err := fetchRequest(ctx, *api, *region, fs.Arg(0))
	if err != nil {
		return err
	}
	if *asJSON {
		_, err := stdout.Write(append(raw, '\n'))
		return err
	}
	var r trace.Request
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("read the API's answer: %w", err)
	}
	return trace.Render(stdout, trace.Build(r, consumerQueues(*tmpl), time.Now()))
}

// consumerQueues names each consumer's queue and visibility timeout from
// the template, so the trace can say how long a record in flight stays
// invisible; without a readable template it says less.
func consumerQueues(path string) map[string]trace.Queue {
	t, err := samtemplate.Load(path)
	if err != nil {
		return nil
	}
	r, err := t.Resolve(nil, samtemplate.LocalResolver{})
	if err != nil {
		return nil
	}
	out := map[string]trace.Queue{}
	for _, f := range r.Functions {
		for _, ev := range f.SQSEvents {
			if q, ok := r.Queue(ev.Queue); ok {
				out[f.Name] = trace.Queue{Name: q.LogicalID, VisibilityTimeout: time.Duration(q.VisibilityTimeout) * time.Second}
			}
		}
	}
	return out
}

// fetchRequest GETs /launches/{id}: plainly from the local mode, signed
// (execute-api) from a deployed API, whose IAM authorizer refuses
// unsigned calls.
func fetchRequest(ctx context.Context, api, region, id string) ([]byte, error) {
	base, err := url.Parse(strings.TrimSuffix(api, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("--api %q: want http(s)://host[:port][/stage]", api)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base.String()+"/launches/"+url.PathEscape(id), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if !loopback(base.Hostname()) {
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, fmt.Errorf("AWS configuration for signing: %w", err)
		}
		if region == "" {
			region = cfg.Region
		}
		creds, err := cfg.Credentials.Retrieve(ctx)
		if err != nil {
			return nil, fmt.Errorf("AWS credentials for signing: %w", err)
		}
		if err := signRequest(ctx, req, creds, "execute-api", region, time.Now()); err != nil {
			return nil, err
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", req.URL, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", req.URL, resp.Status, strings.TrimSpace(string(body)))
	}
	return body, nil
}

// emptyPayloadHash is the SHA-256 of an empty body, which SigV4 signs.
var emptyPayloadHash = func() string { h := sha256.Sum256(nil); return hex.EncodeToString(h[:]) }()

// signRequest signs a body-less request with SigV4 as the AWS SDK does
// (API Gateway's service name is execute-api).
func signRequest(ctx context.Context, req *http.Request, creds aws.Credentials, service, region string, at time.Time) error {
	if region == "" {
		return errors.New("no AWS region to sign with: set --region or AWS_REGION")
	}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, emptyPayloadHash, service, region, at); err != nil {
		return fmt.Errorf("sign request: %w", err)
	}
	return nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
