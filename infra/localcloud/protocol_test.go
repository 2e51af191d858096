package localcloud_test

// The protocol suite: the same test bodies run against localcloud (in
// memory and with a data directory) and against moto_server, an independent
// emulator of the same wire protocols, with the same assertions. A body
// that needs something moto lacks checks b.IsLocal and says why.
//
// Writing a protocol test:
//
//	func TestSQSSomething(t *testing.T) {
//		forEachBackend(t, func(t *testing.T, b backend) {
//			client := b.SQS()
//			...
//		})
//	}
//
// Each backend subtest starts from empty state: localcloud backends are
// created per subtest, the shared moto_server is reset before each one.
// Because of that reset, protocol tests must not call t.Parallel.

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/eventchain/eventchain/infra/localcloud"
	"github.com/eventchain/eventchain/internal/awsenv"
	"github.com/eventchain/eventchain/internal/motoserver"
)

// backend is one server that the protocol suite runs against.
type backend struct {
	// Name is "localcloud-memory", "localcloud-disk" or "moto".
	Name string
	// Endpoint is the base URL the SDK clients are pointed at.
	Endpoint string
	// IsLocal is true for localcloud backends: tests of behaviour moto
	// lacks run only there.
	IsLocal bool
	// Cloud is the localcloud instance behind Endpoint; nil for moto.
	Cloud *localcloud.Cloud
	// DataDir is the localcloud data directory ("" in memory and for moto).
	DataDir string
	// stop shuts a localcloud backend down (idempotent); nil for moto.
	stop func()
}

// testRegion and testAccount are what every backend answers with.
const (
	testRegion  = "us-east-1"
	testAccount = "123456789012"
)

// AWSConfig returns an SDK configuration with static test credentials for
// the backend; clients built from it still need BaseEndpoint (see SQS).
func (b backend) AWSConfig() aws.Config {
	return aws.Config{
		Region:      testRegion,
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		// The SDK's client, minus a request-body race with fast servers
		// (see awsenv.HTTPClient).
		HTTPClient: awsenv.HTTPClient(),
	}
}

// SQS returns an SQS client for the backend.
func (b backend) SQS(optFns ...func(*sqs.Options)) *sqs.Client {
	return sqs.NewFromConfig(b.AWSConfig(), append([]func(*sqs.Options){func(o *sqs.Options) {
		o.BaseEndpoint = aws.String(b.Endpoint)
	}}, optFns...)...)
}

// SNS returns an SNS client for the backend.
func (b backend) SNS(optFns ...func(*sns.Options)) *sns.Client {
	return sns.NewFromConfig(b.AWSConfig(), append([]func(*sns.Options){func(o *sns.Options) {
		o.BaseEndpoint = aws.String(b.Endpoint)
	}}, optFns...)...)
}

// EC2 returns an EC2 client for the backend.
func (b backend) EC2(optFns ...func(*ec2.Options)) *ec2.Client {
	return ec2.NewFromConfig(b.AWSConfig(), append([]func(*ec2.Options){func(o *ec2.Options) {
		o.BaseEndpoint = aws.String(b.Endpoint)
	}}, optFns...)...)
}

// Ctx returns a context for one test step that ends with the test.
func (b backend) Ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// backendKinds lists the backends each protocol test runs on, in order.
var backendKinds = []string{"localcloud-memory", "localcloud-disk", "moto"}

// forEachBackend runs fn as one subtest per backend, each from empty state.
func forEachBackend(t *testing.T, fn func(t *testing.T, b backend)) {
	t.Helper()
	for _, kind := range backendKinds {
		t.Run(kind, func(t *testing.T) {
			fn(t, newBackend(t, kind, localcloud.Options{}))
		})
	}
}

// forEachLocalBackend runs fn on the localcloud backends only, for
// behaviour moto does not implement; callers say in a comment what moto
// lacks.
func forEachLocalBackend(t *testing.T, fn func(t *testing.T, b backend)) {
	t.Helper()
	for _, kind := range backendKinds {
		if kind == "moto" {
			continue
		}
		t.Run(kind, func(t *testing.T) {
			fn(t, newBackend(t, kind, localcloud.Options{}))
		})
	}
}

// newBackend starts a backend of the given kind. For localcloud kinds, opts
// is passed to localcloud.New (DataDir and BaseURL are filled in).
func newBackend(t *testing.T, kind string, opts localcloud.Options) backend {
	t.Helper()
	switch kind {
	case "moto":
		endpoint := sharedMoto(t)
		if err := motoserver.Reset(endpoint); err != nil {
			t.Fatalf("reset moto: %v", err)
		}
		return backend{Name: kind, Endpoint: endpoint}
	case "localcloud-memory", "localcloud-disk":
		if kind == "localcloud-disk" && opts.DataDir == "" {
			opts.DataDir = t.TempDir()
		}
		return startLocal(t, kind, "", opts)
	default:
		t.Fatalf("unknown backend %q", kind)
		return backend{}
	}
}

