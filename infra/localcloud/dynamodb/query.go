package dynamodb

import (
	"context"
	"hash/fnv"
	"slices"
	"sort"

	"github.com/eventchain/eventchain/infra/localcloud/dynamodb/attr"
	"github.com/eventchain/eventchain/infra/localcloud/dynamodb/expr"
	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
)

// maxPageBytes is the most item data one Query or Scan page reads.
const maxPageBytes = 1 << 20

// readRequest is what Query and Scan share, checked.
type readRequest struct {
	t      *table
	ix     *index
	filter expr.Cond
	proj   expr.Projection
	count  bool
	limit  int
	start  attr.Item
}

// prepareRead checks what Query and Scan share; the caller holds s.mu
// for reading.
func (s *Service) prepareRead(in *queryInput, x *exprs) (*readRequest, *awsproto.Error) {
	r := &readRequest{}
	var e *awsproto.Error
	if r.filter, e = x.filter(in.FilterExpression); e != nil {
		return nil, e
	}
	if r.proj, e = x.projection(in.ProjectionExpression); e != nil {
		return nil, e
	}
	if in.Limit != nil {
		if *in.Limit < 1 {
			return nil, errValidation("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1", *in.Limit)
		}
		r.limit = *in.Limit
	}
	switch in.Select {
	case "", "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES":
	case "SPECIFIC_ATTRIBUTES":
	case "COUNT":
		r.count = true
	default:
		return nil, errValidation("1 validation error detected: Value '%s' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]", in.Select)
	}
	if r.proj != nil && in.Select != "" && in.Select != "SPECIFIC_ATTRIBUTES" {
		return nil, errValidation("Cannot specify the ProjectionExpression when choosing to get %s", in.Select)
	}
	if r.t, e = s.tableFor(in.TableName); e != nil {
		return nil, e
	}
	r.ix = r.t.base
	if in.IndexName != nil {
		r.ix = r.t.indexes[*in.IndexName]
		if r.ix == nil {
			return nil, errValidation("The table does not have the specified index: %s", *in.IndexName)
		}
		if r.ix.global && in.ConsistentRead {
			return nil, errValidation("Consistent reads are not supported on global secondary indexes")
		}
		if in.Select == "ALL_ATTRIBUTES" && r.ix.global && r.ix.proj.ProjectionType != "ALL" {
			return nil, errValidation("One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index %s because its projection type is not ALL", r.ix.name)
		}
	}
	start, e := decodeItem(in.ExclusiveStartKey)
	if e != nil {
		return nil, e
	}
	if start != nil {
		if e := r.checkStart(start); e != nil {
			return nil, e
		}
		r.start = start
	}
	return r, nil
}

