// Package awsproto is localcloud's one wire layer: it reads requests in
// the protocols the current AWS SDKs speak — AWS JSON 1.0, the query
// protocol (and EC2's variant of it) and Smithy RPC v2 CBOR — routes each
// to the service and operation it names, and writes answers and errors
// back in the protocol the request came in. Services declare a table of
// typed operations (Op) and keep only their behaviour.
//
// A service is declared once, whatever protocols it speaks:
//
//	awsproto.Service{
//		Name:      "monitoring",
//		Protocols: []awsproto.Protocol{awsproto.CBOR{...}, awsproto.JSON10{...}},
//		Ops:       []awsproto.Operation{awsproto.Op("DescribeAlarms", s.describeAlarms)},
//	}
//
// Inputs and outputs are Go structs: JSON and CBOR read and write them by
// their json tags, the query protocols read inputs through their
// FromQuery method (a Form gives the flattened lists and maps) and write
// outputs by their xml tags.
//
// Files: one per protocol (json.go, cbor.go, query.go for the form
// reader, queryxml.go for query answers), service.go for the operation
// table and dispatch, faults.go for injected errors (answered in
// dispatch, before the operation runs), router.go for telling which
// service a request is for, body.go for reading bodies within their
// limits, and one file per shared helper (error.go, account.go, id.go,
// page.go, timestamp.go for times in JSON and CBOR alike, protocols.go
// for naming protocols in errors).
package awsproto
