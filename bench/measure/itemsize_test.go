package measure

import (
	"testing"

	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/eventchain/eventchain/infra/samtemplate"
)

func TestItemSize(t *testing.T) {
	for _, tc := range []struct {
		name string
		item map[string]ddbtypes.AttributeValue
		want int64
	}{
		{"string", map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: "req#abc"}}, 2 + 7},
		{"number: one byte per two digits, plus one", map[string]ddbtypes.AttributeValue{"n": &ddbtypes.AttributeValueMemberN{Value: "12345"}}, 1 + 4},
		{"number's zeros at either end do not count", map[string]ddbtypes.AttributeValue{"n": &ddbtypes.AttributeValueMemberN{Value: "1700000000"}}, 1 + 2},
		{"boolean", map[string]ddbtypes.AttributeValue{"ok": &ddbtypes.AttributeValueMemberBOOL{Value: true}}, 2 + 1},
		{"list: 3 bytes, one per element", map[string]ddbtypes.AttributeValue{"l": &ddbtypes.AttributeValueMemberL{Value: []ddbtypes.AttributeValue{
			&ddbtypes.AttributeValueMemberS{Value: "ab"}, &ddbtypes.AttributeValueMemberS{Value: "c"}}}}, 1 + 3 + (1 + 2) + (1 + 1)},
		{"map: keys count as names", map[string]ddbtypes.AttributeValue{"m": &ddbtypes.AttributeValueMemberM{Value: map[string]ddbtypes.AttributeValue{
			"key": &ddbtypes.AttributeValueMemberS{Value: "v"}}}}, 1 + 3 + (1 + 3 + 1)},
		{"string set", map[string]ddbtypes.AttributeValue{"ss": &ddbtypes.AttributeValueMemberSS{Value: []string{"a", "bc"}}}, 2 + 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := itemSize(tc.item); got != tc.want {
				t.Errorf("itemSize = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestIndexEntrySize(t *testing.T) {
	table := samtemplate.Table{HashKey: "pk"}
	item := map[string]ddbtypes.AttributeValue{
		"pk":    &ddbtypes.AttributeValueMemberS{Value: "req#1"},
		"owner": &ddbtypes.AttributeValueMemberS{Value: "me"},
		"body":  &ddbtypes.AttributeValueMemberS{Value: "0123456789"},
	}
	for _, tc := range []struct {
		name string
		ix   samtemplate.Index
		want int64
		in   bool
	}{
		{"ALL projects the whole item", samtemplate.Index{HashKey: "owner", Projection: "ALL"}, itemSize(item), true},
		{"KEYS_ONLY projects the keys", samtemplate.Index{HashKey: "owner", Projection: "KEYS_ONLY"}, 2 + 5 + 5 + 2, true},
		{"an item without the index's key is not in it", samtemplate.Index{HashKey: "listKey", Projection: "ALL"}, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, in := indexEntrySize(item, table, tc.ix)
			if got != tc.want || in != tc.in {
				t.Errorf("indexEntrySize = %d, %v; want %d, %v", got, in, tc.want, tc.in)
			}
		})
	}
}

func TestUnits(t *testing.T) {
	for _, tc := range []struct{ size, unit, want int64 }{{0, 1024, 1}, {1024, 1024, 1}, {1025, 1024, 2}, {4097, 4096, 2}} {
		if got := units(tc.size, tc.unit); got != tc.want {
			t.Errorf("units(%d, %d) = %d, want %d", tc.size, tc.unit, got, tc.want)
		}
	}
}
