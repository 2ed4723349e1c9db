package keyserver

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the publish API's Prometheus series. They count outcomes and
// batch sizes only; nothing about a request's content.
type metrics struct {
	results   *prometheus.CounterVec
	batchSize prometheus.Histogram
	commit    prometheus.Histogram
	keys      prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		results: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bluezone_keyserver_publish_requests_total",
			Help: "Publish requests by result code (ok, chaff or an error code).",
		}, []string{"code"}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "bluezone_keyserver_commit_batch_requests",
			Help:    "Publish requests committed per group-commit transaction.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256},
		}),
		commit: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "bluezone_keyserver_commit_seconds",
			Help:    "Duration of group-commit transactions.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 12),
		}),
		keys: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "bluezone_keyserver_writer_keys",
			Help: "Stored keys the SQLite writer holds in memory to tell new keys from stored ones (0 on PostgreSQL).",
		}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.results, m.batchSize, m.commit, m.keys} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

func (m *metrics) result(code string) { m.results.WithLabelValues(code).Inc() }

func (m *metrics) observeBatch(n int, d time.Duration) {
	m.batchSize.Observe(float64(n))
	m.commit.Observe(d.Seconds())
}
