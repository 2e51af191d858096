package awsproto

// The account and region every service answers for unless configured.
const (
	DefaultAccountID = "123456789012"
	DefaultRegion    = "us-east-1"
)

// Account is the AWS account and region an emulator instance serves.
type Account struct {
	ID     string
	Region string
}

// OrDefault fills what is empty with DefaultAccountID and DefaultRegion.
func (a Account) OrDefault() Account {
	if a.ID == "" {
		a.ID = DefaultAccountID
	}
	if a.Region == "" {
		a.Region = DefaultRegion
	}
	return a
}

// ARN returns arn:aws:<service>:<region>:<account>:<resource>.
func (a Account) ARN(service, resource string) string {
	return a.ARNPrefix(service) + resource
}

// ARNPrefix is ARN without the resource, for matching ARNs of this
// account and region.
func (a Account) ARNPrefix(service string) string {
	return "arn:aws:" + service + ":" + a.Region + ":" + a.ID + ":"
}
