package awsproto

import (
	"crypto/rand"
	"encoding/hex"
)

// UUID returns a random RFC 4122 version 4 UUID, the form of request ids,
// message ids and subscription ids.
func UUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	// Hand-formatted: this runs at least once per request, and fmt costs
	// more than the rest of a SendMessage's bookkeeping.
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], b[10:16])
	return string(out[:])
}

// HexID returns prefix and 17 random lowercase hex digits, the long
// resource id format of EC2 (i-…, r-…).
func HexID(prefix string) string {
	var b [9]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])[:17]
}