// startKeyNames are the attributes of a LastEvaluatedKey: the table's
// key and the index's.
func (r *readRequest) startKeyNames() []string {
	names := r.t.schema.names()
	for _, n := range r.ix.schema.names() {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names
}

func (r *readRequest) checkStart(start attr.Item) *awsproto.Error {
	names := r.startKeyNames()
	bad := errValidation("The provided starting key is invalid: The provided key element does not match the schema")
	if len(start) != len(names) {
		return bad
	}
	for _, n := range names {
		if _, ok := start[n]; !ok {
			return bad
		}
	}
	if !r.ix.holds(&record{item: start}) || r.t.checkKey(r.t.schema.keyOf(start)) != nil {
		return bad
	}
	return nil
}

// view is an item as the index holds it: all of it, or its keys and the
// projected attributes.
func (r *readRequest) view(item attr.Item) attr.Item {
	if r.ix.proj.ProjectionType == "ALL" || r.ix.proj.ProjectionType == "" || !r.ix.global {
		return item
	}
	out := attr.Item{}
	for _, n := range r.startKeyNames() {
		out[n] = item[n]
	}
	for _, n := range r.ix.proj.NonKeyAttributes {
		if v, ok := item[n]; ok {
			out[n] = v
		}
	}
	return out
}

// page collects one page of results.
type page struct {
	r     *readRequest
	out   queryOutput
	bytes int
	last  *record
	full  bool
}

// take evaluates one record; it reports false once the page is full.
func (p *page) take(rec *record) (bool, *awsproto.Error) {
	p.out.ScannedCount++
	p.last = rec
	p.bytes += rec.size
	item := p.r.view(rec.item)
	ok, e := holds(p.r.filter, item)
	if e != nil {
		return false, e
	}
	if ok {
		p.out.Count++
		if !p.r.count {
			p.out.Items = append(p.out.Items, project(p.r.proj, item))
		}
	}
	if (p.r.limit > 0 && p.out.ScannedCount >= p.r.limit) || p.bytes >= maxPageBytes {
		p.full = true
		return false, nil
	}
	return true, nil
}

// finish sets LastEvaluatedKey when the page stopped before the end, as
// DynamoDB does whenever Limit or the page size stops it.
func (p *page) finish() *queryOutput {
	if !p.r.count && p.out.Items == nil {
		p.out.Items = []attr.Item{}
	}
	if p.full && p.last != nil {
		lek := attr.Item{}
		for _, n := range p.r.startKeyNames() {
			lek[n] = p.last.item[n]
		}
		p.out.LastEvaluatedKey = lek
	}
	return &p.out
}

func (s *Service) query(_ context.Context, in *queryInput) (*queryOutput, *awsproto.Error) {
	x, e := newExprs(in.exprInput)
	if e != nil {
		return nil, e
	}
	if in.KeyConditionExpression == nil {
		return nil, errValidation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
	}
	kc, err := x.params.KeyCondition(*in.KeyConditionExpression)
	if err != nil {
		return nil, fromExpr(err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, e := s.prepareRead(in, x)
	if e != nil {
		return nil, e
	}
	if e := x.done(); e != nil {
		return nil, e
	}
	sc := r.ix.schema
	hash, rng, err := kc.Bind(sc.hash.name, sc.hash.typ, sc.rng.name, sc.rng.typ)
	if err != nil {
		return nil, fromExpr(err)
	}
	pg := &page{r: r}
	part := r.ix.parts[encodeValue(hash.Values[0])]
	if part == nil {
		return pg.finish(), nil
	}
	forward := in.ScanIndexForward == nil || *in.ScanIndexForward
	from, to := 0, len(part.recs)
	if r.start != nil {
		i, found := r.ix.search(part, r.ix.sortValue(&record{item: r.start}), r.t.schema.primaryKey(r.start))
		if forward {
			if found {
				i++
			}
			from = i
		} else {
			to = i
		}
	}
	for n := range to - from {
		i := from + n
		if !forward {
			i = to - 1 - n
		}
		rec := part.recs[i]
		if rng != nil && !rng.Match(rec.item[sc.rng.name]) {
			continue
		}
		more, e := pg.take(rec)
		if e != nil {
			return nil, e
		}
		if !more {
			break
		}
	}
	return pg.finish(), nil
}

func (s *Service) scan(_ context.Context, in *queryInput) (*queryOutput, *awsproto.Error) {
	x, e := newExprs(in.exprInput)
	if e != nil {
		return nil, e
	}
	segment, total := 0, 1
	switch {
	case in.Segment == nil && in.TotalSegments == nil:
	case in.Segment == nil || in.TotalSegments == nil:
		return nil, errValidation("The TotalSegments parameter is required but was not present in the request when Segment parameter is present")
	default:
		segment, total = *in.Segment, *in.TotalSegments
		if total < 1 || total > 1000000 {
			return nil, errValidation("1 validation error detected: Value '%d' at 'totalSegments' failed to satisfy constraint: Member must have value less than or equal to 1000000", total)
		}
		if segment < 0 || segment >= total {
			return nil, errValidation("The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: %d is not less than TotalSegments: %d", segment, total)
		}
	}
	// Scan sorts the index's partition list, which changes the index.
	s.mu.Lock()
	defer s.mu.Unlock()
	r, e := s.prepareRead(in, x)
	if e != nil {
		return nil, e
	}
	if e := x.done(); e != nil {
		return nil, e
	}
	pg := &page{r: r}
	parts := r.ix.partitions()
	first := 0
	var startPart string
	if r.start != nil {
		startPart = encodeValue(r.start[r.ix.schema.hash.name])
		first = sort.SearchStrings(parts, startPart)
	}
	for _, pk := range parts[first:] {
		if total > 1 && int(segmentOf(pk)%uint32(total)) != segment {
			continue
		}
		part := r.ix.parts[pk]
		from := 0
		if r.start != nil && pk == startPart {
			i, found := r.ix.search(part, r.ix.sortValue(&record{item: r.start}), r.t.schema.primaryKey(r.start))
			if found {
				i++
			}
			from = i
		}
		for _, rec := range part.recs[from:] {
			more, e := pg.take(rec)
			if e != nil {
				return nil, e
			}
			if !more {
				return pg.finish(), nil
			}
		}
	}
	return pg.finish(), nil
}

// segmentOf spreads partitions over parallel scan segments.
func segmentOf(pk string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(pk))
	return h.Sum32()
}
