package localcloud

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/eventchain/eventchain/infra/localcloud/faults"
)

// FaultsPath is where the Cloud's injected faults are listed (GET) and
// changed (POST, a FaultsRequest) while it runs.
const FaultsPath = "/_localcloud/faults"

// InjectFaults checks every rule of set, then injects them all: API
// faults into their services, delivery faults into SNS. It refuses the
// whole set, injecting nothing, when a rule is malformed or names a
// service or operation the Cloud does not serve.
func (c *Cloud) InjectFaults(set faults.Set) error {
	for _, f := range set.Faults {
		if err := c.checkFault(f); err != nil {
			return err
		}
	}
	for _, d := range set.Deliveries {
		if err := d.Check(); err != nil {
			return fmt.Errorf("delivery fault %s: %w", d, err)
		}
	}
	for _, f := range set.Faults {
		c.router.Service(f.Service).InjectFault(f)
	}
	for _, d := range set.Deliveries {
		c.SNS.FailDeliveries(d)
	}
	return nil
}

// checkFault says what is wrong with f, naming what the Cloud serves.
func (c *Cloud) checkFault(f faults.Fault) error {
	if err := f.Check(); err != nil {
		return fmt.Errorf("fault %s: %w", f, err)
	}
	svc := c.router.Service(f.Service)
	if svc == nil {
		var names []string
		for _, s := range c.router.Services() {
			names = append(names, s.Name)
		}
		slices.Sort(names)
		return fmt.Errorf("fault %s: unknown service %q; localcloud serves %s", f, f.Service, strings.Join(names, ", "))
	}
	if !svc.HasOp(f.Operation) {
		names := svc.OpNames()
		slices.Sort(names)
		return fmt.Errorf("fault %s: %s has no operation %q; it serves %s", f, f.Service, f.Operation, strings.Join(names, ", "))
	}
	return nil
}

// Faults returns the pending injected faults, with their counts left.
// Behaviour rules such as EC2's failing images are not faults and are
// not listed.
func (c *Cloud) Faults() faults.Set {
	set := faults.Set{Faults: []faults.Fault{}, Deliveries: c.SNS.DeliveryFaults()}
	for _, svc := range c.router.Services() {
		set.Faults = append(set.Faults, svc.Faults()...)
	}
	if set.Deliveries == nil {
		set.Deliveries = []faults.Delivery{}
	}
	return set
}

// ClearFaults drops every pending injected fault, API and delivery.
func (c *Cloud) ClearFaults() {
	for _, svc := range c.router.Services() {
		svc.ClearFaults()
	}
	c.SNS.ClearDeliveryFaults()
}

// FaultsRequest is the body of a POST to FaultsPath. Action "add"
// injects Faults (SERVICE:Operation:Code:N specs) and Deliveries
// (ENDPOINT:N specs), all or none; "clear" drops every pending fault;
// "list" changes nothing. Every action answers a FaultsResponse.
type FaultsRequest struct {
	Action     string   `json:"action"`
	Faults     []string `json:"faults,omitempty"`
	Deliveries []string `json:"deliveries,omitempty"`
}

// FaultsResponse lists the pending faults as specs, with their counts
// left, or says why a request was refused.
type FaultsResponse struct {
	Faults     []string `json:"faults"`
	Deliveries []string `json:"deliveries"`
	Error      string   `json:"error,omitempty"`
}

// maxFaultsBody bounds a FaultsRequest: a few specs, not a payload.
const maxFaultsBody = 64 << 10

func (c *Cloud) serveFaults(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		c.writeFaults(w, http.StatusOK, "")
		return
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		c.writeFaults(w, http.StatusMethodNotAllowed, "localcloud faults: use GET to list, POST to change")
		return
	}
	var req FaultsRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxFaultsBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		c.writeFaults(w, http.StatusBadRequest, fmt.Sprintf("localcloud faults: read request: %v", err))
		return
	}
	if err := c.applyFaultsRequest(req); err != nil {
		c.writeFaults(w, http.StatusBadRequest, "localcloud faults: "+err.Error())
		return
	}
	c.writeFaults(w, http.StatusOK, "")
}

func (c *Cloud) applyFaultsRequest(req FaultsRequest) error {
	switch req.Action {
	case "list":
		return nil
	case "clear":
		c.ClearFaults()
		return nil
	case "add":
	default:
		return fmt.Errorf("action %q: want add, clear or list", req.Action)
	}
	var set faults.Set
	var errs []error
	for _, spec := range req.Faults {
		f, err := faults.Parse(spec)
		errs = append(errs, err)
		set.Faults = append(set.Faults, f)
	}
	for _, spec := range req.Deliveries {
		d, err := faults.ParseDelivery(spec)
		errs = append(errs, err)
		set.Deliveries = append(set.Deliveries, d)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if set.Empty() {
		return errors.New(`add: give "faults" (SERVICE:Operation:Code:N) or "deliveries" (ENDPOINT:N)`)
	}
	return c.InjectFaults(set)
}

func (c *Cloud) writeFaults(w http.ResponseWriter, status int, msg string) {
	set := c.Faults()
	resp := FaultsResponse{Faults: make([]string, 0, len(set.Faults)), Deliveries: make([]string, 0, len(set.Deliveries)), Error: msg}
	for _, f := range set.Faults {
		resp.Faults = append(resp.Faults, f.String())
	}
	for _, d := range set.Deliveries {
		resp.Deliveries = append(resp.Deliveries, d.String())
	}
	body, _ := json.Marshal(resp)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(body, '\n')) //nolint:errcheck // the client went away
}
