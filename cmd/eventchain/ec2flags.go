package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	ec2emu "github.com/eventchain/eventchain/infra/localcloud/ec2"
)

// ec2Flags are the flags of the emulated EC2 that the run and localcloud
// commands share: how long instances stay pending, the API's rate limit
// and the failures to inject. They are declared here only, so both
// commands take the same names, syntax and help; only the default boot
// delay differs between them (register's argument). The flags only
// localcloud has (--ec2-terminate-delay, --ec2-terminated-retention,
// --ec2-not-found-for) are declared in localcloud.go.
type ec2Flags struct {
	bootDelay time.Duration
	rate      float64
	burst     int
	faults    ec2Faults
}

// register defines the shared EC2 flags on fs; bootDelay is the default
// of --ec2-boot-delay.
func (f *ec2Flags) register(fs *flag.FlagSet, bootDelay time.Duration) {
	fs.DurationVar(&f.bootDelay, "ec2-boot-delay", bootDelay, "how long an emulated EC2 instance stays pending")
	fs.Float64Var(&f.rate, "ec2-rate", 0, "EC2 API requests per second before RequestLimitExceeded (0: no limit)")
	fs.IntVar(&f.burst, "ec2-burst", 0, "EC2 API token bucket size (0: the rate rounded up, at least 1)")
	fs.Func("ec2-fail", "inject EC2 API errors, ACTION:CODE:N, e.g. RunInstances:InsufficientInstanceCapacity:3 (repeatable)", f.faults.addFailure)
	fs.Func("ec2-fail-image", "make instances of an image die while booting, AMI:REASON, e.g. ami-12345678:Server.InternalError (repeatable)", f.faults.addImageFailure)
}

// check refuses negative values once the flags are parsed.
func (f *ec2Flags) check() error {
	if f.rate < 0 || f.burst < 0 || f.bootDelay < 0 {
		return errors.New("--ec2-rate, --ec2-burst and --ec2-boot-delay must not be negative")
	}
	return nil
}

// ec2Faults collects the failures that the --ec2-fail and --ec2-fail-image
// flags ask to inject into the emulated EC2, to apply once it runs.
type ec2Faults []func(*ec2emu.Service)

// addFailure parses ACTION:CODE:N: the next N calls of ACTION answer CODE.
func (f *ec2Faults) addFailure(v string) error {
	parts := strings.Split(v, ":")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return errors.New("want ACTION:CODE:N")
	}
	n, err := strconv.Atoi(parts[2])
	if err != nil || n < 1 {
		return fmt.Errorf("count %q: want a positive number", parts[2])
	}
	*f = append(*f, func(s *ec2emu.Service) { s.InjectFailure(parts[0], parts[1], n) })
	return nil
}

// addImageFailure parses AMI:REASON: instances of AMI die while booting
// with REASON as their state reason.
func (f *ec2Faults) addImageFailure(v string) error {
	ami, reason, ok := strings.Cut(v, ":")
	if !ok || ami == "" || reason == "" {
		return errors.New("want AMI:REASON")
	}
	*f = append(*f, func(s *ec2emu.Service) {
		s.FailLaunches(ami, ec2emu.StateReason{Code: reason, Message: reason + ": injected launch failure"})
	})
	return nil
}

// apply injects every collected failure into s.
func (f ec2Faults) apply(s *ec2emu.Service) {
	for _, inject := range f {
		inject(s)
	}
}
