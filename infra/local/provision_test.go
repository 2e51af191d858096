package local

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// A restart over the same data directory converges to the template as it
// is now: changed parameters change the queues, and subscriptions are not
// duplicated.
func TestRestartConvergesToTheTemplate(t *testing.T) {
	dir := t.TempDir()
	start := func(overrides map[string]string) *Runner {
		t.Helper()
		r, err := Start(context.Background(), Options{Template: "../../template.yaml", Overrides: overrides,
			APIAddr: "127.0.0.1:0", CloudAddr: "127.0.0.1:0", DataDir: dir, PollWaitSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := start(nil)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	r = start(map[string]string{"LaunchMaxReceiveCount": "7", "QueueVisibilityTimeout": "400"})
	defer r.Close()

	cfg := r.awsConfig()
	q, _ := r.Template.Queue("LaunchQueue")
	out, err := sqs.NewFromConfig(cfg).GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(q.URL), AttributeNames: []sqstypes.QueueAttributeName{"All"}})
	if err != nil {
		t.Fatal(err)
	}
	var rp struct{ MaxReceiveCount any }
	if err := json.Unmarshal([]byte(out.Attributes["RedrivePolicy"]), &rp); err != nil {
		t.Fatalf("redrive policy %q: %v", out.Attributes["RedrivePolicy"], err)
	}
	if got := fmt.Sprint(rp.MaxReceiveCount); got != "7" || out.Attributes["VisibilityTimeout"] != "400" {
		t.Errorf("after restart: maxReceiveCount %v, visibility %s; want 7 and 400", rp.MaxReceiveCount, out.Attributes["VisibilityTimeout"])
	}

	topic, _ := r.Template.Topic("EventsTopic")
	subs, err := sns.NewFromConfig(cfg).ListSubscriptionsByTopic(context.Background(), &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topic.ARN)})
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, s := range r.Template.Subscriptions {
		if s.Topic == "EventsTopic" {
			want++
		}
	}
	if len(subs.Subscriptions) != want {
		t.Errorf("events topic has %d subscriptions after a restart, want the template's %d", len(subs.Subscriptions), want)
	}
}
