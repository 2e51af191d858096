package localcloud_test

// SNS beyond SQS: HTTP/S subscribers confirm and receive signed
// notifications, retried on their delivery policy and dead-lettered when
// the retries run out; email and SMS are recorded at the sent endpoint.
// moto posts to HTTP endpoints without confirmation or signatures, keeps
// email subscriptions confirmed and serves no sent endpoint, so those
// tests run on localcloud only; the SMS calls moto implements run on it
// too.

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/eventchain/eventchain/infra/localcloud"
)

// snsPost is one request an HTTP subscriber received.
type snsPost struct {
	method string
	header http.Header
	body   string
	at     time.Time
}

// doc decodes the post's JSON body.
func (p snsPost) doc(t *testing.T) map[string]any {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal([]byte(p.body), &d); err != nil {
		t.Fatalf("post body is not JSON: %v\n%s", err, p.body)
	}
	return d
}

// httpSubscriber is an HTTP endpoint subscribed to a topic. It answers
// notifications with the statuses of failNotifications, in turn, then
// 200; everything else with 200.
type httpSubscriber struct {
	URL   string
	posts chan snsPost

	mu                sync.Mutex
	failNotifications []int
}

func newHTTPSubscriber(t *testing.T, failNotifications ...int) *httpSubscriber {
	t.Helper()
	s := &httpSubscriber{posts: make(chan snsPost, 64), failNotifications: failNotifications}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.posts <- snsPost{method: r.Method, header: r.Header.Clone(), body: string(body), at: time.Now()}
		status := http.StatusOK
		if r.Header.Get("x-amz-sns-message-type") == "Notification" {
			s.mu.Lock()
			if len(s.failNotifications) > 0 {
				status, s.failNotifications = s.failNotifications[0], s.failNotifications[1:]
			}
			s.mu.Unlock()
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL + "/sns/hook"
	return s
}

// next returns the next post, failing the test after 10 s without one.
func (s *httpSubscriber) next(t *testing.T) snsPost {
	t.Helper()
	select {
	case p := <-s.posts:
		if p.method != http.MethodPost {
			t.Fatalf("subscriber got a %s, want POST", p.method)
		}
		return p
	case <-time.After(10 * time.Second):
		t.Fatalf("subscriber %s: no post within 10 s", s.URL)
		return snsPost{}
	}
}

// none checks that nothing more is posted within d.
func (s *httpSubscriber) none(t *testing.T, d time.Duration) {
	t.Helper()
	deadline := time.After(d)
	for {
		// A post already received wins over an expired wait.
		select {
		case p := <-s.posts:
			t.Fatalf("subscriber got an unexpected %s: %s", p.header.Get("x-amz-sns-message-type"), p.body)
		default:
		}
		select {
		case <-deadline:
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// wantHeaders checks the headers SNS documents for its posts.
func wantHeaders(t *testing.T, p snsPost, msgType, topicARN, subARN string) {
	t.Helper()
	want := map[string]string{
		"X-Amz-Sns-Message-Type": msgType,
		"X-Amz-Sns-Topic-Arn":    topicARN,
		"Content-Type":           "text/plain; charset=UTF-8",
		"User-Agent":             "Amazon Simple Notification Service Agent",
	}
	if subARN != "" {
		want["X-Amz-Sns-Subscription-Arn"] = subARN
	}
	for k, v := range want {
		if got := p.header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	if p.header.Get("X-Amz-Sns-Message-Id") == "" {
		t.Errorf("no x-amz-sns-message-id header")
	}
}

// stringToSign builds what SNS signs, per "Verifying the signatures of
// Amazon SNS messages": for a Notification Message, MessageId, Subject
// (when present), Timestamp, TopicArn and Type; for a confirmation
// Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn and Type;
// each as name, newline, value, newline.
func stringToSign(t *testing.T, doc map[string]any) string {
	t.Helper()
	var fields []string
	switch doc["Type"] {
	case "Notification":
		fields = []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}
	case "SubscriptionConfirmation", "UnsubscribeConfirmation":
		fields = []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"}
	default:
		t.Fatalf("unknown message type %v", doc["Type"])
	}
	var b strings.Builder
	for _, f := range fields {
		v, ok := doc[f].(string)
		if !ok {
			if f == "Subject" {
				continue
			}
			t.Fatalf("message has no %s: %v", f, doc)
		}
		b.WriteString(f + "\n" + v + "\n")
	}
	return b.String()
}

// verifySignature checks a message's signature against the certificate
// at its SigningCertURL, which must be served by the emulator itself.
func verifySignature(t *testing.T, b backend, doc map[string]any) error {
	t.Helper()
	certURL, _ := doc["SigningCertURL"].(string)
	if !strings.HasPrefix(certURL, b.Endpoint+"/_localcloud/sns/") || !strings.HasSuffix(certURL, ".pem") {
		t.Fatalf("SigningCertURL %q is not a .pem under %s/_localcloud/sns/", certURL, b.Endpoint)
	}
	resp, err := http.Get(certURL)
	if err != nil {
		t.Fatalf("GET %s: %v", certURL, err)
	}
	defer resp.Body.Close()
	pemBytes, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", certURL, resp.Status, pemBytes)
	}
	block, _ := pem.Decode(pemBytes)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("%s is not a PEM certificate: %q", certURL, pemBytes)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("parse certificate: %v", err)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		t.Fatalf("certificate key is %T, want RSA", cert.PublicKey)
	}
	sig, err := base64.StdEncoding.DecodeString(doc["Signature"].(string))
	if err != nil {
		t.Fatalf("Signature is not base64: %v", err)
	}
	var h crypto.Hash
	switch doc["SignatureVersion"] {
	case "1":
		h = crypto.SHA1
	case "2":
		h = crypto.SHA256
	default:
		t.Fatalf("SignatureVersion %v", doc["SignatureVersion"])
	}
	d := h.New()
	d.Write([]byte(stringToSign(t, doc)))
	return rsa.VerifyPKCS1v15(pub, h, d.Sum(nil), sig)
}

// wantVerified checks the signature, and that a tampered message fails
// it, so that the check itself can fail.
func wantVerified(t *testing.T, b backend, doc map[string]any, version string) {
	t.Helper()
	if doc["SignatureVersion"] != version {
		t.Errorf("SignatureVersion = %v, want %s", doc["SignatureVersion"], version)
	}
	if err := verifySignature(t, b, doc); err != nil {
		t.Errorf("%s signature does not verify: %v", doc["Type"], err)
	}
	tampered := map[string]any{}
	for k, v := range doc {
		tampered[k] = v
	}
	tampered["Message"] = doc["Message"].(string) + "!"
	if err := verifySignature(t, b, tampered); err == nil {
		t.Errorf("a tampered %s verifies", doc["Type"])
	}
}

// getURL GETs a link from an SNS message and returns the answer's body.
func getURL(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", u, resp.Status, body)
	}
	return string(body)
}

// confirmByURL GETs a confirmation's SubscribeURL and returns the ARN
// SNS answers with.
func confirmByURL(t *testing.T, b backend, confirmation map[string]any) string {
	t.Helper()
	u, _ := confirmation["SubscribeURL"].(string)
	if !strings.HasPrefix(u, b.Endpoint+"/?Action=ConfirmSubscription&TopicArn=") {
		t.Fatalf("SubscribeURL %q is not the emulator's ConfirmSubscription link", u)
	}
	var out struct {
		Result struct {
			SubscriptionArn string
		} `xml:"ConfirmSubscriptionResult"`
	}
	if err := xml.Unmarshal([]byte(getURL(t, u)), &out); err != nil {
		t.Fatalf("ConfirmSubscription answer: %v", err)
	}
	return out.Result.SubscriptionArn
}

// subscribeHTTP subscribes an endpoint and returns Subscribe's answer and
// the confirmation request the endpoint received.
func subscribeHTTP(t *testing.T, b backend, c *sns.Client, topicARN string, sub *httpSubscriber, attrs map[string]string, returnARN bool) (string, map[string]any) {
	t.Helper()
	out, err := c.Subscribe(b.Ctx(t), &sns.SubscribeInput{TopicArn: &topicARN, Protocol: aws.String("http"),
		Endpoint: aws.String(sub.URL), Attributes: attrs, ReturnSubscriptionArn: returnARN})
	if err != nil {
		t.Fatalf("Subscribe %s: %v", sub.URL, err)
	}
	p := sub.next(t)
	wantHeaders(t, p, "SubscriptionConfirmation", topicARN, "")
	if p.header.Get("X-Amz-Sns-Subscription-Arn") != "" {
		t.Errorf("a confirmation request names a subscription ARN: %s", p.header.Get("X-Amz-Sns-Subscription-Arn"))
	}
	doc := p.doc(t)
	if doc["Type"] != "SubscriptionConfirmation" || doc["TopicArn"] != topicARN || doc["Token"] == "" ||
		doc["MessageId"] != p.header.Get("X-Amz-Sns-Message-Id") || !strings.Contains(doc["Message"].(string), topicARN) {
		t.Errorf("confirmation request = %v", doc)
	}
	return aws.ToString(out.SubscriptionArn), doc
}

func subscriptionAttrs(t *testing.T, b backend, c *sns.Client, arn string) map[string]string {
	t.Helper()
	out, err := c.GetSubscriptionAttributes(b.Ctx(t), &sns.GetSubscriptionAttributesInput{SubscriptionArn: &arn})
	if err != nil {
		t.Fatalf("GetSubscriptionAttributes %s: %v", arn, err)
	}
	return out.Attributes
}

// TestSNSHTTPSubscriberConfirmsByURL is SNS's HTTP flow end to end: the
// confirmation request, the subscription pending until the endpoint GETs
// the SubscribeURL, then signed notifications (SignatureVersion 1) with
// the documented headers and fields, and the UnsubscribeURL.
func TestSNSHTTPSubscriberConfirmsByURL(t *testing.T) {
	forEachLocalBackend(t, func(t *testing.T, b backend) {
		c := b.SNS()
		topic := snsTopic(t, b, c, "orders", nil)
		hook := newHTTPSubscriber(t)
		got, confirmation := subscribeHTTP(t, b, c, topic, hook, nil, false)
		if got != "pending confirmation" {
			t.Errorf("Subscribe answered %q, want \"pending confirmation\"", got)
		}
		wantVerified(t, b, confirmation, "1")

		list, err := c.ListSubscriptionsByTopic(b.Ctx(t), &sns.ListSubscriptionsByTopicInput{TopicArn: &topic})
		if err != nil || len(list.Subscriptions) != 1 || aws.ToString(list.Subscriptions[0].SubscriptionArn) != "PendingConfirmation" {
			t.Fatalf("ListSubscriptionsByTopic while pending = %+v, %v", list, err)
		}
		if attrs, err := c.GetTopicAttributes(b.Ctx(t), &sns.GetTopicAttributesInput{TopicArn: &topic}); err != nil ||
			attrs.Attributes["SubscriptionsPending"] != "1" || attrs.Attributes["SubscriptionsConfirmed"] != "0" {
			t.Errorf("topic attributes while pending = %v, %v", attrs, err)
		}
		// Nothing is delivered to a pending subscription.
		if _, err := c.Publish(b.Ctx(t), &sns.PublishInput{TopicArn: &topic, Message: aws.String("too early")}); err != nil {
			t.Fatalf("Publish: %v", err)
		}

		subARN := confirmByURL(t, b, confirmation)
		if !strings.HasPrefix(subARN, topic+":") {
			t.Fatalf("confirmed subscription ARN %q", subARN)
		}
		attrs := subscriptionAttrs(t, b, c, subARN)
		if attrs["PendingConfirmation"] != "false" || attrs["ConfirmationWasAuthenticated"] != "false" || attrs["Endpoint"] != hook.URL {
			t.Errorf("attributes after confirming by URL = %v", attrs)
		}
		if !strings.Contains(attrs["EffectiveDeliveryPolicy"], `"numRetries":3`) || !strings.Contains(attrs["EffectiveDeliveryPolicy"], `"minDelayTarget":20`) {
			t.Errorf("EffectiveDeliveryPolicy = %s, want SNS's default (3 retries, 20 s)", attrs["EffectiveDeliveryPolicy"])
		}

		out, err := c.Publish(b.Ctx(t), &sns.PublishInput{TopicArn: &topic, Message: aws.String(`{"order":"<42>"}`), Subject: aws.String("New order"),
			MessageAttributes: map[string]snstypes.MessageAttributeValue{"type": snsString("order.created")}})
		if err != nil {
			t.Fatalf("Publish: %v", err)
		}
		p := hook.next(t)
		wantHeaders(t, p, "Notification", topic, subARN)
		if p.header.Get("X-Amz-Sns-Message-Id") != aws.ToString(out.MessageId) || p.header.Get("X-Amz-Sns-Rawdelivery") != "" {
			t.Errorf("notification headers = %v", p.header)
		}
		n := p.doc(t)
		for k, want := range map[string]string{"Type": "Notification", "MessageId": aws.ToString(out.MessageId), "TopicArn": topic,
			"Subject": "New order", "Message": `{"order":"<42>"}`} {
			if n[k] != want {
				t.Errorf("notification %s = %v, want %q", k, n[k], want)
			}
		}
		if attrs, _ := json.Marshal(n["MessageAttributes"]); string(attrs) != `{"type":{"Type":"String","Value":"order.created"}}` {
			t.Errorf("MessageAttributes = %s", attrs)
		}
		if _, err := time.Parse("2006-01-02T15:04:05.000Z", n["Timestamp"].(string)); err != nil {
			t.Errorf("Timestamp: %v", err)
		}
		wantVerified(t, b, n, "1")
		hook.none(t, 300*time.Millisecond)

		unsub, _ := n["UnsubscribeURL"].(string)
		if !strings.HasPrefix(unsub, b.Endpoint+"/?Action=Unsubscribe&SubscriptionArn=") {
			t.Fatalf("UnsubscribeURL = %q", unsub)
		}
		getURL(t, unsub)
		if list, err := c.ListSubscriptionsByTopic(b.Ctx(t), &sns.ListSubscriptionsByTopicInput{TopicArn: &topic}); err != nil || len(list.Subscriptions) != 0 {
			t.Errorf("subscriptions after the UnsubscribeURL = %+v, %v", list, err)
		}
	})
}

// TestSNSHTTPConfirmSubscriptionCallSignatureVersion2 confirms through the
// API with the token, on a topic that signs with SHA256withRSA.
func TestSNSHTTPConfirmSubscriptionCallSignatureVersion2(t *testing.T) {
	forEachLocalBackend(t, func(t *testing.T, b backend) {
		c := b.SNS()
		topic := snsTopic(t, b, c, "signed-v2", map[string]string{"SignatureVersion": "2"})
		hook := newHTTPSubscriber(t)
		subARN, confirmation := subscribeHTTP(t, b, c, topic, hook, nil, true)
		if !strings.HasPrefix(subARN, topic+":") {
			t.Fatalf("Subscribe with ReturnSubscriptionArn answered %q", subARN)
		}
		if attrs := subscriptionAttrs(t, b, c, subARN); attrs["PendingConfirmation"] != "true" || attrs["ConfirmationWasAuthenticated"] != "false" {
			t.Errorf("attributes while pending = %v", attrs)
		}
		wantVerified(t, b, confirmation, "2")

		_, err := c.ConfirmSubscription(b.Ctx(t), &sns.ConfirmSubscriptionInput{TopicArn: &topic, Token: aws.String("not-the-token")})
		if apiCode(err) != "InvalidParameter" {
			t.Errorf("ConfirmSubscription with a wrong token: %v, want InvalidParameter", err)
		}
		token := confirmation["Token"].(string)
		out, err := c.ConfirmSubscription(b.Ctx(t), &sns.ConfirmSubscriptionInput{TopicArn: &topic, Token: &token})
		if err != nil || aws.ToString(out.SubscriptionArn) != subARN {
			t.Fatalf("ConfirmSubscription = %v, %v; want %s", out, err, subARN)
		}
		if attrs := subscriptionAttrs(t, b, c, subARN); attrs["PendingConfirmation"] != "false" || attrs["ConfirmationWasAuthenticated"] != "true" {
			t.Errorf("attributes after ConfirmSubscription = %v", attrs)
		}

		if _, err := c.Publish(b.Ctx(t), &sns.PublishInput{TopicArn: &topic, Message: aws.String("line one\nline two & <three>")}); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		n := hook.next(t).doc(t)
		if _, has := n["Subject"]; has {
			t.Errorf("a message without a subject carries Subject %v", n["Subject"])
		}
		wantVerified(t, b, n, "2")
	})
}

// TestSNSHTTPRawDeliveryAndFilterPolicy: raw delivery posts the bare
// message with x-amz-sns-rawdelivery and no attributes; the filter
// policy keeps what it does not match.
func TestSNSHTTPRawDeliveryAndFilterPolicy(t *testing.T) {
	forEachLocalBackend(t, func(t *testing.T, b backend) {
		c := b.SNS()
		topic := snsTopic(t, b, c, "events", nil)
		hook := newHTTPSubscriber(t)
		subARN, confirmation := subscribeHTTP(t, b, c, topic, hook, map[string]string{
			"RawMessageDelivery": "true", "FilterPolicy": `{"type":["wanted"]}`}, true)
		confirmByURL(t, b, confirmation)

		for _, m := range []struct{ body, typ string }{{"skip me", "unwanted"}, {`{"keep":true}`, "wanted"}} {
			if _, err := c.Publish(b.Ctx(t), &sns.PublishInput{TopicArn: &topic, Message: aws.String(m.body),
				MessageAttributes: map[string]snstypes.MessageAttributeValue{"type": snsString(m.typ)}}); err != nil {
				t.Fatalf("Publish: %v", err)
			}
		}
		p := hook.next(t)
		wantHeaders(t, p, "Notification", topic, subARN)
		if p.body != `{"keep":true}` || p.header.Get("X-Amz-Sns-Rawdelivery") != "true" {
			t.Errorf("raw delivery = %q with x-amz-sns-rawdelivery %q", p.body, p.header.Get("X-Amz-Sns-Rawdelivery"))
		}
		hook.none(t, 300*time.Millisecond)
	})
}

// TestSNSHTTPRetriesAndDeadLetterQueue: one endpoint fails once and
// receives the retry a second later; another always fails, and once its
// policy's retry failed too the message goes to the subscription's DLQ.
func TestSNSHTTPRetriesAndDeadLetterQueue(t *testing.T) {
	forEachLocalBackend(t, func(t *testing.T, b backend) {
		c, q := b.SNS(), b.SQS()
		topic := snsTopic(t, b, c, "flaky", nil)
		dlqURL, dlqARN := createQueue(t, b, q, "flaky-dlq", nil)
		policy := func(retries int) string {
			return fmt.Sprintf(`{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":%d}}`, retries)
		}
		flaky := newHTTPSubscriber(t, http.StatusInternalServerError)
		flakyARN, flakyConf := subscribeHTTP(t, b, c, topic, flaky, map[string]string{"DeliveryPolicy": policy(3)}, true)
		confirmByURL(t, b, flakyConf)
		down := newHTTPSubscriber(t, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusInternalServerError)
		_, downConf := subscribeHTTP(t, b, c, topic, down, map[string]string{"DeliveryPolicy": policy(1),
			"RedrivePolicy": `{"deadLetterTargetArn":"` + dlqARN + `"}`}, true)
		confirmByURL(t, b, downConf)
		if p := subscriptionAttrs(t, b, c, flakyARN)["EffectiveDeliveryPolicy"]; !strings.Contains(p, `"minDelayTarget":1,"maxDelayTarget":1,"numRetries":3`) {
			t.Errorf("EffectiveDeliveryPolicy = %s", p)
		}

		start := time.Now()
		out, err := c.Publish(b.Ctx(t), &sns.PublishInput{TopicArn: &topic, Message: aws.String("retry me")})
		if err != nil {
			t.Fatalf("Publish: %v", err)
		}
		// Held by the retries, it would take a second or more.
		if d := time.Since(start); d > 900*time.Millisecond {
			t.Errorf("Publish took %v: HTTP delivery must not hold it", d)
		}
		for name, sub := range map[string]*httpSubscriber{"flaky": flaky, "down": down} {
			first, second := sub.next(t), sub.next(t)
			if first.header.Get("X-Amz-Sns-Message-Id") != aws.ToString(out.MessageId) || second.body != first.body {
				t.Errorf("%s: the retry is not the same message: %q then %q", name, first.body, second.body)
			}
			if gap := second.at.Sub(first.at); gap < 900*time.Millisecond || gap > 5*time.Second {
				t.Errorf("%s: retry came %v after the failure, want about 1 s (minDelayTarget)", name, gap)
			}
		}
		msg, err := q.ReceiveMessage(b.Ctx(t), &sqs.ReceiveMessageInput{QueueUrl: &dlqURL, WaitTimeSeconds: 5})
		if err != nil || len(msg.Messages) != 1 {
			t.Fatalf("DLQ receive = %+v, %v; want the message", msg, err)
		}
		var dead map[string]any
		if err := json.Unmarshal([]byte(aws.ToString(msg.Messages[0].Body)), &dead); err != nil || dead["MessageId"] != aws.ToString(out.MessageId) || dead["Message"] != "retry me" {
			t.Errorf("DLQ message = %s (%v)", aws.ToString(msg.Messages[0].Body), err)
		}
		down.none(t, 100*time.Millisecond)
		flaky.none(t, 0)
	})
}

// TestSNSHTTPResetStopsRetries: a reset ends deliveries waiting for a
// retry.
func TestSNSHTTPResetStopsRetries(t *testing.T) {
	forEachLocalBackend(t, func(t *testing.T, b backend) {
		c := b.SNS()
		topic := snsTopic(t, b, c, "reset-me", nil)
		down := newHTTPSubscriber(t, 500, 500, 500, 500, 500)
		_, conf := subscribeHTTP(t, b, c, topic, down, map[string]string{
			"DeliveryPolicy": `{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":5}}`}, true)
		confirmByURL(t, b, conf)
		if _, err := c.Publish(b.Ctx(t), &sns.PublishInput{TopicArn: &topic, Message: aws.String("m")}); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		down.next(t)
		resp, err := http.Post(b.Endpoint+localcloud.ResetPath, "", nil)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("reset: %v %v", resp, err)
		}
		resp.Body.Close()
		down.none(t, 1200*time.Millisecond) // the retry was due 1 s after the failure
	})
}

