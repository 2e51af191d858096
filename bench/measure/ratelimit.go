package measure

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/eventchain/eventchain/infra/local"
	"github.com/eventchain/eventchain/infra/local/localtest"
	"github.com/eventchain/eventchain/infra/localcloud"
	"github.com/eventchain/eventchain/internal/event"
)

// Goals of the rate-limit run (the "Prove it").
const (
	UtilisationGoal = 0.95
	ThrottledGoal   = 0.01
)

// RateLimitOptions configures the rate-limit run.
type RateLimitOptions struct {
	Template string
	// Limit is EC2's rate (calls per second), and the pipeline's
	// LaunchRatePerSecond; Concurrency is LauncherConcurrency and the
	// bucket's burst.
	Limit       float64
	Concurrency int
	Launches    int
	// SampleEvery is the step of the series (100 ms).
	SampleEvery time.Duration
	// Timeout bounds each design's run.
	Timeout time.Duration
}

// RateLimit runs the pipeline, then the naive design, against an EC2
// limited to Limit calls per second with a bucket of Concurrency.
func RateLimit(ctx context.Context, o RateLimitOptions) (*RateLimitResult, error) {
	if o.Limit <= 0 || o.Concurrency < 2 || o.Launches < 1 {
		return nil, fmt.Errorf("rate limit run: want a positive limit, a concurrency of at least 2 (the template's minimum) and launches, got %v, %d, %d", o.Limit, o.Concurrency, o.Launches)
	}
	res := &RateLimitResult{
		LimitPerSecond: o.Limit, Burst: o.Concurrency, LauncherConcurrency: o.Concurrency,
		Launches: o.Launches, SampleEveryMs: float64(o.SampleEvery) / float64(time.Millisecond),
	}
	var err error
	if res.Pipeline, err = ratePipeline(ctx, o); err != nil {
		return nil, fmt.Errorf("rate limit run, pipeline: %w", err)
	}
	if res.Naive, err = rateNaive(ctx, o); err != nil {
		return nil, fmt.Errorf("rate limit run, naive design: %w", err)
	}
	p := res.Pipeline
	res.UtilisationGoal = Goal{Want: fmt.Sprintf("≥ %.2f", UtilisationGoal), Met: p.Utilisation >= UtilisationGoal}
	res.ThrottledGoal = Goal{Want: fmt.Sprintf("≤ %.0f %% of calls", ThrottledGoal*100), Met: p.ThrottledShare <= ThrottledGoal}
	res.FailuresGoal = Goal{Want: "0 failed, 0 dead letters, 0 lost", Met: p.FailedRequests == 0 && p.DeadLetters == 0 && p.Lost == 0}
	return res, nil
}

// ratePipeline posts every launch at once to the local mode, whose
// launcher paces itself at Limit, and reads RunInstances at the emulator
// until every launch has succeeded; then it counts where each request
// ended.
func ratePipeline(ctx context.Context, o RateLimitOptions) (_ DesignRun, err error) {
	run := DesignRun{Design: "pipeline", Launches: o.Launches}
	r, err := startLocal(ctx, local.Options{
		Template:     o.Template,
		EC2RateLimit: o.Limit,
		EC2Burst:     o.Concurrency,
	}, map[string]string{
		"LaunchRatePerSecond": strconv.FormatFloat(o.Limit, 'f', -1, 64),
		"LauncherConcurrency": strconv.Itoa(o.Concurrency),
	})
	if err != nil {
		return run, err
	}
	defer closeInto(&err, "the local mode", r.Close)

	counters := r.Cloud.EC2.Counters()
	describe := counters.Op("DescribeInstances")
	describeCalls, describeThrottled := describe.Calls.Load(), describe.Throttled.Load()
	// The sampler runs before the POSTs: the launcher may call EC2 while
	// the API is still answering.
	s := startSampler(counters.Op("RunInstances"))
	ids, err := postAtOnce(ctx, httpClient(time.Minute), r.APIURL(), o.Launches)
	if err != nil {
		s.stop()
		return run, err
	}
	waitErr := waitFor(ctx, o.Timeout, func() bool { return s.succeeded() >= int64(len(ids)) })
	points := s.stop()
	run.OtherEC2Calls = describe.Calls.Load() - describeCalls
	run.OtherEC2Throttled = describe.Throttled.Load() - describeThrottled
	if waitErr != nil {
		return run, fmt.Errorf("%d of %d launches after %s: %w", s.succeeded(), len(ids), o.Timeout, waitErr)
	}
	fillRun(&run, summarize(points, o.Concurrency, o.SampleEvery), o.Limit)

	out, err := settleAndAudit(ctx, r, ids, o.Timeout)
	if err != nil {
		return run, err
	}
	run.FailedRequests, run.DeadLetters, run.Lost = out.failed, out.deadLetters, out.lost
	return run, nil
}

