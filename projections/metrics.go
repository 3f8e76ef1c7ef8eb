package projections

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metric names, all labelled by projector.
const (
	metricUp       = "supportd_projector_up"
	metricFailures = "supportd_projector_failures_total"
	metricEvents   = "supportd_projector_events_total"
	metricLagEv    = "supportd_projector_lag_events"
	metricLagMs    = "supportd_projector_lag_milliseconds"
	metricStopped  = "supportd_projector_stopped_info"
)

// collector reports the Runner's projectors at scrape time, so the gauges
// always agree with Health.
type collector struct {
	r *Runner

	up, lagEvents, lagMs, stopped *prometheus.Desc
	failures, events              *prometheus.CounterVec
}

func newCollector(r *Runner) *collector {
	labels := []string{"projector"}
	return &collector{
		r:         r,
		up:        prometheus.NewDesc(metricUp, "1 while the projector consumes the log, 0 once it stopped after an event kept failing.", labels, nil),
		lagEvents: prometheus.NewDesc(metricLagEv, "Events in the global log after the projector's checkpoint.", labels, nil),
		lagMs:     prometheus.NewDesc(metricLagMs, "How long ago the oldest event not yet applied by the projector was recorded; 0 when it is caught up.", labels, nil),
		stopped: prometheus.NewDesc(metricStopped, "1 for a stopped projector, naming its checkpoint and the event it could not apply.",
			[]string{"projector", "checkpoint", "failed_at", "failed_type"}, nil),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricFailures,
			Help: "Failed attempts to apply an event, and batches that could not be read or committed.",
		}, labels),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricEvents,
			Help: "Events of the types the projector declares, applied and committed.",
		}, labels),
	}
}

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.up
	ch <- c.lagEvents
	ch <- c.lagMs
	ch <- c.stopped
	c.failures.Describe(ch)
	c.events.Describe(ch)
}

// Collect implements prometheus.Collector.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.r.Health() {
		up := 1.0
		if s.State == StateStopped {
			up = 0
			ch <- prometheus.MustNewConstMetric(c.stopped, prometheus.GaugeValue, 1, s.Name,
				s.Checkpoint.String(), s.FailedAt.String(), s.FailedType)
		}
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up, s.Name)
		ch <- prometheus.MustNewConstMetric(c.lagEvents, prometheus.GaugeValue, float64(s.EventsBehind), s.Name)
		ch <- prometheus.MustNewConstMetric(c.lagMs, prometheus.GaugeValue, float64(s.Behind.Milliseconds()), s.Name)
	}
	c.failures.Collect(ch)
	c.events.Collect(ch)
}
