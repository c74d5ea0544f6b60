#!/usr/bin/env bash
# Builds Dapr Sentry (the certificate authority that gives each sidecar its
# mTLS identity) once from the same github.com/dapr/dapr module version as
# daprd, and caches it outside the repo. Prints the binary's path on stdout.
#
# Sentry 1.18.1 takes --healthz-listen-address and --metrics-listen-address
# but does not pass them on: its healthz and metrics servers listen on every
# interface. The suite listens on 127.0.0.1 only, so the copy it builds
# passes them on (the patch below; it fails the build if the code differs).
set -euo pipefail
. "$(dirname "$0")/dapr-build-lib.sh"

loopback_patch() {
  patch -s -d "$1" -p1 <<'PATCH'
--- a/cmd/sentry/app/app.go
+++ b/cmd/sentry/app/app.go
@@ -161,6 +161,7 @@
 			Enabled:   opts.Metrics.Enabled(),
 			Namespace: metrics.DefaultMetricNamespace,
 			Port:      opts.Metrics.Port(),
+			ListenAddress: opts.Metrics.ListenAddress(),
 			Healthz:   healthz,
 		})
 
@@ -185,6 +186,7 @@
 			healthzserver.New(healthzserver.Options{
 				Log:     log,
 				Port:    opts.HealthzPort,
+				ListenAddress: opts.HealthzListenAddress,
 				Healthz: healthz,
 			}).Start,
 			metricsExporter.Start,
--- a/pkg/healthz/server/server.go
+++ b/pkg/healthz/server/server.go
@@ -33,6 +33,8 @@
 type Options struct {
 	Healthz  healthz.Healthz
 	Port     int
+	// ListenAddress is the address to listen on; empty: every interface.
+	ListenAddress string
 	Log      logger.Logger
 	Handlers []Handler
 }
@@ -42,6 +44,7 @@
 	log     logger.Logger
 	mux     http.Handler
 	port    int
+	address string
 	htarget healthz.Target
 }
 
@@ -80,6 +83,7 @@
 	return &Server{
 		log:     opts.Log,
 		port:    opts.Port,
+		address: opts.ListenAddress,
 		mux:     mux,
 		htarget: opts.Healthz.AddTarget("healthz-server"),
 	}
@@ -87,7 +91,7 @@
 
 // Start starts a net/http server with a healthz endpoint.
 func (s *Server) Start(ctx context.Context) error {
-	ln, err := net.Listen("tcp", fmt.Sprintf(":%d", s.port))
+	ln, err := net.Listen("tcp", fmt.Sprintf("%s:%d", s.address, s.port))
 	if err != nil {
 		return err
 	}
PATCH
}
dapr_build "$CACHE/sentry/$DAPR_VERSION-loopback/sentry" ./cmd/sentry "" loopback_patch
