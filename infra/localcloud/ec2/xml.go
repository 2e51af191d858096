package ec2

import "github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"

// xmlns is the namespace of every EC2 answer.
const xmlns = "http://ec2.amazonaws.com/doc/2016-11-15/"

// timeFormat is how EC2 writes timestamps (ISO 8601, UTC, milliseconds).
const timeFormat = "2006-01-02T15:04:05.000Z"

// The outputs below mirror the element names the SDK's ec2query
// deserializers read (service/ec2/deserializers.go); lists are wrappers
// of <item>s. The wire layer wraps each in <OpResponse> in the xmlns
// namespace and fills in the request id.

type runResponse struct {
	awsproto.EC2Result
	xmlReservation
}

type describeResponse struct {
	awsproto.EC2Result
	Reservations []xmlReservation `xml:"reservationSet>item"`
	NextToken    string           `xml:"nextToken,omitempty"`
}

type terminateResponse struct {
	awsproto.EC2Result
	Changes []xmlStateChange `xml:"instancesSet>item"`
}

type xmlReservation struct {
	ReservationID string        `xml:"reservationId"`
	OwnerID       string        `xml:"ownerId"`
	Groups        []xmlGroup    `xml:"groupSet>item"`
	Instances     []xmlInstance `xml:"instancesSet>item"`
}

type xmlGroup struct {
	GroupID   string `xml:"groupId"`
	GroupName string `xml:"groupName"`
}

type xmlState struct {
	Code int    `xml:"code"`
	Name string `xml:"name"`
}

type xmlTag struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

type xmlPlacement struct {
	AvailabilityZone string `xml:"availabilityZone"`
	GroupName        string `xml:"groupName"`
	Tenancy          string `xml:"tenancy"`
}

type xmlMonitoring struct {
	State string `xml:"state"`
}

type xmlStateReason struct {
	Code    string `xml:"code"`
	Message string `xml:"message"`
}

type xmlInstance struct {
	InstanceID            string          `xml:"instanceId"`
	ImageID               string          `xml:"imageId"`
	State                 xmlState        `xml:"instanceState"`
	PrivateDNSName        string          `xml:"privateDnsName"`
	DNSName               string          `xml:"dnsName"`
	StateTransitionReason string          `xml:"reason"`
	KeyName               string          `xml:"keyName,omitempty"`
	AMILaunchIndex        int             `xml:"amiLaunchIndex"`
	InstanceType          string          `xml:"instanceType"`
	LaunchTime            string          `xml:"launchTime"`
	Placement             xmlPlacement    `xml:"placement"`
	Monitoring            xmlMonitoring   `xml:"monitoring"`
	SubnetID              string          `xml:"subnetId"`
	VpcID                 string          `xml:"vpcId"`
	PrivateIPAddress      string          `xml:"privateIpAddress"`
	SourceDestCheck       bool            `xml:"sourceDestCheck"`
	Groups                []xmlGroup      `xml:"groupSet>item"`
	StateReason           *xmlStateReason `xml:"stateReason,omitempty"`
	Architecture          string          `xml:"architecture"`
	RootDeviceType        string          `xml:"rootDeviceType"`
	RootDeviceName        string          `xml:"rootDeviceName"`
	VirtualizationType    string          `xml:"virtualizationType"`
	ClientToken           string          `xml:"clientToken,omitempty"`
	Tags                  []xmlTag        `xml:"tagSet>item,omitempty"`
	Hypervisor            string          `xml:"hypervisor"`
	EBSOptimized          bool            `xml:"ebsOptimized"`
	ENASupport            bool            `xml:"enaSupport"`
}

type xmlStateChange struct {
	InstanceID    string   `xml:"instanceId"`
	CurrentState  xmlState `xml:"currentState"`
	PreviousState xmlState `xml:"previousState"`
}

// toXML renders an instance as observed at one moment.
func (in *instance) toXML(st observed) xmlInstance {
	x := xmlInstance{
		InstanceID:            in.ID,
		ImageID:               in.ImageID,
		State:                 xmlState{Code: stateCodes[st.State], Name: st.State},
		PrivateDNSName:        privateDNSName(in.PrivateIP),
		StateTransitionReason: st.Transition,
		KeyName:               in.KeyName,
		AMILaunchIndex:        in.LaunchIndex,
		InstanceType:          in.InstanceType,
		LaunchTime:            in.LaunchTime.UTC().Format(timeFormat),
		Placement:             xmlPlacement{AvailabilityZone: in.AZ, Tenancy: "default"},
		Monitoring:            xmlMonitoring{State: "disabled"},
		SubnetID:              in.SubnetID,
		VpcID:                 in.VpcID,
		PrivateIPAddress:      in.PrivateIP,
		SourceDestCheck:       true,
		Architecture:          instanceTypes[in.InstanceType],
		RootDeviceType:        "ebs",
		RootDeviceName:        "/dev/xvda",
		VirtualizationType:    "hvm",
		ClientToken:           in.ClientToken,
		Hypervisor:            "xen",
		ENASupport:            true,
	}
	if st.State == stateTerminated {
		// A terminated instance has left its subnet.
		x.PrivateDNSName, x.PrivateIPAddress = "", ""
	}
	for _, g := range in.SecurityGroups {
		x.Groups = append(x.Groups, xmlGroup{GroupID: g, GroupName: g})
	}
	if st.Reason != nil {
		x.StateReason = &xmlStateReason{Code: st.Reason.Code, Message: st.Reason.Message}
	}
	for _, t := range in.Tags {
		x.Tags = append(x.Tags, xmlTag(t))
	}
	return x
}

func privateDNSName(ip string) string {
	b := []byte("ip-" + ip + ".ec2.internal")
	for i := range b {
		if b[i] == '.' && i < len("ip-")+len(ip) {
			b[i] = '-'
		}
	}
	return string(b)
}
