package sqs

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"

	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
)

// AddPermission and RemovePermission edit the queue's Policy attribute
// the way SQS does: one statement per label, in the order added, with
// AWS's member order, a single principal or action written as a string
// and several as a list.

// maxPermissionActions is SQS's limit of actions in one AddPermission.
const maxPermissionActions = 7

// sharedActions are the actions a queue owner may grant to other
// accounts; SQS's other actions belong to the owner alone.
var sharedActions = []string{"*", "ChangeMessageVisibility", "DeleteMessage", "GetQueueAttributes", "GetQueueUrl",
	"ListDeadLetterSourceQueues", "PurgeQueue", "ReceiveMessage", "SendMessage"}

// ownerActions are SQS actions that cannot be granted.
var ownerActions = []string{"AddPermission", "CancelMessageMoveTask", "ChangeMessageVisibilityBatch", "CreateQueue",
	"DeleteMessageBatch", "DeleteQueue", "ListMessageMoveTasks", "ListQueueTags", "ListQueues", "RemovePermission",
	"SendMessageBatch", "SetQueueAttributes", "StartMessageMoveTask", "TagQueue", "UntagQueue"}

var labelRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

type addPermissionInput struct {
	QueueURL      *string  `json:"QueueUrl"`
	Label         *string  `json:"Label"`
	AWSAccountIDs []string `json:"AWSAccountIds"`
	Actions       []string `json:"Actions"`
}

type removePermissionInput struct {
	QueueURL *string `json:"QueueUrl"`
	Label    *string `json:"Label"`
}

// queuePolicy is a policy document in SQS's member order. Statements are
// kept as written, so that a policy set with SetQueueAttributes keeps its
// own statements when a permission is added beside them.
type queuePolicy struct {
	Version   string            `json:"Version"`
	ID        string            `json:"Id"`
	Statement []json.RawMessage `json:"Statement"`
}

type permissionStatement struct {
	Sid       string         `json:"Sid"`
	Effect    string         `json:"Effect"`
	Principal map[string]any `json:"Principal"`
	Action    any            `json:"Action"`
	Resource  string         `json:"Resource"`
}

// oneOrMany is how SQS writes a list of one.
func oneOrMany(vs []string) any {
	if len(vs) == 1 {
		return vs[0]
	}
	return vs
}

// policyOf reads q's policy, or starts SQS's default one. The caller
// holds q.mu.
func policyOf(q *queue) queuePolicy {
	p := queuePolicy{Version: "2012-10-17", ID: q.arn + "/SQSDefaultPolicy"}
	if raw := q.attrs["Policy"]; raw != "" {
		var set queuePolicy
		if json.Unmarshal([]byte(raw), &set) == nil {
			if set.Version != "" {
				p.Version = set.Version
			}
			if set.ID != "" {
				p.ID = set.ID
			}
			p.Statement = set.Statement
		}
	}
	return p
}

// labelIndex is the index of the statement whose Sid is label, or -1.
func labelIndex(p queuePolicy, label string) int {
	return slices.IndexFunc(p.Statement, func(raw json.RawMessage) bool {
		var st struct{ Sid string }
		return json.Unmarshal(raw, &st) == nil && st.Sid == label
	})
}

func checkPermissionActions(actions []string) *awsproto.Error {
	if len(actions) == 0 {
		return errMissingParameter("Actions")
	}
	if len(actions) > maxPermissionActions {
		return newErr(400, "OverLimit", "OverLimit", "%d Actions were found, maximum allowed is %d.", len(actions), maxPermissionActions)
	}
	for _, a := range actions {
		switch {
		case slices.Contains(sharedActions, a):
		case slices.Contains(ownerActions, a):
			return errInvalidParameterValue("Value SQS:%s for parameter ActionName is invalid. Reason: Only the queue owner is allowed to invoke this action.", a)
		default:
			return errInvalidParameterValue("Value SQS:%s for parameter ActionName is invalid. Reason: Please refer to the appropriate WSDL for a list of valid actions.", a)
		}
	}
	return nil
}

func (s *Service) addPermission(_ context.Context, in *addPermissionInput) (*empty, *awsproto.Error) {
	q, e := s.queueByURL(in.QueueURL)
	if e != nil {
		return nil, e
	}
	if in.Label == nil {
		return nil, errMissingParameter("Label")
	}
	label := *in.Label
	if !labelRE.MatchString(label) {
		return nil, errInvalidParameterValue("Value %s for parameter Label is invalid. Reason: Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length.", label)
	}
	if in.AWSAccountIDs == nil {
		return nil, errMissingParameter("AWSAccountIds")
	}
	if len(in.AWSAccountIDs) == 0 {
		return nil, errInvalidParameterValue("Value [] for parameter PrincipalId is invalid. Reason: Unable to verify.")
	}
	if e := checkPermissionActions(in.Actions); e != nil {
		return nil, e
	}
	principals := make([]string, len(in.AWSAccountIDs))
	for i, id := range in.AWSAccountIDs {
		if !accountIDRE.MatchString(id) {
			return nil, errInvalidParameterValue("Value [%s] for parameter PrincipalId is invalid. Reason: Unable to verify.", id)
		}
		principals[i] = fmt.Sprintf("arn:aws:iam::%s:root", id)
	}
	actions := make([]string, len(in.Actions))
	for i, a := range in.Actions {
		actions[i] = "SQS:" + a
	}
	return nil, s.changeRecord(q, func() *awsproto.Error {
		p := policyOf(q)
		if labelIndex(p, label) >= 0 {
			return errInvalidParameterValue("Value %s for parameter Label is invalid. Reason: Already exists.", label)
		}
		st, err := json.Marshal(permissionStatement{Sid: label, Effect: "Allow", Principal: map[string]any{"AWS": oneOrMany(principals)},
			Action: oneOrMany(actions), Resource: q.arn})
		if err != nil {
			return errInternal(err)
		}
		p.Statement = append(p.Statement, st)
		return setPolicy(q, p)
	})
}

func (s *Service) removePermission(_ context.Context, in *removePermissionInput) (*empty, *awsproto.Error) {
	q, e := s.queueByURL(in.QueueURL)
	if e != nil {
		return nil, e
	}
	if in.Label == nil {
		return nil, errMissingParameter("Label")
	}
	return nil, s.changeRecord(q, func() *awsproto.Error {
		p := policyOf(q)
		i := labelIndex(p, *in.Label)
		if i < 0 {
			return errInvalidParameterValue("Value %s for parameter Label is invalid. Reason: can't find label on existing policy.", *in.Label)
		}
		p.Statement = slices.Delete(p.Statement, i, i+1)
		return setPolicy(q, p)
	})
}

// setPolicy writes p as q's Policy attribute; a policy left without
// statements is removed, as an empty Policy is. The caller holds q.mu.
func setPolicy(q *queue, p queuePolicy) *awsproto.Error {
	if len(p.Statement) == 0 {
		delete(q.attrs, "Policy")
		return nil
	}
	doc, err := json.Marshal(p)
	if err != nil {
		return errInternal(err)
	}
	q.attrs["Policy"] = string(doc)
	return nil
}

var accountIDRE = regexp.MustCompile(`^[0-9]{12}$`)
