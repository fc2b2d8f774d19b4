// Package sim is a trace-driven discrete-event simulator of Heroku routing. It
// replays requests (when each arrived, how long it keeps a worker busy)
// against a chosen number of dynos, workers per dyno and routing policy, and
// measures how long requests wait in the dynos' backlogs. It answers "how many
// dynos do we need?" and "would smarter routing help?" for real traffic,
// bursts and slow endpoints included, where averages (Little's law) cannot.
//
// # The model
//
// There are Dynos dynos, each serving up to Workers requests at once (Puma or
// Unicorn processes/threads, gunicorn workers, ...). A request that finds all
// of its dyno's workers busy waits in that dyno's first-in, first-out backlog.
// Workers are identical and independent: a request takes App microseconds of
// worker time whatever else the dyno is doing. The router picks a dyno the
// moment a request arrives and never moves it afterwards:
//
//   - Random: a dyno chosen uniformly at random, which is what Heroku's router
//     does. A request can queue behind a slow one while another dyno idles.
//   - LeastConn: the dyno with the fewest requests in flight (in service plus
//     queued), lowest-numbered on ties.
//   - SlowFast: requests flagged Slow go to a pool of SlowDynos dynos, the
//     rest to the other dynos, so slow endpoints cannot hold up fast ones;
//     within a pool Random or LeastConn.
//   - Pooled: not a router Heroku has, but the bound none can beat: one queue
//     shared by all workers, a request starting as soon as any is free.
//
// Scale compresses the gaps between arrivals (2 = twice the traffic in the
// same pattern) while app times stay the same. Runs are deterministic: the
// router's random choices come from Seed.
//
// A request's queue wait is the time from arriving to a worker picking it up;
// its total is wait plus app time, what the router logs as service. A total
// over Timeout (30 s) is counted as a timeout, Heroku's H12, but the request
// still holds its worker until done, as it does on Heroku. Quantiles are exact
// (every wait is kept and sorted), in milliseconds.
//
// The model leaves out: router connect time and network; H11 backlog-too-deep
// and H13/H18 rejections; dyno restarts, boot time, autoscaling and
// preboot; requests whose duration depends on load (database or CPU
// contention, the Ruby GVL across threads, swapping): each request's app time
// is replayed as observed. Under LeastConn the router's view of in-flight
// requests is exact and instant; real routers see it late and routers on
// several nodes each see only their share.
//
// For Poisson arrivals and exponential app times the simulator agrees with
// queueing theory: Random is one M/M/C queue per dyno fed λ/N, Pooled is
// M/M/(N·C) (ErlangCWait gives their mean waits). LeastConn lies between the
// two and is not M/M/(N·C): a request queued behind a long one stays there.
//
// # App time from Heroku logs
//
// Heroku's router logs connect= and service= for each request. service runs
// from the router handing the request to the dyno to the response, so it
// includes any time the request sat in the dyno's backlog waiting for a
// worker. Replaying service as app time would count that queueing twice and
// overstate the dynos needed. DeQueue takes the queueing out:
//
//   - A request reached its dyno at End − service, where End is the router
//     line's timestamp (written when the request is done), and the router got
//     it connect earlier still.
//   - Per dyno, requests are replayed in the order they reached it through
//     Workers FIFO workers. Each worker comes free at the observed end of the
//     last request it served, so a request started at the later of reaching
//     the dyno and the earliest such moment, and its app time is End minus
//     that start.
//   - service= is in whole milliseconds, so the order of requests reaching a
//     dyno less than 1 ms apart is in doubt; they are replayed in the order
//     they finished. With one worker per dyno that is exactly the FIFO order
//     and every estimate is within a millisecond. With several, two such
//     requests can swap app times, which leaves the distribution of app times
//     (what the simulation uses) within a few percent in the package's tests.
//   - Estimates below a floor (say 1 ms) are raised to it, never above
//     service: service itself is the upper bound, the "app ≈ service" estimate
//     of a dyno that never queues.
//
// The estimate is exact when the dyno really is one FIFO queue in front of
// Workers independent workers and the log is complete. Its limits:
//
//   - Pass the dyno's real concurrency (for Puma, processes × threads). Too
//     few workers overstates queueing and shrinks app times; too many finds
//     no queue at all and leaves app = service.
//   - Threads of one Ruby or Python process share a lock (the GVL or GIL),
//     so their app times stretch when several run at once; the estimate
//     keeps that stretch, and the simulation replays it even at loads where
//     it would not happen. A server that does not take requests in order
//     gives estimates below zero, which the floor hides.
//   - Lines lost by Logplex (L10) hide requests that kept a worker busy.
//   - An H12 line is written at 30 s, not when the dyno finished, so
//     timed-out requests are understated.
//   - Requests that never reached a dyno (no dyno=) must be left out.
//
// Flag requests Slow from what the router could know before routing, such as
// the path. Flagging by app time asks for a router that sees the future and
// overstates what SlowFast gains.
package sim
