package main

import (
	"errors"
	"flag"
	"time"
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
}

// register defines the shared EC2 flags on fs; bootDelay is the default
// of --ec2-boot-delay. EC2's failure flags add to faults.
func (f *ec2Flags) register(fs *flag.FlagSet, bootDelay time.Duration, faults *faultFlags) {
	fs.DurationVar(&f.bootDelay, "ec2-boot-delay", bootDelay, "how long an emulated EC2 instance stays pending")
	fs.Float64Var(&f.rate, "ec2-rate", 0, "EC2 API requests per second before RequestLimitExceeded (0: no limit)")
	fs.IntVar(&f.burst, "ec2-burst", 0, "EC2 API token bucket size (0: the rate rounded up, at least 1)")
	fs.Func("ec2-fail", "inject EC2 API errors, ACTION:CODE:N, e.g. RunInstances:InsufficientInstanceCapacity:3; the same as --fail ec2:ACTION:CODE:N (repeatable)", faults.addEC2Failure)
	fs.Func("ec2-fail-image", "make instances of an image die while booting, AMI:REASON, e.g. ami-12345678:Server.InternalError (repeatable)", faults.addImageFailure)
}

// check refuses negative values once the flags are parsed.
func (f *ec2Flags) check() error {
	if f.rate < 0 || f.burst < 0 || f.bootDelay < 0 {
		return errors.New("--ec2-rate, --ec2-burst and --ec2-boot-delay must not be negative")
	}
	return nil
}
