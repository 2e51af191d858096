package awsproto

import "strings"

// protocolName names a protocol as error messages say it.
func protocolName(p Protocol) string {
	switch p.(type) {
	case JSON10:
		return "AWS JSON 1.0"
	case CBOR:
		return "RPC v2 CBOR"
	case Query:
		return "the query protocol"
	case EC2Query:
		return "the EC2 query protocol"
	}
	return "an unnamed protocol"
}

// protocolNames lists the protocols a service speaks, for error messages.
func protocolNames(svc *Service) string {
	names := make([]string, len(svc.Protocols))
	for i, p := range svc.Protocols {
		names[i] = protocolName(p)
	}
	return strings.Join(names, " and ")
}
