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
)

// shutdownGrace bounds how long a stopping localcloud waits for requests
// in progress (a long poll holds its request for up to 20 s) before it
// closes their connections.
const shutdownGrace = 3 * time.Second

// runLocalcloud serves the emulator until SIGINT or SIGTERM, then stops
// accepting requests, lets those in progress finish and closes the state
// file, so that a clean stop and a kill both leave a loadable data
// directory.
func runLocalcloud(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("localcloud", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", localcloud.DefaultAddr, "loopback `host:port` to serve on")
	dataDir := fs.String("data", "", "`directory` to keep state in; empty keeps it in memory")
	bootDelay := fs.Duration("ec2-boot-delay", 0, "how long an EC2 instance stays pending")
	rate := fs.Float64("ec2-rate", 0, "EC2 API requests per second before RequestLimitExceeded (0: no limit)")
	burst := fs.Int("ec2-burst", 0, "EC2 API token bucket size (0: the rate rounded up)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if err := localcloud.CheckLoopback(*addr); err != nil {
		return fmt.Errorf("--addr: %w", err)
	}
	if *rate < 0 || *burst < 0 || *bootDelay < 0 {
		return errors.New("--ec2-rate, --ec2-burst and --ec2-boot-delay must not be negative")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewJSONHandler(stderr, nil))

	cloud, srv, l, err := localcloud.Listen(*addr, localcloud.Options{
		DataDir:      *dataDir,
		EC2BootDelay: *bootDelay,
		EC2RateLimit: *rate,
		EC2Burst:     *burst,
	})
	if err != nil {
		return err
	}
	endpoint := "http://" + l.Addr().String()
	fmt.Fprintln(stdout, endpoint)
	log.Info("localcloud serving", "endpoint", endpoint, "data_dir", *dataDir)

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
