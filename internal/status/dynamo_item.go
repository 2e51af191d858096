package status

import (
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Items are marshalled by hand: the layout is the table's contract (the
// numeric rank and the epoch-seconds TTL attribute are not fields of
// Request), and a dozen attributes do not justify another module.

func pkKey(pk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrPK: &types.AttributeValueMemberS{Value: pk}}
}

func requestItem(r Request) map[string]types.AttributeValue {
	item := map[string]types.AttributeValue{
		attrPK:            &types.AttributeValueMemberS{Value: requestPK(r.ID)},
		attrID:            &types.AttributeValueMemberS{Value: r.ID},
		attrStatus:        &types.AttributeValueMemberS{Value: string(r.Status)},
		attrRank:          numberAttr(int64(r.Status.Rank())),
		attrCorrelationID: &types.AttributeValueMemberS{Value: r.CorrelationID},
		attrInstanceIDs:   stringsAttr(r.InstanceIDs),
		attrHistory:       historyListAttr(r.History),
		attrNotified:      &types.AttributeValueMemberBOOL{Value: r.Notified},
		attrCreatedAt:     timeAttr(r.CreatedAt),
		attrUpdatedAt:     timeAttr(r.UpdatedAt),
		attrExpiresAt:     numberAttr(r.ExpiresAt.Unix()),
	}
	if r.Caller != "" {
		item[attrCaller] = &types.AttributeValueMemberS{Value: r.Caller}
	}
	if r.Error != nil {
		item[attrError] = failureAttr(*r.Error)
	}
	if len(r.Event) > 0 {
		item[attrEvent] = &types.AttributeValueMemberB{Value: r.Event}
	}
	return item
}

func claimItem(pk string, c Claim) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK:         &types.AttributeValueMemberS{Value: pk},
		attrScope:      &types.AttributeValueMemberS{Value: c.Scope},
		attrKey:        &types.AttributeValueMemberS{Value: c.Key},
		attrBodyHash:   &types.AttributeValueMemberS{Value: c.BodyHash},
		attrRequestIDs: stringsAttr(c.RequestIDs),
		attrCreatedAt:  timeAttr(c.CreatedAt),
		attrExpiresAt:  numberAttr(c.ExpiresAt.Unix()),
	}
}

func numberAttr(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// timeAttr keeps nanoseconds: history order and UpdatedAt must survive a
// round trip exactly.
func timeAttr(t time.Time) types.AttributeValue {
	return &types.AttributeValueMemberS{Value: t.UTC().Format(time.RFC3339Nano)}
}

// stringsAttr is a list, not a string set: a set cannot be empty and does
// not keep order.
func stringsAttr(ss []string) types.AttributeValue {
	l := make([]types.AttributeValue, len(ss))
	for i, s := range ss {
		l[i] = &types.AttributeValueMemberS{Value: s}
	}
	return &types.AttributeValueMemberL{Value: l}
}

func historyAttr(h HistoryEntry) types.AttributeValue {
	return &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
		"event": &types.AttributeValueMemberS{Value: h.Event},
		"at":    timeAttr(h.At),
	}}
}

func historyListAttr(hs []HistoryEntry) types.AttributeValue {
	l := make([]types.AttributeValue, len(hs))
	for i, h := range hs {
		l[i] = historyAttr(h)
	}
	return &types.AttributeValueMemberL{Value: l}
}

func failureAttr(f Failure) types.AttributeValue {
	return &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
		"code":    &types.AttributeValueMemberS{Value: f.Code},
		"message": &types.AttributeValueMemberS{Value: f.Message},
	}}
}

// itemReader decodes attributes of one item, keeping the first error so
// the decoder reads as a list of fields.
type itemReader struct {
	item map[string]types.AttributeValue
	err  error
}

func (r *itemReader) fail(name, want string) {
	if r.err == nil {
		r.err = fmt.Errorf("attribute %s: want %s, got %T", name, want, r.item[name])
	}
}

// str reads a string attribute; absent means empty.
func (r *itemReader) str(name string) string {
	return r.strOf(name, r.item[name])
}

