package filterpolicy

import (
	"errors"
	"strings"
	"testing"

	"github.com/eventchain/eventchain/infra/localcloud/awsmsg"
)

func str(v string) awsmsg.Attribute { return awsmsg.Attribute{DataType: "String", StringValue: v} }
func num(v string) awsmsg.Attribute { return awsmsg.Attribute{DataType: "Number", StringValue: v} }
func arr(v string) awsmsg.Attribute {
	return awsmsg.Attribute{DataType: "String.Array", StringValue: v}
}

type attrs = map[string]awsmsg.Attribute

// docMessage is the example message of AWS's "Example filter policies"
// page, as attributes.
var docMessage = attrs{
	"customer_interests": arr(`["soccer", "rugby", "hockey"]`),
	"store":              str("example_corp"),
	"event":              str("order_placed"),
	"price_usd":          num("210.75"),
}

// docBody is the same example as a message body.
const docBody = `{"customer_interests": ["soccer", "rugby", "hockey"], "store": "example_corp", "event":"order_placed", "price_usd":210.75}`

func TestMatchAttributes(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		attrs  attrs
		want   bool
	}{
		// AWS "Example filter policies": this policy accepts the example message.
		{"aws example accepts", `{"store":["example_corp"],"event":[{"anything-but":"order_cancelled"}],"customer_interests":["rugby","football","baseball"],"price_usd":[{"numeric":[">=",100]}]}`, docMessage, true},
		{"aws example rejects other store", `{"store":["example_corp"],"event":[{"anything-but":"order_cancelled"}],"customer_interests":["rugby","football","baseball"],"price_usd":[{"numeric":[">=",100]}]}`, attrs{"store": str("other"), "event": str("order_placed"), "customer_interests": arr(`["rugby"]`), "price_usd": num("210.75")}, false},
		{"aws example rejects low price", `{"store":["example_corp"],"price_usd":[{"numeric":[">=",100]}]}`, attrs{"store": str("example_corp"), "price_usd": num("99.99")}, false},

		{"exact string", `{"type":["launch.requested"]}`, attrs{"type": str("launch.requested")}, true},
		{"exact string is case sensitive", `{"type":["Launch.Requested"]}`, attrs{"type": str("launch.requested")}, false},
		{"OR within a key", `{"customer_interests":["rugby","tennis"]}`, attrs{"customer_interests": str("tennis")}, true},
		{"OR within a key no match", `{"customer_interests":["rugby","tennis"]}`, attrs{"customer_interests": str("baseball")}, false},
		{"AND across keys", `{"a":["1"],"b":["2"]}`, attrs{"a": str("1"), "b": str("2")}, true},
		{"AND across keys one missing", `{"a":["1"],"b":["2"]}`, attrs{"a": str("1")}, false},
		{"AND across keys one differs", `{"a":["1"],"b":["2"]}`, attrs{"a": str("1"), "b": str("3")}, false},
		{"String.Array matches any element", `{"customer_interests":["rugby"]}`, attrs{"customer_interests": arr(`["soccer","rugby"]`)}, true},
		{"String.Array no element matches", `{"customer_interests":["golf"]}`, attrs{"customer_interests": arr(`["soccer","rugby"]`)}, false},
		{"String.Array numeric element", `{"sizes":[10]}`, attrs{"sizes": arr(`["a",10]`)}, true},
		{"unlisted attributes are ignored", `{"a":["1"]}`, attrs{"a": str("1"), "z": str("x")}, true},
		{"custom string type", `{"a":["1"]}`, attrs{"a": {DataType: "String.custom", StringValue: "1"}}, true},
		{"string does not match number attribute", `{"price":["100"]}`, attrs{"price": num("100")}, false},

		{"exact number", `{"price":[100]}`, attrs{"price": num("100")}, true},
		{"exact number other form", `{"price":[100]}`, attrs{"price": num("100.000")}, true},
		{"exact number five decimals", `{"price":[0.00001]}`, attrs{"price": num("0.000010")}, true},
		{"exact number differs", `{"price":[100]}`, attrs{"price": num("100.01")}, false},
		{"number does not match string attribute", `{"price":[100]}`, attrs{"price": str("100")}, false},

		{"prefix", `{"event":[{"prefix":"order-"}]}`, attrs{"event": str("order-placed")}, true},
		{"prefix no match", `{"event":[{"prefix":"order-"}]}`, attrs{"event": str("invoice-sent")}, false},
		{"suffix", `{"image":[{"suffix":".png"}]}`, attrs{"image": str("cat.png")}, true},
		{"suffix no match", `{"image":[{"suffix":".png"}]}`, attrs{"image": str("cat.jpg")}, false},
		{"equals-ignore-case", `{"status":[{"equals-ignore-case":"ACTIVE"}]}`, attrs{"status": str("aCtIvE")}, true},
		{"equals-ignore-case no match", `{"status":[{"equals-ignore-case":"ACTIVE"}]}`, attrs{"status": str("inactive")}, false},

		{"anything-but list", `{"customer_interests":[{"anything-but":["rugby","tennis"]}]}`, attrs{"customer_interests": str("baseball")}, true},
		{"anything-but list excluded", `{"customer_interests":[{"anything-but":["rugby","tennis"]}]}`, attrs{"customer_interests": str("rugby")}, false},
		// AWS docs: an array with one value outside the list matches.
		{"anything-but array with other value", `{"customer_interests":[{"anything-but":["rugby","tennis"]}]}`, attrs{"customer_interests": arr(`["rugby","baseball"]`)}, true},
		{"anything-but array all excluded", `{"customer_interests":[{"anything-but":["rugby","tennis"]}]}`, attrs{"customer_interests": arr(`["rugby","tennis"]`)}, false},
		{"anything-but single string", `{"event":[{"anything-but":"order_cancelled"}]}`, attrs{"event": str("order_placed")}, true},
		{"anything-but single string excluded", `{"event":[{"anything-but":"order_cancelled"}]}`, attrs{"event": str("order_cancelled")}, false},
		{"anything-but needs the key", `{"event":[{"anything-but":"order_cancelled"}]}`, attrs{"other": str("x")}, false},
		{"anything-but numbers", `{"price":[{"anything-but":[100,500]}]}`, attrs{"price": num("200")}, true},
		{"anything-but numbers excluded", `{"price":[{"anything-but":[100,500]}]}`, attrs{"price": num("500")}, false},
		{"anything-but single number", `{"price":[{"anything-but":100}]}`, attrs{"price": num("100")}, false},
		{"anything-but prefix", `{"event":[{"anything-but":{"prefix":"order-"}}]}`, attrs{"event": str("invoice-sent")}, true},
		{"anything-but prefix excluded", `{"event":[{"anything-but":{"prefix":"order-"}}]}`, attrs{"event": str("order-placed")}, false},
		{"anything-but suffix", `{"file":[{"anything-but":{"suffix":".tmp"}}]}`, attrs{"file": str("a.txt")}, true},
		{"anything-but suffix excluded", `{"file":[{"anything-but":{"suffix":".tmp"}}]}`, attrs{"file": str("a.tmp")}, false},
		{"anything-but equals-ignore-case", `{"s":[{"anything-but":{"equals-ignore-case":["A","B"]}}]}`, attrs{"s": str("c")}, true},
		{"anything-but equals-ignore-case excluded", `{"s":[{"anything-but":{"equals-ignore-case":["A","B"]}}]}`, attrs{"s": str("b")}, false},
		{"anything-but or exists false, absent", `{"type":[{"anything-but":["a","b"]},{"exists":false}]}`, attrs{"other": str("x")}, true},
		{"anything-but or exists false, unknown value", `{"type":[{"anything-but":["a","b"]},{"exists":false}]}`, attrs{"type": str("c")}, true},
		{"anything-but or exists false, known value", `{"type":[{"anything-but":["a","b"]},{"exists":false}]}`, attrs{"type": str("a")}, false},

		{"numeric =", `{"n":[{"numeric":["=",5]}]}`, attrs{"n": num("5")}, true},
		{"numeric = no", `{"n":[{"numeric":["=",5]}]}`, attrs{"n": num("5.1")}, false},
		{"numeric <", `{"n":[{"numeric":["<",5]}]}`, attrs{"n": num("4.99")}, true},
		{"numeric < bound", `{"n":[{"numeric":["<",5]}]}`, attrs{"n": num("5")}, false},
		{"numeric <=", `{"n":[{"numeric":["<=",5]}]}`, attrs{"n": num("5")}, true},
		{"numeric >", `{"n":[{"numeric":[">",5]}]}`, attrs{"n": num("5")}, false},
		{"numeric >=", `{"n":[{"numeric":[">=",5]}]}`, attrs{"n": num("5")}, true},
		{"numeric negative", `{"n":[{"numeric":["<",0]}]}`, attrs{"n": num("-3")}, true},
		{"numeric range inside", `{"price_usd":[{"numeric":[">",0,"<=",150]}]}`, attrs{"price_usd": num("150")}, true},
		{"numeric range lower bound excluded", `{"price_usd":[{"numeric":[">",0,"<=",150]}]}`, attrs{"price_usd": num("0")}, false},
		{"numeric range above", `{"price_usd":[{"numeric":[">",0,"<=",150]}]}`, attrs{"price_usd": num("150.5")}, false},
		{"numeric on string attribute", `{"n":[{"numeric":[">",0]}]}`, attrs{"n": str("5")}, false},
		{"numeric on String.Array numbers", `{"n":[{"numeric":[">",10]}]}`, attrs{"n": arr(`[1, 20]`)}, true},

		{"exists true", `{"store":[{"exists":true}]}`, attrs{"store": str("fans")}, true},
		{"exists true absent", `{"store":[{"exists":true}]}`, attrs{"customer_interests": arr(`["baseball"]`)}, false},
		{"exists true binary", `{"blob":[{"exists":true}]}`, attrs{"blob": {DataType: "Binary", BinaryValue: []byte{1}}}, true},
		{"exists false absent", `{"store":[{"exists":false}]}`, attrs{"customer_interests": arr(`["baseball"]`)}, true},
		{"exists false present", `{"store":[{"exists":false}]}`, attrs{"store": str("fans")}, false},
		// AWS docs: "exists": false only matches if at least one attribute is present.
		{"exists false without any attribute", `{"store":[{"exists":false}]}`, attrs{}, false},
		{"no attributes match no policy", `{"type":[{"anything-but":"x"}]}`, nil, false},
		{"empty policy matches all", `{}`, nil, true},

		{"cidr", `{"source_ip":[{"cidr":"10.0.0.0/24"}]}`, attrs{"source_ip": str("10.0.0.42")}, true},
		{"cidr outside", `{"source_ip":[{"cidr":"10.0.0.0/24"}]}`, attrs{"source_ip": str("10.0.1.1")}, false},
		{"cidr ipv6", `{"source_ip":[{"cidr":"2001:db8::/32"}]}`, attrs{"source_ip": str("2001:db8::1")}, true},

		// AWS "$or" example: source AND (metricName OR namespace).
		{"$or first branch", `{"source":["aws.cloudwatch"],"$or":[{"metricName":["CPUUtilization","ReadLatency"]},{"namespace":["AWS/EC2","AWS/ES"]}]}`, attrs{"source": str("aws.cloudwatch"), "metricName": str("ReadLatency")}, true},
		{"$or second branch", `{"source":["aws.cloudwatch"],"$or":[{"metricName":["CPUUtilization","ReadLatency"]},{"namespace":["AWS/EC2","AWS/ES"]}]}`, attrs{"source": str("aws.cloudwatch"), "namespace": str("AWS/ES")}, true},
		{"$or no branch", `{"source":["aws.cloudwatch"],"$or":[{"metricName":["CPUUtilization","ReadLatency"]},{"namespace":["AWS/EC2","AWS/ES"]}]}`, attrs{"source": str("aws.cloudwatch"), "namespace": str("AWS/S3")}, false},
		{"$or outer key fails", `{"source":["aws.cloudwatch"],"$or":[{"metricName":["CPUUtilization"]},{"namespace":["AWS/EC2"]}]}`, attrs{"source": str("aws.ec2"), "namespace": str("AWS/EC2")}, false},
		{"$or nested", `{"$or":[{"a":["1"]},{"$or":[{"b":["2"]},{"c":["3"]}]}]}`, attrs{"c": str("3")}, true},

		// The unrouted subscription (docs/architecture.md, "Fan-out"): types no consumer knows, or no type.
		{"unrouted unknown type", `{"type":[{"anything-but":["launch.requested","instance.launched"]},{"exists":false}]}`, attrs{"type": str("mystery"), "correlationid": str("c")}, true},
		{"unrouted known type", `{"type":[{"anything-but":["launch.requested","instance.launched"]},{"exists":false}]}`, attrs{"type": str("launch.requested"), "correlationid": str("c")}, false},
		{"unrouted missing type", `{"type":[{"anything-but":["launch.requested","instance.launched"]},{"exists":false}]}`, attrs{"correlationid": str("c")}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.policy, ScopeMessageAttributes)
			if err != nil {
				t.Fatalf("Parse(%s): %v", tc.policy, err)
			}
			if got := p.MatchAttributes(tc.attrs); got != tc.want {
				t.Errorf("MatchAttributes = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestMatchBody(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		body   string
		want   bool
	}{
		{"aws example accepts", `{"store":["example_corp"],"event":[{"anything-but":"order_cancelled"}],"customer_interests":["rugby","football","baseball"],"price_usd":[{"numeric":[">=",100]}]}`, docBody, true},
		{"aws example rejects", `{"store":["example_corp"],"price_usd":[{"numeric":["<",100]}]}`, docBody, false},
		{"exact string", `{"type":["a"]}`, `{"type":"a"}`, true},
		{"exact number", `{"n":[3]}`, `{"n":3.0}`, true},
		{"boolean", `{"ok":[true]}`, `{"ok":true}`, true},
		{"boolean mismatch", `{"ok":[true]}`, `{"ok":false}`, false},
		{"null", `{"v":[null]}`, `{"v":null}`, true},
		{"array element", `{"tags":["b"]}`, `{"tags":["a","b"]}`, true},
		// AWS "payload-based filtering" example: nested keys.
		{"nested keys", `{"patient":{"vitals":{"heartRate":[{"numeric":[">",100]}]}}}`, `{"patient":{"name":"x","vitals":{"heartRate":120}}}`, true},
		{"nested keys below", `{"patient":{"vitals":{"heartRate":[{"numeric":[">",100]}]}}}`, `{"patient":{"vitals":{"heartRate":80}}}`, false},
		{"nested parent missing", `{"patient":{"vitals":{"heartRate":[{"numeric":[">",100]}]}}}`, `{"doctor":{}}`, false},
		{"nested array of objects", `{"Records":{"eventName":[{"prefix":"ObjectCreated:"}]}}`, `{"Records":[{"eventName":"ObjectRemoved:Delete"},{"eventName":"ObjectCreated:Put"}]}`, true},
		{"nested array of objects no match", `{"Records":{"eventName":[{"prefix":"ObjectCreated:"}]}}`, `{"Records":[{"eventName":"ObjectRemoved:Delete"}]}`, false},
		{"nested AND within one array element", `{"r":{"a":["1"],"b":["2"]}}`, `{"r":[{"a":"1","b":"9"},{"a":"9","b":"2"}]}`, false},
		{"exists true", `{"store":[{"exists":true}]}`, `{"store":"fans"}`, true},
		{"exists true null value", `{"store":[{"exists":true}]}`, `{"store":null}`, false},
		{"exists true empty array", `{"store":[{"exists":true}]}`, `{"store":[]}`, false},
		{"exists false", `{"store":[{"exists":false}]}`, `{"customer_interests":["baseball"]}`, true},
		{"exists false on object value is leaf-only", `{"a":[{"exists":false}]}`, `{"a":{"b":1}}`, true},
		{"exists false nested parent missing", `{"a":{"b":[{"exists":false}]}}`, `{"c":1}`, true},
		{"$or in body", `{"$or":[{"a":["1"]},{"b":{"c":["2"]}}]}`, `{"b":{"c":"2"}}`, true},
		{"non-JSON body matches nothing", `{"a":["1"]}`, `not json`, false},
		{"JSON array body matches nothing", `{"a":["1"]}`, `[{"a":"1"}]`, false},
		{"empty policy matches non-JSON", `{}`, `plain text`, true},
		{"prefix on number is false", `{"n":[{"prefix":"1"}]}`, `{"n":12}`, false},
		{"anything-but on body number", `{"n":[{"anything-but":[1,2]}]}`, `{"n":3}`, true},
		{"anything-but null value", `{"n":[{"anything-but":["x"]}]}`, `{"n":null}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.policy, ScopeMessageBody)
			if err != nil {
				t.Fatalf("Parse(%s): %v", tc.policy, err)
			}
			if got := p.MatchBody(tc.body); got != tc.want {
				t.Errorf("MatchBody = %v, want %v", got, tc.want)
			}
			if got := p.Match(tc.body, nil); got != tc.want {
				t.Errorf("Match in body scope = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		scope  Scope
		reason string
	}{
		{"not JSON", `{"a":`, ScopeMessageAttributes, "failed to parse JSON"},
		{"trailing data", `{"a":["1"]} x`, ScopeMessageAttributes, "failed to parse JSON"},
		{"not an object", `["a"]`, ScopeMessageAttributes, "must be a JSON object"},
		{"scalar value", `{"a":"1"}`, ScopeMessageAttributes, `"a" must be an object or an array`},
		{"nested in attribute scope", `{"a":{"b":["1"]}}`, ScopeMessageAttributes, "does not support nested filter policy"},
		{"empty array", `{"a":[]}`, ScopeMessageAttributes, "Empty arrays are not allowed"},
		{"object in array of arrays", `{"a":[["x"]]}`, ScopeMessageAttributes, "Match value must be String, number, true, false, or null"},
		{"unknown operator", `{"a":[{"wildcard":"x*"}]}`, ScopeMessageAttributes, "Unrecognized match type wildcard"},
		{"two operators", `{"a":[{"prefix":"x","suffix":"y"}]}`, ScopeMessageAttributes, "exactly one operator"},
		{"exists not bool", `{"a":[{"exists":"yes"}]}`, ScopeMessageAttributes, "exists match pattern must be either true or false."},
		{"prefix not string", `{"a":[{"prefix":1}]}`, ScopeMessageAttributes, "prefix match pattern must be a string"},
		{"numeric empty", `{"a":[{"numeric":[]}]}`, ScopeMessageAttributes, "Invalid member in numeric match"},
		{"numeric bad operator", `{"a":[{"numeric":["!=",1]}]}`, ScopeMessageAttributes, "Unrecognized numeric range operator: !="},
		{"numeric value not number", `{"a":[{"numeric":["<","100"]}]}`, ScopeMessageAttributes, "Value of < must be numeric"},
		{"numeric too many after =", `{"a":[{"numeric":["=",1,"<",2]}]}`, ScopeMessageAttributes, "Too many elements in numeric expression"},
		{"numeric bad upper operator", `{"a":[{"numeric":[">",1,">",2]}]}`, ScopeMessageAttributes, "Bad numeric range operator: >"},
		{"numeric bottom above top", `{"a":[{"numeric":[">",5,"<",1]}]}`, ScopeMessageAttributes, "Bottom must be less than top"},
		{"numeric out of range", `{"a":[{"numeric":[">",1000000000]}]}`, ScopeMessageAttributes, "between -1.0E9 and 1.0E9"},
		{"anything-but mixed", `{"a":[{"anything-but":["x",1]}]}`, ScopeMessageAttributes, "all be strings or all be numbers"},
		{"anything-but bool", `{"a":[{"anything-but":true}]}`, ScopeMessageAttributes, "anything-but must be"},
		{"anything-but unknown", `{"a":[{"anything-but":{"wildcard":"x"}}]}`, ScopeMessageAttributes, "Unsupported anything-but pattern"},
		{"cidr malformed", `{"a":[{"cidr":"10.0.0"}]}`, ScopeMessageAttributes, "Malformed CIDR"},
		{"six keys", `{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1"]}`, ScopeMessageAttributes, "can not have more than 5 keys"},
		{"too complex", `{"a":["1","2","3","4","5","6","7","8","9","10"],"b":["1","2","3","4","5","6","7","8","9","10"],"c":["1","2"]}`, ScopeMessageAttributes, "Filter policy is too complex"},
		// AWS's nested example: 4 values at depth 3 and 3 values at depth 2 = 72; 9 values instead of 4 make 162.
		{"too complex nested", `{"a":{"b":{"c":["1","2","3","4","5","6","7","8","9"]}},"d":{"e":["1","2","3"]}}`, ScopeMessageBody, "Filter policy is too complex"},
		{"$or with one alternative", `{"$or":[{"a":["1"]}]}`, ScopeMessageAttributes, "at least two alternatives"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.policy, tc.scope)
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%s) error = %v, want *Error", tc.policy, err)
			}
			if !strings.Contains(pe.Reason, tc.reason) {
				t.Errorf("reason %q, want it to contain %q", pe.Reason, tc.reason)
			}
		})
	}
}

