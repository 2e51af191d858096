package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/eventchain/eventchain/infra/localcloud"
	ec2emu "github.com/eventchain/eventchain/infra/localcloud/ec2"
	"github.com/eventchain/eventchain/infra/localcloud/storage"
)

// shutdownGrace bounds how long a stopping localcloud waits for requests
// in progress before it closes their connections. Long polls, which may
// wait 20 s, answer as soon as the shutdown starts (localcloud.Listen).
const shutdownGrace = 3 * time.Second

// localcloudConfig is what the localcloud command's flags ask for.
type localcloudConfig struct {
	addr   string
	opts   localcloud.Options
	faults faultFlags
}

// parseLocalcloudFlags reads the localcloud command's arguments.
func parseLocalcloudFlags(args []string, stderr io.Writer) (localcloudConfig, error) {
	fs := newFlagSet("localcloud", stderr)
	addr := fs.String("addr", localcloud.DefaultAddr, "loopback `host:port` to serve on")
	dataDir := dataFlag(fs, "")
	salvage := salvageFlag(fs)
	var faults faultFlags
	faults.register(fs)
	var ec2 ec2Flags
	ec2.register(fs, 0, &faults)
	terminateDelay := fs.Duration("ec2-terminate-delay", 0, "how long a terminating EC2 instance stays shutting-down")
	retention := fs.Duration("ec2-terminated-retention", ec2emu.DefaultTerminatedRetention, "how long a terminated EC2 instance stays describable (negative: forever)")
	notFoundFor := fs.Duration("ec2-not-found-for", 0, "how long after launch DescribeInstances answers InvalidInstanceID.NotFound for an instance (EC2's eventual consistency)")
	alarmScale := alarmPeriodScaleFlag(fs)
	var cfg localcloudConfig
	if err := parseFlags(fs, args); err != nil {
		return cfg, err
	}
	if err := localcloud.CheckLoopback(*addr); err != nil {
		return cfg, fmt.Errorf("--addr: %w", err)
	}
	if err := ec2.check(); err != nil {
		return cfg, err
	}
	if err := checkAlarmPeriodScale(*alarmScale); err != nil {
		return cfg, err
	}
	if *terminateDelay < 0 || *notFoundFor < 0 {
		return cfg, errors.New("--ec2-terminate-delay and --ec2-not-found-for must not be negative")
	}
	if *retention == 0 {
		// ec2.Options reads zero as its default; the flag's zero means
		// what it says: terminated instances disappear at once.
		*retention = time.Nanosecond
	}
	cfg.addr = *addr
	cfg.faults = faults
	cfg.opts = localcloud.Options{
		DataDir:                *dataDir,
		Salvage:                *salvage,
		EC2BootDelay:           ec2.bootDelay,
		EC2TerminateDelay:      *terminateDelay,
		EC2TerminatedRetention: *retention,
		EC2NotFoundFor:         *notFoundFor,
		EC2RateLimit:           ec2.rate,
		EC2Burst:               ec2.burst,
	}
	if *alarmScale != 1 { // the zero Options keep the declared periods
		cfg.opts.AlarmPeriodScale = *alarmScale
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
	cfg.opts.Logger = log

	cloud, srv, l, err := localcloud.Listen(cfg.addr, cfg.opts)
	if err != nil {
		if dmg := (*storage.Damage)(nil); errors.As(err, &dmg) {
			return fmt.Errorf("%w\nnothing was changed; start with --salvage to keep what can be read, move the damaged file aside and log what was lost", err)
		}
		return err
	}
	if err := cfg.faults.apply(cloud); err != nil {
		return errors.Join(err, srv.Close(), cloud.Close())
	}
	endpoint := "http://" + l.Addr().String()
	fmt.Fprintln(stdout, endpoint)
	log.Info("localcloud serving", "endpoint", endpoint, "data_dir", cfg.opts.DataDir)
	if len(cfg.faults.given) > 0 {
		log.Info("localcloud injecting faults", "flags", strings.Join(cfg.faults.given, " "), "change_at", endpoint+localcloud.FaultsPath)
	}

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
