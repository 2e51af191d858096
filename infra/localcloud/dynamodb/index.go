package dynamodb

import (
	"slices"
	"strings"

	"github.com/eventchain/eventchain/infra/localcloud/dynamodb/attr"
)

// index orders a table's records for Query and Scan: by partition, and
// within a partition by sort key, then by primary key (which tells apart
// the records of a secondary index that share its keys). The table itself
// is the index named "".
type index struct {
	name   string
	schema schema
	proj   projection
	global bool

	parts map[string]*partition // by encoded partition key value
	// order lists the partitions for Scan; rebuilt when sorted is false.
	order  []string
	sorted bool
	count  int
}

type partition struct {
	recs []*record
}

func newIndex(name string, sc schema, proj projection, global bool) *index {
	return &index{name: name, schema: sc, proj: proj, global: global, parts: map[string]*partition{}}
}

// holds tells whether rec belongs in the index: a secondary index has
// only the items that carry its key attributes.
func (ix *index) holds(rec *record) bool {
	if v, ok := rec.item[ix.schema.hash.name]; !ok || v.Type() != ix.schema.hash.typ {
		return false
	}
	if ix.schema.rng.name != "" {
		if v, ok := rec.item[ix.schema.rng.name]; !ok || v.Type() != ix.schema.rng.typ {
			return false
		}
	}
	return true
}

// position compares a record with a sort key value and primary key.
func (ix *index) cmp(rec *record, rng attr.Value, key string) int {
	if ix.schema.rng.name != "" {
		if c, _ := attr.Compare(rec.item[ix.schema.rng.name], rng); c != 0 {
			return c
		}
	}
	return strings.Compare(rec.key, key)
}

func (ix *index) sortValue(rec *record) attr.Value {
	if ix.schema.rng.name == "" {
		return attr.Value{}
	}
	return rec.item[ix.schema.rng.name]
}

func (ix *index) insert(rec *record) {
	if !ix.holds(rec) {
		return
	}
	pk := encodeValue(rec.item[ix.schema.hash.name])
	p := ix.parts[pk]
	if p == nil {
		p = &partition{}
		ix.parts[pk] = p
		ix.sorted = false
	}
	rng := ix.sortValue(rec)
	i, _ := slices.BinarySearchFunc(p.recs, rec, func(a, _ *record) int { return ix.cmp(a, rng, rec.key) })
	p.recs = slices.Insert(p.recs, i, rec)
	ix.count++
}

func (ix *index) remove(rec *record) {
	if !ix.holds(rec) {
		return
	}
	pk := encodeValue(rec.item[ix.schema.hash.name])
	p := ix.parts[pk]
	if p == nil {
		return
	}
	rng := ix.sortValue(rec)
	i, found := slices.BinarySearchFunc(p.recs, rec, func(a, _ *record) int { return ix.cmp(a, rng, rec.key) })
	if !found || p.recs[i] != rec {
		return
	}
	p.recs = slices.Delete(p.recs, i, i+1)
	ix.count--
	if len(p.recs) == 0 {
		delete(ix.parts, pk)
		ix.sorted = false
	}
}

// partitions returns the partition keys in Scan order.
func (ix *index) partitions() []string {
	if !ix.sorted {
		ix.order = ix.order[:0]
		for k := range ix.parts {
			ix.order = append(ix.order, k)
		}
		slices.Sort(ix.order)
		ix.sorted = true
	}
	return ix.order
}

// after returns the position in p just past the record with sort value
// rng and primary key key (forward), or of it (backward: records before
// the returned position come before it).
func (ix *index) search(p *partition, rng attr.Value, key string) (int, bool) {
	return slices.BinarySearchFunc(p.recs, (*record)(nil), func(a, _ *record) int { return ix.cmp(a, rng, key) })
}
