// Package attr is the DynamoDB attribute value model of the emulator: the
// ten data types (S, N, B, BOOL, NULL, M, L, SS, NS, BS), their DynamoDB
// JSON wire form ({"S":"x"}, {"N":"1.5"}, {"B":"<base64>"}, …) through
// encoding/json, and the semantics the rest of DynamoDB builds on.
//
// Covered:
//   - decoding that refuses what DynamoDB refuses, with its messages:
//     no type or several types in one value, empty sets, duplicate set
//     members, NULL other than true, numbers that are not numbers or lie
//     outside DynamoDB's range;
//   - numbers as DynamoDB defines them: decimal, up to 38 significant
//     digits, magnitude 1E-130 to 9.9999999999999999999999999999999999999E+125,
//     compared and added exactly (never through float64), and written back
//     in the normalised plain form DynamoDB returns;
//   - equality (sets as sets, numbers numerically) and the ordering used by
//     comparisons and sort keys (S by UTF-8 bytes, B by unsigned bytes, N
//     numerically);
//   - the helpers expression functions need: size(), contains(),
//     begins_with(), set union and difference;
//   - item size as DynamoDB counts it for the 400 KB limit.
//
// Not covered, on purpose: the document model of the SDK's attributevalue
// package (Go structs to items), key schema rules (which attributes must be
// S, N or B, key size limits) and request-level limits, which belong to the
// table layer; and the PartiQL literal syntax.
//
// Values are immutable once built, so they can be shared between an item
// and its updated copy; Clone exists for callers that need to hand out a
// value they do not control.
package attr
