package dynamodb

import (
	"encoding/binary"
	"slices"
	"strings"
	"time"

	"github.com/eventchain/eventchain/infra/localcloud/dynamodb/attr"
	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
)

// DynamoDB's limits on key values.
const (
	maxHashKeyBytes  = 2048
	maxRangeKeyBytes = 1024
)

// keyDef is one key attribute of a table or index.
type keyDef struct {
	name string
	typ  attr.Type
}

// schema is a key schema: a partition key and, optionally, a sort key
// (rng.name empty when there is none).
type schema struct {
	hash, rng keyDef
}

func (sc schema) names() []string {
	if sc.rng.name == "" {
		return []string{sc.hash.name}
	}
	return []string{sc.hash.name, sc.rng.name}
}

// tableMeta is what defines a table, as it is kept on disk.
type tableMeta struct {
	Name         string                 `json:"name"`
	ID           string                 `json:"id"`
	Created      time.Time              `json:"created"`
	KeySchema    []keySchemaElement     `json:"keySchema"`
	Attributes   []attributeDefinition  `json:"attributes"`
	GSIs         []secondaryIndex       `json:"gsis,omitempty"`
	LSIs         []secondaryIndex       `json:"lsis,omitempty"`
	BillingMode  string                 `json:"billingMode"`
	Provisioned  *provisionedThroughput `json:"provisioned,omitempty"`
	TTLAttribute string                 `json:"ttlAttribute,omitempty"`
	TTLEnabled   bool                   `json:"ttlEnabled,omitempty"`
	Tags         []tag                  `json:"tags,omitempty"`
}

// record is one stored item and its encoded primary key. Records and
// their items are never changed: a write replaces the record.
type record struct {
	key  string
	item attr.Item
	size int
}

// table is one table: its items by primary key and their order in the
// table and in each secondary index.
type table struct {
	meta    tableMeta
	schema  schema
	items   map[string]*record
	base    *index
	indexes map[string]*index // secondary, by name
	bytes   int64
	// expiry orders the items by TTL for the sweep (ttl.go); nil until
	// the sweep finds TTL enabled.
	expiry *expiryQueue
}

// newTable builds the in-memory table of a definition that was checked
// (checkDefinition) or loaded.
func newTable(meta tableMeta) *table {
	types := map[string]attr.Type{}
	for _, d := range meta.Attributes {
		types[d.AttributeName], _ = attr.ParseType(d.AttributeType)
	}
	t := &table{meta: meta, items: map[string]*record{}, indexes: map[string]*index{}}
	t.schema = schemaOf(meta.KeySchema, types)
	t.base = newIndex("", t.schema, projection{ProjectionType: "ALL"}, false)
	for _, g := range meta.GSIs {
		t.indexes[g.IndexName] = newIndex(g.IndexName, schemaOf(g.KeySchema, types), *g.Projection, true)
	}
	for _, l := range meta.LSIs {
		t.indexes[l.IndexName] = newIndex(l.IndexName, schemaOf(l.KeySchema, types), *l.Projection, false)
	}
	return t
}

func schemaOf(ks []keySchemaElement, types map[string]attr.Type) schema {
	var sc schema
	for _, k := range ks {
		d := keyDef{name: k.AttributeName, typ: types[k.AttributeName]}
		if k.KeyType == "HASH" {
			sc.hash = d
		} else {
			sc.rng = d
		}
	}
	return sc
}

// arn is the table's ARN.
func (s *Service) tableARN(name string) string {
	return "arn:aws:dynamodb:" + s.opts.Region + ":" + s.opts.AccountID + ":table/" + name
}

// encodeValue is a key value as a string that sorts partitions apart and
// is equal for equal values (numbers are normalised by attr).
func encodeValue(v attr.Value) string {
	switch v.Type() {
	case attr.TypeS:
		return "S" + v.AsS()
	case attr.TypeN:
		return "N" + v.AsN().String()
	case attr.TypeB:
		return "B" + string(v.AsB())
	}
	return ""
}

// primaryKey encodes the key attributes of item under sc; the partition
// part is length-prefixed so that no two keys encode alike.
func (sc schema) primaryKey(item attr.Item) string {
	h := encodeValue(item[sc.hash.name])
	if sc.rng.name == "" {
		return h
	}
	var b strings.Builder
	b.Write(binary.AppendUvarint(nil, uint64(len(h))))
	b.WriteString(h)
	b.WriteString(encodeValue(item[sc.rng.name]))
	return b.String()
}

