package main

import (
	"fmt"
	"time"

	"github.com/eventchain/eventchain/internal/dlq"
)

func runDLQExport(e *dlqEnv, args []string) error {
	fs := e.flagSet("export", true, false)
	visibility := fs.Duration("visibility", 30*time.Second, "visibility timeout of the messages export holds, extended while it reads")
	q, st, err := e.openQueue(fs, args)
	if err != nil {
		return err
	}
	if st.RedrivePolicy != nil {
		fmt.Fprintf(e.stderr, "warning: %s has a redrive policy of its own: this read counts as a receive (a message received %d times moves on to %s).\n",
			q.Label(), st.RedrivePolicy.MaxReceiveCount, dlq.NameFromARN(st.RedrivePolicy.DeadLetterTargetARN))
	}
	bar := e.newProgress("exporting "+q.Label(), int64(st.Visible), false)
	stats, err := dlq.Export(e.ctx, e.sqs, q.URL, e.stdout, dlq.ScanOptions{Visibility: *visibility, Finish: e.finish, Logger: e.log,
		Progress: func(seen, expected int) { bar.set(int64(seen), int64(expected)) }})
	bar.done()
	fmt.Fprintf(e.stderr, "exported %d of %d visible messages of %s", stats.Seen, stats.Expected, q.Label())
	if stats.InFlight > 0 {
		fmt.Fprintf(e.stderr, " (%d in flight not seen)", stats.InFlight)
	}
	fmt.Fprintln(e.stderr, "; all still there, visible again.")
	if err == nil && stats.Seen < stats.Expected {
		return incomplete(q, st, stats)
	}
	return err
}

// incomplete is the error of a read that saw less than the queue held.
func incomplete(q dlq.Queue, st dlq.QueueState, stats dlq.ScanStats) error {
	why := "the others were received by someone else meanwhile, or SQS's count was high"
	if st.FIFO {
		why = "a FIFO queue hands out nothing more of a message group while part of it is in flight, so a read that deletes nothing sees the first messages of each group only"
	}
	return fmt.Errorf("read %d of the %d visible messages of %s: %s", stats.Seen, stats.Expected, q.Label(), why)
}

func runDLQImport(e *dlqEnv, args []string) error {
	fs := e.flagSet("import", true, true)
	q, st, err := e.openQueue(fs, args)
	if err != nil {
		return err
	}
	if st.FIFO {
		fmt.Fprintf(e.stderr, "note: %s is a FIFO queue: it drops a message whose deduplication id it has taken in the last %s (and answers it as sent),\n"+
			"      so importing within %s of an earlier import, or of the original sends, enqueues those messages once only.\n", q.Label(), dlq.DedupWindow, dlq.DedupWindow)
	}
	bar := e.newProgress("importing into "+q.Label(), -1, false)
	res, err := dlq.Import(e.ctx, e.sqs, st, e.stdin, func(sent int) { bar.set(int64(sent), -1) })
	bar.done()
	if e.f.json {
		if jerr := writeJSON(e.stdout, struct {
			Queue          queueView `json:"queue"`
			Sent           int       `json:"sent"`
			Lines          int       `json:"lines"`
			DroppedFIFOIDs int       `json:"droppedFifoIds"`
		}{viewOfQueue(q), res.Sent, res.Lines, res.DroppedFIFOIDs}); jerr != nil && err == nil {
			err = jerr
		}
	} else {
		fmt.Fprintf(e.stdout, "imported %d messages into %s from %d lines.\n", res.Sent, q.Label(), res.Lines)
	}
	if res.DroppedFIFOIDs > 0 {
		fmt.Fprintf(e.stderr, "note: %d messages carried FIFO group and deduplication ids, which standard queue %s does not take: sent without them.\n", res.DroppedFIFOIDs, q.Label())
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "the first %d messages were sent; sending the file again sends them again", res.Sent)
		if st.FIFO {
			fmt.Fprintf(e.stderr, " (unless within %s: a FIFO queue drops them as duplicates)", dlq.DedupWindow)
		}
		fmt.Fprintln(e.stderr, ".")
	}
	return err
}
