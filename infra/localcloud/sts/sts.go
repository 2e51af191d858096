package sts

import (
	"context"
	"net/http"

	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
	"github.com/eventchain/eventchain/infra/localcloud/stats"
)

// Namespace is the XML namespace of every STS response.
const Namespace = "https://sts.amazonaws.com/doc/2011-06-15/"

// Options configures the service.
type Options struct {
	AccountID string
	Region    string
}

// Service is the emulated STS. It is safe for concurrent use.
type Service struct {
	account  awsproto.Account
	counters stats.Counters
	wire     *awsproto.Service
	router   *awsproto.Router
}

// New creates the service.
func New(opts Options) *Service {
	s := &Service{account: awsproto.Account{ID: opts.AccountID, Region: opts.Region}.OrDefault()}
	s.wire = &awsproto.Service{
		Name:      "sts",
		Protocols: []awsproto.Protocol{awsproto.Query{Version: "2011-06-15", Namespace: Namespace}},
		Counters:  &s.counters,
		Ops: []awsproto.Operation{
			awsproto.Op("GetCallerIdentity", s.getCallerIdentity),
		},
	}
	s.router = awsproto.NewRouter(awsproto.Limits{}, s.wire)
	return s
}

// ServeHTTP answers one API request.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

// API is the service's declaration to the wire layer.
func (s *Service) API() *awsproto.Service { return s.wire }

// Counters returns the service's counters.
func (s *Service) Counters() *stats.Counters { return &s.counters }

type callerIdentityInput struct{}

func (*callerIdentityInput) FromQuery(awsproto.Form) *awsproto.Error { return nil }

type callerIdentityOutput struct {
	Arn     string `xml:"Arn"`
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
}

// getCallerIdentity answers for the account's root user, whose user id
// is the account id, as AWS does for root credentials.
func (s *Service) getCallerIdentity(context.Context, *callerIdentityInput) (*callerIdentityOutput, *awsproto.Error) {
	return &callerIdentityOutput{Arn: "arn:aws:iam::" + s.account.ID + ":root", UserID: s.account.ID, Account: s.account.ID}, nil
}
