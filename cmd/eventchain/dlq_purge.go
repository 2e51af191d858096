package main

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/eventchain/eventchain/internal/dlq"
)

func runDLQPurge(e *dlqEnv, args []string) error {
	fs := e.flagSet("purge", true, true)
	yes := fs.Bool("yes", false, "purge without asking")
	q, st, err := e.openQueue(fs, args)
	if err != nil {
		return err
	}
	if st.Depth() == 0 {
		fmt.Fprintf(e.stdout, "%s is empty: nothing to purge.\n", q.Label())
		return nil
	}
	if !*yes {
		fmt.Fprintf(e.stderr, "Purge %s (%s at %s): delete its %s for good?\n"+
			"`eventchain dlq export %s > dump.jsonl` keeps a copy first. [y/N] ", q.Label(), q.Name, e.where, describeDepth(st), q.Label())
		answer, _ := bufio.NewReader(e.stdin).ReadString('\n')
		switch strings.ToLower(strings.TrimSpace(answer)) {
		case "y", "yes":
		case "":
			if answer == "" { // end of input: nobody to ask
				return usagef("not purged: no answer on stdin (pass --yes to purge without asking)")
			}
			fallthrough
		default:
			fmt.Fprintln(e.stderr, "not purged.")
			return fmt.Errorf("%s not purged: %w", q.Label(), errReported)
		}
	}
	before, err := dlq.Purge(e.ctx, e.sqs, q.URL)
	if err != nil {
		if strings.Contains(err.Error(), "PurgeQueueInProgress") {
			return fmt.Errorf("%w (SQS allows one purge of a queue a minute)", err)
		}
		return err
	}
	if e.f.json {
		return writeJSON(e.stdout, struct {
			Queue    queueView `json:"queue"`
			Visible  int       `json:"visible"`
			InFlight int       `json:"inFlight"`
			Delayed  int       `json:"delayed"`
		}{viewOfQueue(q), before.Visible, before.InFlight, before.Delayed})
	}
	fmt.Fprintf(e.stdout, "purged %s: removed the %s it held (SQS's approximate counts just before; the purge may take up to a minute to finish).\n", q.Label(), describeDepth(before))
	return nil
}

func describeDepth(st dlq.QueueState) string {
	s := fmt.Sprintf("%d messages (%d visible, %d in flight", st.Depth(), st.Visible, st.InFlight)
	if st.Delayed > 0 {
		s += fmt.Sprintf(", %d delayed", st.Delayed)
	}
	return s + ")"
}
