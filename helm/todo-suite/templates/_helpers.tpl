{{/* Names and labels. */}}
{{- define "todo.name" -}}{{ .Chart.Name }}{{- end -}}

{{- define "todo.labels" -}}
app.kubernetes.io/part-of: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "name" "task-service") */}}
{{- define "todo.selector" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{/* A service's image. */}}
{{- define "todo.image" -}}
{{- $v := .root.Values.image -}}
{{- printf "%s%s/%s:%s" $v.registry $v.repository .name (default .root.Chart.AppVersion $v.tag) -}}
{{- end -}}

{{/* One setting of a service: its own, else the chart-wide one.
     (dict "root" $ "svc" $svc "key" "replicas") */}}
{{- define "todo.pick" -}}
{{- if hasKey .svc .key -}}{{ toYaml (index .svc .key) }}{{- else -}}{{ toYaml (index .root.Values .key) }}{{- end -}}
{{- end -}}

{{/* Store addresses: the values, else the in-cluster dev dependencies. */}}
{{- define "todo.kafkaBrokers" -}}
{{- if .Values.kafka.brokers -}}{{ .Values.kafka.brokers }}
{{- else if .Values.devDependencies.enabled -}}{{ printf "%s-kafka:9092" .Release.Name }}
{{- else -}}{{ fail "kafka.brokers is required unless devDependencies.enabled" }}{{- end -}}
{{- end -}}
{{- define "todo.redisHost" -}}
{{- if .Values.redis.host -}}{{ .Values.redis.host }}
{{- else if .Values.devDependencies.enabled -}}{{ printf "%s-redis" .Release.Name }}
{{- else -}}{{ fail "redis.host is required unless devDependencies.enabled" }}{{- end -}}
{{- end -}}
{{- define "todo.postgresHost" -}}
{{- if .Values.postgres.host -}}{{ .Values.postgres.host }}
{{- else if .Values.devDependencies.enabled -}}{{ printf "%s-postgres" .Release.Name }}
{{- else if not .Values.secrets.existingSecret -}}{{ fail "postgres.host or secrets.existingSecret is required unless devDependencies.enabled" }}{{- end -}}
{{- end -}}

{{/* Secret names. */}}
{{- define "todo.pgSecret" -}}{{ printf "%s-postgres" .Release.Name }}{{- end -}}
{{- define "todo.tokenSecret" -}}{{ printf "%s-%s-%s" .root.Release.Name .name .kind }}{{- end -}}

{{/* A Secret made once with a random value and kept across upgrades
     (lookup reads the stored one). (dict "root" $ "name" N "key" K "length" L) */}}
{{- define "todo.randomSecret" -}}
{{- $old := lookup "v1" "Secret" .root.Release.Namespace .name -}}
apiVersion: v1
kind: Secret
metadata:
  name: {{ .name }}
  labels:
    {{- include "todo.labels" .root | nindent 4 }}
  annotations:
    helm.sh/resource-policy: keep
type: Opaque
data:
  {{- if and $old $old.data (hasKey $old.data .key) }}
  {{ .key }}: {{ index $old.data .key }}
  {{- else }}
  {{ .key }}: {{ randAlphaNum (int .length) | b64enc }}
  {{- end }}
{{- end -}}

{{/* The pod security context every pod of ours runs with. */}}
{{- define "todo.podSecurity" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .uid }}
fsGroup: {{ .uid }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}
{{- define "todo.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop: [ALL]
{{- end -}}

{{/* A NetworkPolicy egress rule to a store: the in-cluster dev one by
     label, else the managed ones by address. */}}
{{- define "todo.storePeer" -}}
{{- /* (dict "root" $ "name" "postgres" "port" 5432) */ -}}
{{- if .root.Values.devDependencies.enabled }}
- to:
    - podSelector:
        matchLabels: {app.kubernetes.io/name: {{ .name }}, app.kubernetes.io/instance: {{ .root.Release.Name }}}
  ports: [{protocol: TCP, port: {{ .port }}}]
{{- else if .root.Values.externalStores.cidrs }}
- to:
    {{- range .root.Values.externalStores.cidrs }}
    - ipBlock: {cidr: {{ . }}}
    {{- end }}
  ports: [{protocol: TCP, port: {{ .port }}}]
{{- end }}
{{- end -}}

{{/* One Dapr component metadata item from an override: a string value, or
     {secretKeyRef: {name, key}}. (dict "name" N "v" V) */}}
{{- define "todo.metaItem" -}}
name: {{ .name }}
{{- if kindIs "map" .v }}
secretKeyRef: {{ toJson .v.secretKeyRef }}
{{- else }}
value: {{ toString .v | quote }}
{{- end }}
{{- end -}}

{{/* The shared Dapr Configuration's spec (dapr.config, from
     dapr-components/config/), without its local name resolution. */}}
{{- define "todo.sharedConfigSpec" -}}
{{- range $path, $_ := .Files.Glob "dapr-components/config/*.yaml" }}
{{- $doc := $.Files.Get $path | fromYaml }}
{{- if eq $doc.metadata.name $.Values.dapr.config }}
{{- toYaml (omit $doc.spec "nameResolution") }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The Configuration an app's sidecar runs with: services.<app>.daprConfig,
     else its own (dapr-components/config/<app>.yaml) when there is one,
     else the shared one. (dict "root" $ "name" N "svc" S) */}}
{{- define "todo.daprConfig" -}}
{{- $own := .root.Files.Get (printf "dapr-components/config/%s.yaml" .name) -}}
{{- if .svc.daprConfig -}}{{ .svc.daprConfig }}
{{- else if $own -}}{{ ($own | fromYaml).metadata.name }}
{{- else -}}{{ .root.Values.dapr.config }}{{- end -}}
{{- end -}}

{{/* An app's own Dapr Configuration (dapr-components/config/<app>.yaml) as
     a map, empty when it has none. (dict "root" $ "name" N) */}}
{{- define "todo.ownConfig" -}}
{{- with .root.Files.Get (printf "dapr-components/config/%s.yaml" .name) }}{{ . }}{{ else }}{}{{ end }}
{{- end -}}

{{/* The app ids that may invoke an app by its own Configuration's access
     control (one policy per calling app), as {"callers": [...]}; "any"
     when the Configuration lets anyone (no deny-by-default access
     control). (dict "root" $ "name" N) */}}
{{- define "todo.allowedCallers" -}}
{{- $ac := (include "todo.ownConfig" . | fromYaml).spec | default dict -}}
{{- $ac = $ac.accessControl | default dict -}}
{{- if ne ($ac.defaultAction | default "allow") "deny" -}}any
{{- else -}}
{{- $callers := list -}}
{{- range $ac.policies | default list }}{{ $callers = append $callers .appId }}{{ end -}}
{{- toJson (dict "callers" (sortAlpha $callers)) -}}
{{- end -}}
{{- end -}}

{{/* The secrets an app's sidecar may read by its own Configuration
     (secrets.scopes[].allowedSecrets), as {"secrets": [...]}. */}}
{{- define "todo.allowedSecrets" -}}
{{- $sec := (include "todo.ownConfig" . | fromYaml).spec | default dict -}}
{{- $names := list -}}
{{- range ($sec.secrets | default dict).scopes | default list }}{{ $names = concat $names (.allowedSecrets | default list) }}{{ end -}}
{{- toJson (dict "secrets" ($names | uniq | sortAlpha)) -}}
{{- end -}}

{{/* "true" when the app loads a component of this type from
     dapr-components/ (one with no scopes, or scoped to the app): its
     sidecar then reaches that component's store. (dict "root" $ "name" N
     "type" "pubsub.kafka") */}}
{{- define "todo.loads" -}}
{{- $found := false -}}
{{- range $path, $_ := .root.Files.Glob "dapr-components/*.yaml" -}}
{{- $doc := $.root.Files.Get $path | fromYaml -}}
{{- if and (eq $doc.kind "Component") (eq $doc.spec.type $.type) (or (not $doc.scopes) (has $.name $doc.scopes)) -}}
{{- $found = true -}}
{{- end -}}
{{- end -}}
{{- if $found }}true{{ end -}}
{{- end -}}

{{/* "true" when a service's pod reaches a store: Postgres if it uses it;
     Redis if it uses it or its sidecar loads the Redis state store; Kafka
     if its sidecar loads the Kafka pub/sub. (dict "root" $ "name" N "svc" S
     "store" "redis") */}}
{{- define "todo.reaches" -}}
{{- if eq .store "postgres" -}}{{ if has "postgres" .svc.uses }}true{{ end }}
{{- else if eq .store "redis" -}}{{ if or (has "redis" .svc.uses) (include "todo.loads" (dict "root" .root "name" .name "type" "state.redis")) }}true{{ end }}
{{- else if eq .store "kafka" -}}{{ include "todo.loads" (dict "root" .root "name" .name "type" "pubsub.kafka") }}
{{- end -}}
{{- end -}}

{{/* The sidecar's environment (dapr.io/env): GOGC from values, and
     GOMEMLIMIT at 80% of its memory limit. */}}
{{- define "todo.sidecarEnv" -}}
{{- $s := .Values.dapr.sidecar -}}
{{- $unit := regexFind "(Ki|Mi|Gi)$" $s.memoryLimit -}}
{{- $kib := mul (trimSuffix $unit $s.memoryLimit | atoi) (get (dict "Ki" 1 "Mi" 1024 "Gi" 1048576) $unit) -}}
GOGC={{ $s.goGC }},GOMEMLIMIT={{ div (mul $kib 4) 5 }}KiB
{{- end -}}