// keyOf returns the key attributes of item.
func (sc schema) keyOf(item attr.Item) attr.Item {
	k := attr.Item{sc.hash.name: item[sc.hash.name]}
	if sc.rng.name != "" {
		k[sc.rng.name] = item[sc.rng.name]
	}
	return k
}

// checkKey refuses a Key parameter that is not exactly the table's key.
func (t *table) checkKey(key attr.Item) *awsproto.Error {
	if key == nil {
		return errMissing("key")
	}
	names := t.schema.names()
	if len(key) != len(names) {
		return errKeySchema()
	}
	for i, n := range names {
		v, ok := key[n]
		if !ok {
			return errKeySchema()
		}
		d := t.schema.hash
		if i == 1 {
			d = t.schema.rng
		}
		if v.Type() != d.typ {
			return errKeySchema()
		}
		if e := checkKeyValue(n, v, i == 0); e != nil {
			return e
		}
	}
	return nil
}

func checkKeyValue(name string, v attr.Value, hash bool) *awsproto.Error {
	switch {
	case v.Type() == attr.TypeS && v.AsS() == "":
		return errValidation("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: %s", name)
	case v.Type() == attr.TypeB && len(v.AsB()) == 0:
		return errValidation("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: %s", name)
	case hash && v.Size() > maxHashKeyBytes:
		return errValidation("One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of %d bytes", maxHashKeyBytes)
	case !hash && v.Size() > maxRangeKeyBytes:
		return errValidation("One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of %d bytes", maxRangeKeyBytes)
	}
	return nil
}

// checkItem refuses an item DynamoDB would not store in t: key attributes
// missing, of the wrong type or empty, index keys of the wrong type or
// empty, or an item over 400 KB. update tells which message the size
// limit gets.
func (t *table) checkItem(item attr.Item, update bool) *awsproto.Error {
	for i, d := range []keyDef{t.schema.hash, t.schema.rng} {
		if d.name == "" {
			continue
		}
		v, ok := item[d.name]
		if !ok {
			return errValidation("One or more parameter values were invalid: Missing the key %s in the item", d.name)
		}
		if v.Type() != d.typ {
			return errValidation("One or more parameter values were invalid: Type mismatch for key %s expected: %s actual: %s", d.name, d.typ, v.Type())
		}
		if e := checkKeyValue(d.name, v, i == 0); e != nil {
			return e
		}
	}
	for _, name := range t.indexNames() {
		ix := t.indexes[name]
		for _, d := range []keyDef{ix.schema.hash, ix.schema.rng} {
			if d.name == "" {
				continue
			}
			v, ok := item[d.name]
			if !ok {
				continue
			}
			if v.Type() != d.typ {
				return errValidation("One or more parameter values were invalid: Type mismatch for Index Key %s Expected: %s Actual: %s IndexName: %s", d.name, d.typ, v.Type(), name)
			}
			if (v.Type() == attr.TypeS && v.AsS() == "") || (v.Type() == attr.TypeB && len(v.AsB()) == 0) {
				return errValidation("One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty %s value. IndexName: %s, IndexKey: %s",
					map[attr.Type]string{attr.TypeS: "string", attr.TypeB: "binary"}[v.Type()], name, d.name)
			}
		}
	}
	if item.Size() > attr.MaxItemSize {
		if update {
			return errValidation("Item size to update has exceeded the maximum allowed size")
		}
		return errItemTooLarge()
	}
	return nil
}

func (t *table) indexNames() []string {
	names := make([]string, 0, len(t.indexes))
	for n := range t.indexes {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func (t *table) isKeyAttr(name string) bool {
	return name == t.schema.hash.name || (t.schema.rng.name != "" && name == t.schema.rng.name)
}

// replace puts rec (nil for none) where old (nil for none) was, in the
// item map and every index.
func (t *table) replace(old, rec *record) {
	if old != nil {
		t.base.remove(old)
		for _, ix := range t.indexes {
			ix.remove(old)
		}
		delete(t.items, old.key)
		t.bytes -= int64(old.size)
	}
	if rec != nil {
		t.base.insert(rec)
		for _, ix := range t.indexes {
			ix.insert(rec)
		}
		t.items[rec.key] = rec
		t.bytes += int64(rec.size)
		if t.expiry != nil {
			t.expiry.add(rec)
		}
	}
}

func newRecord(sc schema, item attr.Item) *record {
	return &record{key: sc.primaryKey(item), item: item, size: item.Size()}
}
