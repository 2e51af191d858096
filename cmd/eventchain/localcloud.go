package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/eventchain/eventchain/infra/localcloud"
	ec2emu "github.com/eventchain/eventchain/infra/localcloud/ec2"
)

// shutdownGrace bounds how long a stopping localcloud waits for requests
// in progress before it closes their connections. Long polls, which may
// wait 20 s, answer as soon as the shutdown starts (localcloud.Listen).
const shutdownGrace = 3 * time.Second

// localcloudConfig is what the localcloud command's flags ask for.
type localcloudConfig struct {
	addr     string
	opts     localcloud.Options
	failures ec2Faults
}

// parseLocalcloudFlags reads the localcloud command's arguments.
func parseLocalcloudFlags(args []string, stderr io.Writer) (localcloudConfig, error) {
	fs := flag.NewFlagSet("localcloud", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", localcloud.DefaultAddr, "loopback `host:port` to serve on")
	dataDir := fs.String("data", "", "`directory` to keep state in; empty keeps it in memory")
	bootDelay := fs.Duration("ec2-boot-delay", 0, "how long an EC2 instance stays pending")
	terminateDelay := fs.Duration("ec2-terminate-delay", 0, "how long a terminating EC2 instance stays shutting-down")
	retention := fs.Duration("ec2-terminated-retention", ec2emu.DefaultTerminatedRetention, "how long a terminated EC2 instance stays describable (negative: forever)")
	notFoundFor := fs.Duration("ec2-not-found-for", 0, "how long after launch DescribeInstances answers InvalidInstanceID.NotFound for an instance (EC2's eventual consistency)")
	rate := fs.Float64("ec2-rate", 0, "EC2 API requests per second before RequestLimitExceeded (0: no limit)")
	burst := fs.Int("ec2-burst", 0, "EC2 API token bucket size (0: the rate rounded up)")
	var cfg localcloudConfig
	cfg.failures.register(fs)
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if err := localcloud.CheckLoopback(*addr); err != nil {
		return cfg, fmt.Errorf("--addr: %w", err)
	}
	if *rate < 0 || *burst < 0 || *bootDelay < 0 || *terminateDelay < 0 || *notFoundFor < 0 {
		return cfg, errors.New("--ec2-rate, --ec2-burst, --ec2-boot-delay, --ec2-terminate-delay and --ec2-not-found-for must not be negative")
	}
	if *retention == 0 {
		// ec2.Options reads zero as its default; the flag's zero means
		// what it says: terminated instances disappear at once.
		*retention = time.Nanosecond
	}
	cfg.addr = *addr
	cfg.opts = localcloud.Options{
		DataDir:                *dataDir,
		EC2BootDelay:           *bootDelay,
		EC2TerminateDelay:      *terminateDelay,
		EC2TerminatedRetention: *retention,
		EC2NotFoundFor:         *notFoundFor,
		EC2RateLimit:           *rate,
		EC2Burst:               *burst,
	}
	return cfg, nil
}

// runLocalcloud serves the emulator until SIGINT or SIGTERM, then stops
// accepting requests, lets those in progress finish and closes the state
// file, so that a clean stop and a kill both leave a loadable data
// directory.
func runLocalcloud(args []string, stdout, stderr io.Writer) error {
	cfg, err := parseLocalcloudFlags(args, stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewJSONHandler(stderr, nil))

	cloud, srv, l, err := localcloud.Listen(cfg.addr, cfg.opts)
	if err != nil {
		return err
	}
	cfg.failures.apply(cloud.EC2)
	endpoint := "http://" + l.Addr().String()
	fmt.Fprintln(stdout, endpoint)
	log.Info("localcloud serving", "endpoint", endpoint, "data_dir", cfg.opts.DataDir)

	<-ctx.Done()
	log.Info("localcloud stopping")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	var errs []error
	if err := srv.Shutdown(shutdownCtx); err != nil {
		// Requests still running past the grace period are cut off; what
		// they acknowledged is already on disk.
		errs = append(errs, srv.Close())
	}
	if err := cloud.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close state: %w", err))
	}
	if err := errors.Join(errs...); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("localcloud stopped")
	return nil
}
