package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
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
	return fs.String("data", def, "`directory` keeping localcloud's state (and under run the status store's); empty keeps it in memory")
}

// salvageFlag defines --salvage: start on a damaged data directory by
// keeping what can be read, instead of refusing.
func salvageFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("salvage", false, "when a state file under --data is damaged, keep what can be read, move the damaged file aside (it is never deleted) and log what was lost, instead of refusing to start")
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
