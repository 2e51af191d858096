package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"

	ec2emu "github.com/eventchain/eventchain/infra/localcloud/ec2"
)

// ec2Faults collects the failures that the --ec2-fail and --ec2-fail-image
// flags ask to inject into the emulated EC2, to apply once it runs. The
// run and localcloud commands share them, so both take the same syntax.
type ec2Faults []func(*ec2emu.Service)

// register defines --ec2-fail and --ec2-fail-image on fs.
func (f *ec2Faults) register(fs *flag.FlagSet) {
	fs.Func("ec2-fail", "inject EC2 API errors, ACTION:CODE:N, e.g. RunInstances:InsufficientInstanceCapacity:3 (repeatable)", f.addFailure)
	fs.Func("ec2-fail-image", "make instances of an image die while booting, AMI:REASON, e.g. ami-12345678:Server.InternalError (repeatable)", f.addImageFailure)
}

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
