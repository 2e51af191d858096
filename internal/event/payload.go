package event

import "time"

// Event types. The schema version lives in the envelope's dataschema, never
// in the type, so filter policies do not change when a payload evolves.
const (
	TypeLaunchRequested  = "launch.requested"
	TypeInstanceLaunched = "instance.launched"
	TypeInstanceRunning  = "instance.running"
	TypeLaunchFailed     = "launch.failed"
)

// LaunchRequested is published by the API once a launch request is
// validated and recorded. It carries everything RunInstances needs, so the
// launcher never reads the request back from the status store.
type LaunchRequested struct {
	RequestID        string            `json:"requestId"`
	ImageID          string            `json:"imageId"`
	InstanceType     string            `json:"instanceType"`
	Count            int               `json:"count"`
	Tags             map[string]string `json:"tags,omitempty"`
	SubnetID         string            `json:"subnetId,omitempty"`
	KeyName          string            `json:"keyName,omitempty"`
	SecurityGroupIDs []string          `json:"securityGroupIds,omitempty"`
	UserData         string            `json:"userData,omitempty"`
}

// InstanceLaunched is published by the launcher once RunInstances has
// answered; the instances are usually still pending.
type InstanceLaunched struct {
	RequestID   string    `json:"requestId"`
	InstanceIDs []string  `json:"instanceIds"`
	LaunchedAt  time.Time `json:"launchedAt"`
}

// InstanceRunning is published by the watcher when every instance of the
// request is running. It is terminal: the notifier closes the request.
type InstanceRunning struct {
	RequestID   string   `json:"requestId"`
	InstanceIDs []string `json:"instanceIds"`
}

// LaunchFailed is published by any step that gives up on a request. It is
// terminal. InstanceIDs lists instances that were launched (and terminated)
// before the failure, if any.
type LaunchFailed struct {
	RequestID   string   `json:"requestId"`
	Code        string   `json:"code"`
	Message     string   `json:"message"`
	InstanceIDs []string `json:"instanceIds,omitempty"`
}
