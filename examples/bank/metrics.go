package main

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventchain/eventchain/examples/internal/bank"
)

var requestsDesc = prometheus.NewDesc("eventchain_bank_requests_total", "HTTP requests the bank answered, by status code.", []string{"code"}, nil)

// requestsCollector exports bank.Requests as a counter by status code.
type requestsCollector struct{ b *bank.Bank }

func (requestsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- requestsDesc }

func (c requestsCollector) Collect(ch chan<- prometheus.Metric) {
	for code, n := range c.b.Requests() {
		ch <- prometheus.MustNewConstMetric(requestsDesc, prometheus.CounterValue, float64(n), strconv.Itoa(code))
	}
}