// startLocal serves a new localcloud on a loopback httptest server until
// the test ends. A non-empty addr binds that address (restartLocal reuses
// the old one so clients and queue URLs stay valid).
func startLocal(t *testing.T, name, addr string, opts localcloud.Options) backend {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	if addr != "" {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("listen again on %s: %v", addr, err)
		}
		srv.Listener.Close()
		srv.Listener = l
	}
	// The Cloud is complete, handler and all, before the server starts:
	// its queue URLs need the bound address, which the listener already
	// has.
	opts.BaseURL = "http://" + srv.Listener.Addr().String()
	cloud, err := localcloud.New(opts)
	if err != nil {
		srv.Close()
		t.Fatalf("start localcloud: %v", err)
	}
	srv.Config.Handler = cloud
	srv.Start()
	if srv.URL != opts.BaseURL {
		t.Fatalf("server URL %s, want %s", srv.URL, opts.BaseURL)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			// httptest's Close waits for requests in progress: end long
			// polls first.
			cloud.EndLongPolls()
			srv.Close()
			if err := cloud.Close(); err != nil {
				t.Errorf("close localcloud: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return backend{Name: name, Endpoint: srv.URL, IsLocal: true, Cloud: cloud, DataDir: opts.DataDir, stop: stop}
}

// restartLocal stops a localcloud backend that has a data directory and
// starts a new one on the same directory and address, so a test can check
// what survives a restart with the clients it already has.
func restartLocal(t *testing.T, b backend) backend {
	t.Helper()
	if !b.IsLocal || b.DataDir == "" {
		t.Fatalf("restartLocal needs a localcloud backend with a data directory, got %s", b.Name)
	}
	b.stop()
	return startLocal(t, b.Name, strings.TrimPrefix(b.Endpoint, "http://"), localcloud.Options{DataDir: b.DataDir})
}

// One moto_server serves the whole test binary; it starts on first use and
// stops after every test has run (TestMain).
var (
	motoOnce     sync.Once
	motoEndpoint string
	motoTB       = &processTB{}
)

func sharedMoto(t *testing.T) string {
	t.Helper()
	motoOnce.Do(func() {
		func() {
			defer func() {
				if r := recover(); r != nil && r != errProcessTBFatal {
					panic(r)
				}
			}()
			motoEndpoint = motoserver.Start(motoTB)
		}()
	})
	if motoEndpoint == "" {
		t.Fatalf("moto_server did not start: %s", motoTB.failure)
	}
	return motoEndpoint
}

// processTB lets motoserver.Start, which wants a testing.TB, live as long
// as the test binary: cleanups run from TestMain after all tests.
type processTB struct {
	testing.TB // nil: only the methods below are used
	mu         sync.Mutex
	cleanups   []func()
	dirs       []string
	failure    string
}

var errProcessTBFatal = fmt.Errorf("fatal in shared test fixture")

func (p *processTB) Helper() {}

func (p *processTB) Cleanup(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cleanups = append(p.cleanups, f)
}

func (p *processTB) TempDir() string {
	dir, err := os.MkdirTemp("", "localcloud-protocol-*")
	if err != nil {
		p.Fatalf("temp dir: %v", err)
	}
	p.mu.Lock()
	p.dirs = append(p.dirs, dir)
	p.mu.Unlock()
	return dir
}

func (p *processTB) Fatalf(format string, args ...any) {
	p.failure = fmt.Sprintf(format, args...)
	panic(errProcessTBFatal)
}

func (p *processTB) Fatal(args ...any) {
	p.failure = fmt.Sprint(args...)
	panic(errProcessTBFatal)
}

func (p *processTB) Logf(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }

func (p *processTB) Errorf(format string, args ...any) {
	p.failure = fmt.Sprintf(format, args...)
}

// close runs the cleanups in reverse order and removes the temp dirs.
func (p *processTB) close() {
	p.mu.Lock()
	cleanups, dirs := p.cleanups, p.dirs
	p.cleanups, p.dirs = nil, nil
	p.mu.Unlock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	for _, d := range dirs {
		os.RemoveAll(d)
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	motoTB.close()
	os.Exit(code)
}

// localcloudOptions is the default configuration of a localcloud backend.
func localcloudOptions() localcloud.Options { return localcloud.Options{} }
