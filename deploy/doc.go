// Package deploy holds the example deployment: apphost.yaml and, in one
// folder per target, the files `apphost gen` writes from it. Its tests
// regenerate every file and fail when one differs from what is committed.
// prometheus/ (scrape configuration, alerting rules) and grafana/ (a
// dashboard) are written by hand; tests/prometheus checks them against a
// real Prometheus scraping apphost.
package deploy