// TestSNSHTTPPendingSubscriptionSurvivesRestart: a pending subscription,
// its token and the signing certificate are durable.
func TestSNSHTTPPendingSubscriptionSurvivesRestart(t *testing.T) {
	b := newBackend(t, "localcloud-disk", localcloud.Options{})
	c := b.SNS()
	topic := snsTopic(t, b, c, "durable", nil)
	hook := newHTTPSubscriber(t)
	subARN, confirmation := subscribeHTTP(t, b, c, topic, hook, nil, true)
	certBefore := getURL(t, confirmation["SigningCertURL"].(string))

	b = restartLocal(t, b)
	if attrs := subscriptionAttrs(t, b, c, subARN); attrs["PendingConfirmation"] != "true" {
		t.Fatalf("after a restart PendingConfirmation = %q, want true", attrs["PendingConfirmation"])
	}
	if got := confirmByURL(t, b, confirmation); got != subARN {
		t.Fatalf("confirming with the token from before the restart gave %q, want %s", got, subARN)
	}
	wantVerified(t, b, confirmation, "1")
	if certAfter := getURL(t, confirmation["SigningCertURL"].(string)); certAfter != certBefore {
		t.Errorf("the signing certificate changed across a restart")
	}
	if _, err := c.Publish(b.Ctx(t), &sns.PublishInput{TopicArn: &topic, Message: aws.String("after restart")}); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	wantVerified(t, b, hook.next(t).doc(t), "1")
}

