package localcloud_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/eventchain/eventchain/infra/localcloud"
)

// crashChildDir tells the test binary, run again by
// TestDynamoDBSurvivesKill, to serve localcloud on that data directory
// until it is killed.
const crashChildDir = "LOCALCLOUD_DYNAMODB_CRASH_CHILD_DIR"

// TestDynamoDBCrashChild is the process TestDynamoDBSurvivesKill kills;
// on its own it does nothing.
func TestDynamoDBCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildDir)
	if dir == "" {
		t.Skip("the process TestDynamoDBSurvivesKill starts and kills")
	}
	_, _, l, err := localcloud.Listen("127.0.0.1:0", localcloud.Options{DataDir: dir})
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	fmt.Printf("LISTENING %s\n", l.Addr())
	select {} // until killed
}

// TestDynamoDBSurvivesKill writes items from several clients to a
// localcloud process, kills it with SIGKILL while writes are in flight,
// reopens the data directory and finds every item whose write was
// acknowledged, each with its last acknowledged update.
func TestDynamoDBSurvivesKill(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestDynamoDBCrashChild$", "-test.v")
	cmd.Env = append(os.Environ(), crashChildDir+"="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the child: %v", err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "LISTENING "); ok {
				addr <- a
			}
		}
	}()
	var child backend
	select {
	case a := <-addr:
		child = backend{Name: "child", Endpoint: "http://" + a, IsLocal: true}
	case <-time.After(30 * time.Second):
		t.Fatal("the child did not start listening within 30s")
	}
	c := child.DynamoDB()
	createDDBTable(t, child, c, ddbTableSpec{name: "crash"})

	const clients = 4
	var acked sync.Map // pk → last acknowledged n
	var total atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				pk := fmt.Sprintf("w%d-%d", w, i/2)
				var err error
				if i%2 == 0 {
					_, err = c.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String("crash"),
						Item: map[string]ddbtypes.AttributeValue{"pk": avS(pk), "n": avN(0)}, ConditionExpression: aws.String("attribute_not_exists(pk)")},
						func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
				} else {
					_, err = c.UpdateItem(t.Context(), &dynamodb.UpdateItemInput{TableName: aws.String("crash"),
						Key: map[string]ddbtypes.AttributeValue{"pk": avS(pk)}, UpdateExpression: aws.String("SET n = :one"),
						ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":one": avN(1)}},
						func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
				}
				if err != nil {
					return // the child is gone
				}
				acked.Store(pk, i%2)
				total.Add(1)
			}
		}()
	}
	for total.Load() < 200 {
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill the child: %v", err)
	}
	killed = true
	cmd.Wait()
	close(stop)
	wg.Wait()

	b := startLocal(t, "localcloud-disk", "", localcloud.Options{DataDir: dir})
	rc := b.DynamoDB()
	checked := 0
	acked.Range(func(k, v any) bool {
		item := getDDB(t, b, rc, "crash", map[string]ddbtypes.AttributeValue{"pk": avS(k.(string))})
		want := fmt.Sprintf("n=N:%d;pk=S:%s;", v, k)
		// A later write may have reached the disk without its answer
		// reaching the client: n=1 after an acknowledged n=0 is fine.
		if got := attrString(item); got != want && !(v == 0 && got == fmt.Sprintf("n=N:1;pk=S:%s;", k)) {
			t.Errorf("item %s after the kill: %q, want %q", k, got, want)
		}
		checked++
		return true
	})
	if checked == 0 {
		t.Fatal("no write was acknowledged before the kill")
	}
	t.Logf("%d acknowledged writes to %d items checked after SIGKILL", total.Load(), checked)
}
