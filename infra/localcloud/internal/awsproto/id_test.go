package awsproto

import (
	"regexp"
	"testing"
)

func TestUUIDFormat(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 100 {
		id := UUID()
		if !re.MatchString(id) {
			t.Fatalf("UUID() = %q, not an RFC 4122 version 4 UUID", id)
		}
		if seen[id] {
			t.Fatalf("UUID() repeated %q", id)
		}
		seen[id] = true
	}
}

func TestHexID(t *testing.T) {
	re := regexp.MustCompile(`^i-[0-9a-f]{17}$`)
	for range 100 {
		if id := HexID("i-"); !re.MatchString(id) {
			t.Fatalf("HexID(i-) = %q", id)
		}
	}
}