// sentMessages reads the emulator's record of SMS and email.
func sentMessages(t *testing.T, b backend, query string) []map[string]string {
	t.Helper()
	var out []map[string]string
	if err := json.Unmarshal([]byte(getURL(t, b.Endpoint+"/_localcloud/sns/sent"+query)), &out); err != nil {
		t.Fatalf("sent: %v", err)
	}
	return out
}

// TestSNSEmailPendingAndSMSConfirmed: email and email-json subscriptions
// wait for confirmation (the request is at the sent endpoint), SMS ones
// are confirmed at once; what the topic sends them is recorded; platform
// applications are refused.
func TestSNSEmailPendingAndSMSConfirmed(t *testing.T) {
	forEachLocalBackend(t, func(t *testing.T, b backend) {
		c := b.SNS()
		topic := snsTopic(t, b, c, "alerts", nil)
		subscribe := func(protocol, endpoint string) string {
			out, err := c.Subscribe(b.Ctx(t), &sns.SubscribeInput{TopicArn: &topic, Protocol: &protocol, Endpoint: &endpoint})
			if err != nil {
				t.Fatalf("Subscribe %s %s: %v", protocol, endpoint, err)
			}
			return aws.ToString(out.SubscriptionArn)
		}
		for _, p := range []string{"email", "email-json"} {
			if got := subscribe(p, "ops@example.com"); got != "pending confirmation" {
				t.Errorf("Subscribe %s answered %q, want \"pending confirmation\"", p, got)
			}
		}
		smsARN := subscribe("sms", "+15555550100")
		if attrs := subscriptionAttrs(t, b, c, smsARN); attrs["PendingConfirmation"] != "false" {
			t.Errorf("sms subscription attributes = %v", attrs)
		}
		_, err := c.Subscribe(b.Ctx(t), &sns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("application"),
			Endpoint: aws.String("arn:aws:sns:us-east-1:123456789012:endpoint/GCM/app/1")})
		if apiCode(err) != "InvalidParameter" || !strings.Contains(err.Error(), "platform applications") {
			t.Errorf("Subscribe application: %v, want InvalidParameter saying platform applications are not emulated", err)
		}

		requests := sentMessages(t, b, "?destination=ops%40example.com")
		if len(requests) != 2 || requests[0]["type"] != "SubscriptionConfirmation" || requests[1]["protocol"] != "email-json" {
			t.Fatalf("confirmation requests at the sent endpoint = %v", requests)
		}
		if _, err := c.Publish(b.Ctx(t), &sns.PublishInput{TopicArn: &topic, Message: aws.String("disk full")}); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		if got := sentMessages(t, b, "?protocol=email"); len(got) != 1 {
			t.Errorf("a pending email subscription got %d messages after the request: %v", len(got)-1, got)
		}
		sms := sentMessages(t, b, "?protocol=sms")
		if len(sms) != 1 || sms[0]["destination"] != "+15555550100" || sms[0]["message"] != "disk full" || sms[0]["subscriptionArn"] != smsARN {
			t.Errorf("SMS sent = %v", sms)
		}

		// Confirming an email-json subscription by its link: its
		// notifications are signed JSON.
		jsonReq := map[string]any{"SubscribeURL": requests[1]["subscribeUrl"]}
		jsonARN := confirmByURL(t, b, jsonReq)
		if _, err := c.Publish(b.Ctx(t), &sns.PublishInput{TopicArn: &topic, Message: aws.String("disk fuller"), Subject: aws.String("Alert")}); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		got := sentMessages(t, b, "?protocol=email-json")
		if len(got) != 2 || got[1]["type"] != "Notification" || got[1]["subscriptionArn"] != jsonARN || got[1]["subject"] != "Alert" {
			t.Fatalf("email-json sent = %v", got)
		}
		var n map[string]any
		if err := json.Unmarshal([]byte(got[1]["message"]), &n); err != nil {
			t.Fatalf("email-json body: %v", err)
		}
		wantVerified(t, b, n, "1")
	})
}

