package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"strconv"
	"strings"

	"github.com/eventchain/eventchain/infra/localcloud"
	ec2emu "github.com/eventchain/eventchain/infra/localcloud/ec2"
	"github.com/eventchain/eventchain/infra/localcloud/faults"
)

// Flags that more than one command takes are declared once, by the
// functions of this file and of ec2flags.go (the emulated EC2's flags);
// a command only calls them, with its own defaults where they differ.

// newFlagSet returns a command's flag set: parse errors and -h go to
// stderr, under a usage line naming the command and what it does.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if !hasFlags {
			fmt.Fprintf(stderr, "usage: eventchain %s\n\n%s\n", name, summary(name))
			return
		}
		fmt.Fprintf(stderr, "usage: eventchain %s [flags]\n\n%s\n\nflags:\n", name, summary(name))
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, which must hold flags only.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return nil
}

// dataFlag defines --data, the directory a command keeps its state in;
// def is its default.
func dataFlag(fs *flag.FlagSet, def string) *string {
	return fs.String("data", def, "`directory` keeping localcloud's state (the status table included); empty keeps it in memory")
}

// salvageFlag defines --salvage: start on a damaged data directory by
// keeping what can be read, instead of refusing.
func salvageFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("salvage", false, "when a state file under --data is damaged, keep what can be read, move the damaged file aside (it is never deleted) and log what was lost, instead of refusing to start")
}

// alarmPeriodScaleFlag defines --alarm-period-scale: how much shorter the
// periods of CloudWatch alarms are locally, so that an alarm changes state
// in moments rather than minutes.
func alarmPeriodScaleFlag(fs *flag.FlagSet) *float64 {
	return fs.Float64("alarm-period-scale", 1, "multiply the periods CloudWatch alarms are evaluated over, e.g. 0.01 evaluates a 60 s period every 600 ms (alarms still report their declared periods)")
}

// checkAlarmPeriodScale refuses a scale that is not a positive number.
func checkAlarmPeriodScale(scale float64) error {
	if !(scale > 0) || math.IsInf(scale, 0) {
		return fmt.Errorf("--alarm-period-scale %v: want a positive number, such as 0.01", scale)
	}
	return nil
}

// defaultPort is the port of a default host:port address, as the default
// of a flag that takes only the port.
func defaultPort(addr string) int {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		panic(fmt.Sprintf("default address %q: %v", addr, err))
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		panic(fmt.Sprintf("default address %q: port: %v", addr, err))
	}
	return n
}

// faultFlags collects the faults that --fail, --fail-delivery and EC2's
// --ec2-fail and --ec2-fail-image ask to inject into localcloud, to apply
// once it runs, and the flags as given, for the banner.
type faultFlags struct {
	set    faults.Set
	images []imageFailure
	given  []string
}

// imageFailure is one --ec2-fail-image: instances of ami die while
// booting with reason as their state reason.
type imageFailure struct{ ami, reason string }

// register defines --fail and --fail-delivery on fs.
func (f *faultFlags) register(fs *flag.FlagSet) {
	fs.Func("fail", "make the next N calls of an operation answer an AWS error, SERVICE:Operation:Code:N with N a count or * (until cleared), e.g. sqs:SendMessage:ServiceUnavailable:3 (repeatable)", f.addFailure)
	fs.Func("fail-delivery", "make the next N SNS deliveries to a queue fail, sending them to the subscription's dead-letter queue, ENDPOINT:N with the queue's ARN or name and N a count or * (repeatable)", f.addDeliveryFailure)
}

// addFailure parses SERVICE:Operation:Code:N.
func (f *faultFlags) addFailure(v string) error {
	fault, err := faults.Parse(v)
	if err != nil {
		return err
	}
	f.set.Faults = append(f.set.Faults, fault)
	f.given = append(f.given, "--fail "+v)
	return nil
}

// addEC2Failure parses ACTION:CODE:N, the fault ec2:ACTION:CODE:N.
func (f *faultFlags) addEC2Failure(v string) error {
	if strings.Count(v, ":") != 2 {
		return fmt.Errorf("%q: want ACTION:CODE:N, e.g. RunInstances:InsufficientInstanceCapacity:3", v)
	}
	fault, err := faults.Parse("ec2:" + v)
	if err != nil {
		return err
	}
	f.set.Faults = append(f.set.Faults, fault)
	f.given = append(f.given, "--ec2-fail "+v)
	return nil
}

// addDeliveryFailure parses ENDPOINT:N.
func (f *faultFlags) addDeliveryFailure(v string) error {
	d, err := faults.ParseDelivery(v)
	if err != nil {
		return err
	}
	f.set.Deliveries = append(f.set.Deliveries, d)
	f.given = append(f.given, "--fail-delivery "+v)
	return nil
}

// addImageFailure parses AMI:REASON, refusing an image id RunInstances
// would refuse, as no instance could ever launch from it.
func (f *faultFlags) addImageFailure(v string) error {
	ami, reason, ok := strings.Cut(v, ":")
	if !ok || ami == "" || reason == "" {
		return fmt.Errorf("%q: want AMI:REASON, e.g. ami-12345678:Server.InternalError", v)
	}
	if !ec2emu.ValidImageID(ami) {
		return fmt.Errorf("image %q: want ami- and 8 or 17 lowercase hex digits, as EC2 accepts", ami)
	}
	f.images = append(f.images, imageFailure{ami, reason})
	f.given = append(f.given, "--ec2-fail-image "+v)
	return nil
}

// apply injects every collected failure into c, or none if c refuses
// one (a service or operation it does not serve).
func (f *faultFlags) apply(c *localcloud.Cloud) error {
	if err := c.InjectFaults(f.set); err != nil {
		return fmt.Errorf("--fail: %w", err)
	}
	for _, img := range f.images {
		c.EC2.FailLaunches(img.ami, ec2emu.StateReason{Code: img.reason, Message: img.reason + ": injected launch failure"})
	}
	return nil
}
