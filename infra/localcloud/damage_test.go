package localcloud_test

// Damage to the data directory over a real process: `eventchain
// localcloud` is killed, a file of its data directory is damaged, and the
// next start must refuse, naming the file, unless --salvage is given.

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// refusedStart runs `eventchain localcloud` on dataDir and expects it to
// exit with status 1 at once; it returns the output.
func refusedStart(t *testing.T, addr, dataDir string) string {
	t.Helper()
	cmd := exec.Command(eventchainBinary(t), "localcloud", "--data", dataDir, "--addr", addr)
	done := make(chan struct{})
	var out []byte
	var err error
	go func() {
		out, err = cmd.CombinedOutput()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill() //nolint:errcheck // it is being stopped
		<-done
		t.Fatalf("localcloud started on a damaged data directory; output:\n%s", out)
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit %v, want status 1; output:\n%s", err, out)
	}
	if strings.Contains(string(out), "panic") || strings.Contains(string(out), "goroutine ") {
		t.Errorf("the refusal is a panic:\n%s", out)
	}
	return string(out)
}

func salvagedDepth(t *testing.T, b backend, url string) string {
	t.Helper()
	out, err := b.SQS().GetQueueAttributes(b.Ctx(t), &sqs.GetQueueAttributesInput{QueueUrl: &url,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
	if err != nil {
		t.Fatalf("GetQueueAttributes: %v", err)
	}
	return out.Attributes["ApproximateNumberOfMessages"]
}

func TestDamagedDataDirectoryIsNeverSilentlyLost(t *testing.T) {
	tests := []struct {
		name string
		// clean stops the first process with SIGTERM (the log is folded
		// into the database) instead of SIGKILL.
		clean  bool
		damage func(t *testing.T, dataDir string) string // returns the damaged file
		want   string                                    // in the refusal
		kept   string                                    // messages after --salvage
	}{
		{
			name: "flipped byte in the log",
			damage: func(t *testing.T, dataDir string) string {
				logs, _ := filepath.Glob(filepath.Join(dataDir, "*.log"))
				if len(logs) != 1 {
					t.Fatalf("log segments %v, want one", logs)
				}
				data, err := os.ReadFile(logs[0])
				if err != nil {
					t.Fatal(err)
				}
				// Well inside the frames (a send is about 300 bytes).
				data[24+50*300] ^= 0x5a
				if err := os.WriteFile(logs[0], data, 0o600); err != nil {
					t.Fatal(err)
				}
				return logs[0]
			},
			want: "checksum mismatch",
			kept: "199",
		},
		{
			name:  "empty database after a clean stop",
			clean: true,
			damage: func(t *testing.T, dataDir string) string {
				path := filepath.Join(dataDir, "localcloud.db")
				if err := os.Truncate(path, 0); err != nil {
					t.Fatal(err)
				}
				return path
			},
			want: "empty",
			kept: "",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr, dataDir := freeAddr(t), t.TempDir()
			proc, b := startCloudProcess(t, addr, dataDir)
			sq, ctx := b.SQS(), b.Ctx(t)
			q, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("work")})
			if err != nil {
				t.Fatalf("CreateQueue: %v", err)
			}
			for i := range 200 {
				if _, err := sq.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(fmt.Sprintf("message-%03d", i))}); err != nil {
					t.Fatalf("SendMessage: %v", err)
				}
			}
			if tc.clean {
				proc.cmd.Process.Signal(os.Interrupt) //nolint:errcheck // checked by the wait
				<-proc.exited
			} else {
				proc.kill()
			}
			file := tc.damage(t, dataDir)

			out := refusedStart(t, addr, dataDir)
			if !strings.Contains(out, file) || !strings.Contains(out, "offset") || !strings.Contains(out, tc.want) || !strings.Contains(out, "--salvage") {
				t.Errorf("refusal does not name %s, the offset and %q, or suggest --salvage:\n%s", file, tc.want, out)
			}
			if _, err := os.Stat(file); err != nil {
				t.Fatalf("the refused start removed the damaged file: %v", err)
			}

			salvaged := exec.Command(eventchainBinary(t), "localcloud", "--data", dataDir, "--addr", addr, "--salvage")
			p2, b2 := startCommand(t, salvaged, addr, dataDir)
			if aside, _ := filepath.Glob(file + ".damaged-*"); len(aside) != 1 {
				t.Errorf("damaged file moved aside: %v, want one", aside)
			}
			if tc.kept == "" {
				if _, err := b2.SQS().GetQueueUrl(b2.Ctx(t), &sqs.GetQueueUrlInput{QueueName: aws.String("work")}); err == nil {
					t.Error("the queue of the emptied database is back")
				}
			} else if got := salvagedDepth(t, b2, aws.ToString(q.QueueUrl)); got != tc.kept {
				t.Errorf("%s messages after salvage, want %s", got, tc.kept)
			}
			p2.kill()
			if !strings.Contains(p2.stderr.String(), "salvag") {
				t.Errorf("the salvage was not reported:\n%s", p2.stderr)
			}
		})
	}
}