// rateNaive is the design the project replaces: one goroutine per request,
// each calling RunInstances at once through one SDK client with the
// standard retryer (3 attempts, exponential backoff with jitter) and no
// pacer, against a fresh localcloud with the same limit. A call still
// failing after its retries is a failed request, which nobody else hears
// of.
func rateNaive(ctx context.Context, o RateLimitOptions) (_ DesignRun, err error) {
	run := DesignRun{Design: "naive", Launches: o.Launches}
	cloud, srv, l, err := localcloud.Listen("127.0.0.1:0", localcloud.Options{EC2RateLimit: o.Limit, EC2Burst: o.Concurrency})
	if err != nil {
		return run, fmt.Errorf("start localcloud: %w", err)
	}
	defer closeInto(&err, "localcloud", closeCloud(srv, cloud))
	// No Retryer in the configuration: the client gets the SDK's
	// standard one, as an application's default client does.
	client := ec2.NewFromConfig(localtest.Config("http://"+l.Addr().String(), localcloud.DefaultRegion))

	s := startSampler(cloud.EC2.Counters().Op("RunInstances"))
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed int
	)
	runCtx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	for range o.Launches {
		wg.Go(func() {
			id := event.NewID()
			tags := []ec2types.Tag{{Key: aws.String("request-id"), Value: aws.String(id)}}
			_, err := client.RunInstances(runCtx, &ec2.RunInstancesInput{
				ImageId:           aws.String("ami-0abcdef1234567890"),
				InstanceType:      ec2types.InstanceTypeT3Micro,
				MinCount:          aws.Int32(1),
				MaxCount:          aws.Int32(1),
				TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance, Tags: tags}},
			})
			if err != nil {
				mu.Lock()
				failed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	points := s.stop()
	if err := runCtx.Err(); err != nil {
		return run, fmt.Errorf("%d goroutines still calling after %s: %w", o.Launches, o.Timeout, err)
	}
	fillRun(&run, summarize(points, o.Concurrency, o.SampleEvery), o.Limit)
	run.FailedRequests = failed
	// Every goroutine has returned, so a launch is either at the emulator
	// or failed: none is lost in between.
	if int64(o.Launches)-run.Succeeded != int64(failed) {
		return run, fmt.Errorf("%d launches, %d succeeded at the emulator, %d failed in the goroutines: the counts disagree", o.Launches, run.Succeeded, failed)
	}
	return run, nil
}

func fillRun(run *DesignRun, s summary, limit float64) {
	run.Calls, run.Succeeded, run.Throttled = s.calls, s.succeeded, s.throttled
	if s.calls > 0 {
		run.ThrottledShare = float64(s.throttled) / float64(s.calls)
	}
	run.AchievedPerSecond = s.achieved
	run.AttemptedPerSecond = s.attempted
	run.Utilisation = s.achieved / limit
	run.Seconds = round3((s.last - s.first).Seconds())
	run.Series = s.series
}

// waitFor polls done every 10 ms until it holds, ctx ends or timeout
// passes.
func waitFor(ctx context.Context, timeout time.Duration, done func() bool) error {
	deadline := time.Now().Add(timeout)
	for !done() {
		if time.Now().After(deadline) {
			return errors.New("timed out")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}
