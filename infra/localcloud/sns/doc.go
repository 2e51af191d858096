// Package sns emulates Amazon SNS over its real wire protocol: the query
// protocol (form-encoded Action=…&Version=2010-03-31) answered with XML in
// SNS's namespace, so the AWS SDKs and the aws CLI work unchanged.
//
// It supports topics (standard and FIFO), subscriptions with filter
// policies on message attributes or body (see package filterpolicy) and
// dead-letter queues, Publish and PublishBatch, and tags. Per protocol:
//
//   - sqs: raw or envelope delivery. Publish answers only after every
//     matching subscription's delivery was handed to its queue, so an
//     acknowledged message is as durable as the queue that received it.
//   - http and https: SNS's flow. Subscribe posts a signed
//     SubscriptionConfirmation and the subscription stays pending until
//     ConfirmSubscription is called with its token or its SubscribeURL
//     (a GET of ConfirmSubscription on the emulator's endpoint) is
//     visited. Notifications are posted in the background with SNS's
//     headers, signed, raw (x-amz-sns-rawdelivery) or not, retried on the
//     subscription's or topic's DeliveryPolicy (by default 3 retries 20 s
//     apart, without SNS's jitter), then sent to the dead-letter queue.
//     Any URL is accepted: the emulator posts to whatever a subscription
//     names. Deliveries under way are in memory; Reset and Close stop
//     them.
//   - email and email-json stay pending until confirmed, sms is confirmed
//     at once; nothing leaves the machine: what SNS would send them, and
//     Publish to a PhoneNumber, is recorded (Sent, SentPath). Opted-out
//     numbers receive nothing; OptOutPath opts one out as a STOP reply
//     would, and CheckIfPhoneNumberIsOptedOut, ListPhoneNumbersOptedOut,
//     OptInPhoneNumber (without SNS's 30-day limit), SetSMSAttributes and
//     GetSMSAttributes work.
//   - application (mobile push), lambda and firehose are refused.
//
// Every message is signed as SNS signs them (SignatureVersion 1,
// SHA1withRSA, or 2, SHA256withRSA, per the topic), with an RSA key whose
// self-signed certificate is served at the messages' SigningCertURL under
// PathPrefix. With a data directory, topics, subscriptions (pending ones
// and their tokens too), tags, opted-out numbers, SMS settings and the
// signing key are in its write-ahead log (package storage) before the
// response that acknowledges them.
//
// Files: wire.go declares the operation table and the shapes of inputs
// and outputs, errors.go the errors, state.go the model (topics and
// subscriptions); topics.go, subscriptions.go, tags.go, publish.go and
// sms.go hold the operations on each and their rules; delivery.go is the
// fan-out and the delivery to queues, http.go to HTTP/S endpoints,
// deliverypolicy.go their retries, signing.go the signatures, serve.go
// the links and resources served beside the API, store.go the state on
// disk.
package sns