// TestSNSSMSPublishAndOptOut: Publish to a phone number, the opt-out
// calls and the SMS settings, on every backend; on localcloud, the text
// at the sent endpoint and an opted-out number receiving nothing. moto
// answers the same calls but holds numbers opted out of its own and
// records SMS only internally.
func TestSNSSMSPublishAndOptOut(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		c := b.SNS()
		const number = "+15555550123"
		_, err := c.SetSMSAttributes(b.Ctx(t), &sns.SetSMSAttributesInput{Attributes: map[string]string{
			"DefaultSMSType": "Transactional", "DefaultSenderID": "Acme"}})
		if err != nil {
			t.Fatalf("SetSMSAttributes: %v", err)
		}
		attrs, err := c.GetSMSAttributes(b.Ctx(t), &sns.GetSMSAttributesInput{Attributes: []string{"DefaultSMSType"}})
		if err != nil || len(attrs.Attributes) != 1 || attrs.Attributes["DefaultSMSType"] != "Transactional" {
			t.Errorf("GetSMSAttributes = %v, %v", attrs, err)
		}
		out, err := c.Publish(b.Ctx(t), &sns.PublishInput{PhoneNumber: aws.String(number), Message: aws.String("Your code is 1234")})
		if err != nil || aws.ToString(out.MessageId) == "" {
			t.Fatalf("Publish to a phone number = %v, %v", out, err)
		}
		_, err = c.Publish(b.Ctx(t), &sns.PublishInput{PhoneNumber: aws.String("phone-home"), Message: aws.String("x")})
		if apiCode(err) != "InvalidParameter" {
			t.Errorf("Publish to a number not in E.164 form: %v, want InvalidParameter", err)
		}
		opted, err := c.CheckIfPhoneNumberIsOptedOut(b.Ctx(t), &sns.CheckIfPhoneNumberIsOptedOutInput{PhoneNumber: aws.String(number)})
		if err != nil || opted.IsOptedOut {
			t.Errorf("CheckIfPhoneNumberIsOptedOut = %+v, %v; want false", opted, err)
		}
		_, err = c.CheckIfPhoneNumberIsOptedOut(b.Ctx(t), &sns.CheckIfPhoneNumberIsOptedOutInput{PhoneNumber: aws.String("call me")})
		if apiCode(err) != "InvalidParameter" {
			t.Errorf("CheckIfPhoneNumberIsOptedOut of a non-number: %v, want InvalidParameter", err)
		}
		if _, err := c.ListPhoneNumbersOptedOut(b.Ctx(t), &sns.ListPhoneNumbersOptedOutInput{}); err != nil {
			t.Errorf("ListPhoneNumbersOptedOut: %v", err)
		}
		if _, err := c.OptInPhoneNumber(b.Ctx(t), &sns.OptInPhoneNumberInput{PhoneNumber: aws.String(number)}); err != nil {
			t.Errorf("OptInPhoneNumber: %v", err)
		}
		if !b.IsLocal {
			return
		}

		sent := sentMessages(t, b, "?protocol=sms")
		if len(sent) != 1 || sent[0]["destination"] != number || sent[0]["message"] != "Your code is 1234" ||
			sent[0]["messageId"] != aws.ToString(out.MessageId) || sent[0]["smsType"] != "Transactional" || sent[0]["senderId"] != "Acme" {
			t.Fatalf("sent = %v", sent)
		}
		resp, err := http.Post(b.Endpoint+"/_localcloud/sns/opt-out", "application/json", strings.NewReader(`{"phoneNumber":"`+number+`"}`))
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("opt-out: %v %v", resp, err)
		}
		resp.Body.Close()
		if opted, err := c.CheckIfPhoneNumberIsOptedOut(b.Ctx(t), &sns.CheckIfPhoneNumberIsOptedOutInput{PhoneNumber: aws.String(number)}); err != nil || !opted.IsOptedOut {
			t.Errorf("CheckIfPhoneNumberIsOptedOut after opting out = %+v, %v", opted, err)
		}
		list, err := c.ListPhoneNumbersOptedOut(b.Ctx(t), &sns.ListPhoneNumbersOptedOutInput{})
		if err != nil || len(list.PhoneNumbers) != 1 || list.PhoneNumbers[0] != number {
			t.Errorf("ListPhoneNumbersOptedOut = %+v, %v", list, err)
		}
		if _, err := c.Publish(b.Ctx(t), &sns.PublishInput{PhoneNumber: aws.String(number), Message: aws.String("not sent")}); err != nil {
			t.Fatalf("Publish to an opted-out number: %v", err)
		}
		if _, err := c.OptInPhoneNumber(b.Ctx(t), &sns.OptInPhoneNumberInput{PhoneNumber: aws.String(number)}); err != nil {
			t.Fatalf("OptInPhoneNumber: %v", err)
		}
		if _, err := c.Publish(b.Ctx(t), &sns.PublishInput{PhoneNumber: aws.String(number), Message: aws.String("sent again"),
			MessageAttributes: map[string]snstypes.MessageAttributeValue{"AWS.SNS.SMS.SMSType": snsString("Promotional")}}); err != nil {
			t.Fatalf("Publish after opting in: %v", err)
		}
		sent = sentMessages(t, b, "?protocol=sms")
		if len(sent) != 2 || sent[1]["message"] != "sent again" || sent[1]["smsType"] != "Promotional" {
			t.Errorf("sent after opting out and in = %v", sent)
		}
	})
}

// TestSNSHTTPSubscribeWithCLI subscribes an http endpoint with the aws
// CLI, which must print SNS's "pending confirmation".
func TestSNSHTTPSubscribeWithCLI(t *testing.T) {
	b := newCLIBackend(t)
	c := b.SNS()
	hook := newHTTPSubscriber(t)
	topic := snsTopic(t, b, c, "cli-http", nil)
	out := awsCLI(t, b, "sns", "subscribe", "--topic-arn", topic, "--protocol", "http", "--notification-endpoint", hook.URL)
	if got := jsonString(t, out, "SubscriptionArn"); got != "pending confirmation" {
		t.Errorf("aws sns subscribe answered %q, want \"pending confirmation\"", got)
	}
	subARN := confirmByURL(t, b, hook.next(t).doc(t))
	if _, err := c.Publish(b.Ctx(t), &sns.PublishInput{TopicArn: &topic, Message: aws.String("to the hook")}); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	p := hook.next(t)
	if n := p.doc(t); n["Message"] != "to the hook" || p.header.Get("X-Amz-Sns-Subscription-Arn") != subARN {
		t.Errorf("notification = %v", n)
	}
}