func (r *itemReader) strOf(name string, av types.AttributeValue) string {
	if av == nil {
		return ""
	}
	s, ok := av.(*types.AttributeValueMemberS)
	if !ok {
		r.fail(name, "S")
		return ""
	}
	return s.Value
}

func (r *itemReader) num(name string) int64 {
	av, ok := r.item[name].(*types.AttributeValueMemberN)
	if !ok {
		r.fail(name, "N")
		return 0
	}
	n, err := strconv.ParseInt(av.Value, 10, 64)
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("attribute %s: %w", name, err)
	}
	return n
}

func (r *itemReader) timeOf(name string, av types.AttributeValue) time.Time {
	s := r.strOf(name, av)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("attribute %s: %w", name, err)
	}
	return t.UTC()
}

func (r *itemReader) time(name string) time.Time { return r.timeOf(name, r.item[name]) }

func (r *itemReader) epoch(name string) time.Time {
	return time.Unix(r.num(name), 0).UTC()
}

func (r *itemReader) boolean(name string) bool {
	switch av := r.item[name].(type) {
	case nil:
		return false
	case *types.AttributeValueMemberBOOL:
		return av.Value
	}
	r.fail(name, "BOOL")
	return false
}

func (r *itemReader) list(name string) []types.AttributeValue {
	switch av := r.item[name].(type) {
	case nil:
		return nil
	case *types.AttributeValueMemberL:
		return av.Value
	}
	r.fail(name, "L")
	return nil
}

func (r *itemReader) strings(name string) []string {
	l := r.list(name)
	out := make([]string, len(l))
	for i, av := range l {
		out[i] = r.strOf(name, av)
	}
	return out
}

func (r *itemReader) mapOf(name string, av types.AttributeValue) map[string]types.AttributeValue {
	m, ok := av.(*types.AttributeValueMemberM)
	if !ok {
		r.fail(name, "M")
		return nil
	}
	return m.Value
}

func decodeRequest(item map[string]types.AttributeValue) (Request, error) {
	r := &itemReader{item: item}
	req := Request{
		ID:            r.str(attrID),
		Status:        Status(r.str(attrStatus)),
		CorrelationID: r.str(attrCorrelationID),
		Caller:        r.str(attrCaller),
		InstanceIDs:   r.strings(attrInstanceIDs),
		Notified:      r.boolean(attrNotified),
		CreatedAt:     r.time(attrCreatedAt),
		UpdatedAt:     r.time(attrUpdatedAt),
		ExpiresAt:     r.epoch(attrExpiresAt),
	}
	for _, av := range r.list(attrHistory) {
		m := r.mapOf(attrHistory, av)
		req.History = append(req.History, HistoryEntry{
			Event: r.strOf(attrHistory, m["event"]),
			At:    r.timeOf(attrHistory, m["at"]),
		})
	}
	if av, ok := item[attrError]; ok {
		m := r.mapOf(attrError, av)
		req.Error = &Failure{Code: r.strOf(attrError, m["code"]), Message: r.strOf(attrError, m["message"])}
	}
	switch av := item[attrEvent].(type) {
	case nil:
	case *types.AttributeValueMemberB:
		req.Event = av.Value
	default:
		r.fail(attrEvent, "B")
	}
	if r.err != nil {
		return Request{}, r.err
	}
	if !req.Status.Valid() {
		return Request{}, fmt.Errorf("attribute %s: unknown status %q", attrStatus, req.Status)
	}
	return tidyRequest(req), nil
}

func decodeClaim(item map[string]types.AttributeValue) (Claim, error) {
	r := &itemReader{item: item}
	c := Claim{
		Scope:      r.str(attrScope),
		Key:        r.str(attrKey),
		BodyHash:   r.str(attrBodyHash),
		RequestIDs: r.strings(attrRequestIDs),
		CreatedAt:  r.time(attrCreatedAt),
		ExpiresAt:  r.epoch(attrExpiresAt),
	}
	if r.err != nil {
		return Claim{}, r.err
	}
	return tidyClaim(c), nil
}
