package measure

import (
	"math/big"
	"strings"

	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/eventchain/eventchain/infra/samtemplate"
)

// itemSize is an item's size as DynamoDB bills it ("Item sizes and
// formats", Amazon DynamoDB Developer Guide): each attribute's name in
// UTF-8 plus its value; a string its UTF-8 length, a binary its length,
// a number about one byte per two significant digits plus one, a boolean
// or null one byte, a list or map 3 bytes plus one per element plus the
// elements (a map's keys counted as names), a set the sum of its
// elements.
func itemSize(item map[string]ddbtypes.AttributeValue) int64 {
	var n int64
	for name, v := range item {
		n += int64(len(name)) + valueSize(v)
	}
	return n
}

func valueSize(v ddbtypes.AttributeValue) int64 {
	switch v := v.(type) {
	case *ddbtypes.AttributeValueMemberS:
		return int64(len(v.Value))
	case *ddbtypes.AttributeValueMemberB:
		return int64(len(v.Value))
	case *ddbtypes.AttributeValueMemberN:
		return numberSize(v.Value)
	case *ddbtypes.AttributeValueMemberBOOL, *ddbtypes.AttributeValueMemberNULL:
		return 1
	case *ddbtypes.AttributeValueMemberL:
		n := int64(3)
		for _, e := range v.Value {
			n += 1 + valueSize(e)
		}
		return n
	case *ddbtypes.AttributeValueMemberM:
		n := int64(3)
		for k, e := range v.Value {
			n += 1 + int64(len(k)) + valueSize(e)
		}
		return n
	case *ddbtypes.AttributeValueMemberSS:
		var n int64
		for _, e := range v.Value {
			n += int64(len(e))
		}
		return n
	case *ddbtypes.AttributeValueMemberNS:
		var n int64
		for _, e := range v.Value {
			n += numberSize(e)
		}
		return n
	case *ddbtypes.AttributeValueMemberBS:
		var n int64
		for _, e := range v.Value {
			n += int64(len(e))
		}
		return n
	}
	return 0
}

// numberSize is a number's billed size: one byte per two significant
// digits, plus one.
func numberSize(s string) int64 {
	f, _, err := big.ParseFloat(s, 10, 0, big.ToNearestEven)
	if err != nil {
		return int64(len(s))
	}
	digits := strings.Trim(strings.ReplaceAll(strings.TrimLeft(f.Text('f', -1), "-"), ".", ""), "0")
	return int64(len(digits)+1)/2 + 1
}

// indexEntrySize is the size of the item's entry in a global secondary
// index, and whether it has one (an item without the index's keys is not
// in it).
func indexEntrySize(item map[string]ddbtypes.AttributeValue, t samtemplate.Table, ix samtemplate.Index) (int64, bool) {
	if _, ok := item[ix.HashKey]; !ok {
		return 0, false
	}
	if ix.RangeKey != "" {
		if _, ok := item[ix.RangeKey]; !ok {
			return 0, false
		}
	}
	if ix.Projection == "ALL" {
		return itemSize(item), true
	}
	keep := map[string]bool{t.HashKey: true, t.RangeKey: true, ix.HashKey: true, ix.RangeKey: true}
	for _, a := range ix.NonKeyAttributes {
		keep[a] = true
	}
	var n int64
	for name, v := range item {
		if keep[name] {
			n += int64(len(name)) + valueSize(v)
		}
	}
	return n, true
}

// units is how many request units of unit bytes an item of size bytes
// takes (at least one).
func units(size, unit int64) int64 {
	return max(1, (size+unit-1)/unit)
}