func TestParseAcceptsLimits(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		scope  Scope
	}{
		{"five keys", `{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"]}`, ScopeMessageAttributes},
		{"150 combinations", `{"a":["1","2","3","4","5","6","7","8","9","10"],"b":["1","2","3","4","5","6","7","8","9","10","11","12","13","14","15"]}`, ScopeMessageAttributes},
		{"aws nested example of 72", `{"a":{"b":{"c":["1","2","3","4"]}},"d":{"e":["1","2","3"]}}`, ScopeMessageBody},
		{"numeric range", `{"a":[{"numeric":[">=",-1.5,"<",999999999.99999]}]}`, ScopeMessageAttributes},
		{"$or of plain values is a key", `{"$or":["a","b"]}`, ScopeMessageAttributes},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Parse(tc.policy, tc.scope); err != nil {
				t.Fatalf("Parse(%s): %v", tc.policy, err)
			}
		})
	}
}

func TestParseScope(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Scope
		wantErr bool
	}{
		{"attributes", "MessageAttributes", ScopeMessageAttributes, false},
		{"body", "MessageBody", ScopeMessageBody, false},
		{"lower case refused", "messagebody", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseScope(tc.in)
			if (err != nil) != tc.wantErr || (!tc.wantErr && got != tc.want) {
				t.Fatalf("ParseScope(%q) = %v, %v", tc.in, got, err)
			}
			if !tc.wantErr && got.String() != tc.in {
				t.Errorf("String() = %q, want %q", got.String(), tc.in)
			}
		})
	}
}

// FuzzParse checks that no policy text makes Parse or matching panic, and
// that a policy Parse accepts evaluates in both scopes.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"a":["1"]}`, `{"a":[{"numeric":[">",0,"<=",5]}]}`, `{"a":{"b":[{"exists":false}]}}`,
		`{"$or":[{"a":["1"]},{"b":[2]}]}`, `{"a":[{"anything-but":{"prefix":"x"}}]}`, `{"a":[{"cidr":"10.0.0.0/8"}]}`,
		`{"a":[null,true,1.5,"x"]}`, `[`, `{"a":[{"numeric":["=","x"]}]}`,
	} {
		f.Add(seed, `{"a":"1","b":2}`)
	}
	f.Fuzz(func(t *testing.T, policy, body string) {
		for _, scope := range []Scope{ScopeMessageAttributes, ScopeMessageBody} {
			p, err := Parse(policy, scope)
			if err != nil {
				var pe *Error
				if !errors.As(err, &pe) {
					t.Fatalf("Parse error %v is not an *Error", err)
				}
				continue
			}
			p.MatchBody(body)
			p.MatchAttributes(attrs{"a": str(body), "b": arr(body), "c": num(body)})
		}
	})
}
