// Package api is the HTTP API function: API Gateway HTTP API events
// (payload format 2.0) for POST /launches and GET /launches/{requestId},
// plus the $default route so unknown paths and methods get our JSON 404 and
// 405. A POST is validated strictly, recorded PENDING, published as
// launch.requested, marked ACCEPTED and answered 202 at once; the slow work
// happens downstream. An Idempotency-Key binds a retry to the first
// request's ids, and a retry republishes whatever is still PENDING; a
// replay answers each request's stored status (ACCEPTED, LAUNCHING,
// RUNNING or FAILED: whatever it has reached since), not a fixed
// "ACCEPTED".
//
// When a publish fails the answer is 503 with Retry-After. With an
// Idempotency-Key the unpublished requests stay PENDING, bound to the key,
// and a retry with it publishes them under the same ids. Without a key
// nothing could ever republish them (a retry is a new POST with new ids),
// so they are closed as FAILED with code PublishFailed before the answer.
//
// The request body, for one launch:
//
//	{"imageId": "ami-0123456789abcdef0", "instanceType": "t3.micro", "count": 1,
//	 "tags": {"team": "web"}, "subnetId": "subnet-…", "keyName": "…",
//	 "securityGroupIds": ["sg-…"], "userData": "<base64>"}
//
// and for several, {"launches": [ …1 to 100 of the above… ]}. userData is
// base64 (as EC2's RunInstances takes it), at most 16 KiB once decoded, and
// travels unchanged in the launch.requested event.
//
// A bulk POST is answered 202 with one entry per launch, each carrying its
// own location; the response has no Location header, because no single
// resource was created.
package api
