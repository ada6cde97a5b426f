{{/* The chart's name. */}}
{{- define "matchmaker.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The release's full name (63 characters at most, DNS names being limited);
the release name alone when it already holds the chart's name.
*/}}
{{- define "matchmaker.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "matchmaker.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The components that run as Deployments, in one place. */}}
{{- define "matchmaker.components" -}}
intake matcher notifier
{{- end }}

{{/* Labels of every object; `component` names the part (intake, ...). */}}
{{- define "matchmaker.labels" -}}
helm.sh/chart: {{ include "matchmaker.chart" .root }}
{{ include "matchmaker.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: matchmaker
{{- end }}

{{- define "matchmaker.selectorLabels" -}}
app.kubernetes.io/name: {{ include "matchmaker.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end }}

{{- define "matchmaker.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "matchmaker.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "matchmaker.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* The Secret the pods read: the company's own, or the chart's. */}}
{{- define "matchmaker.secretName" -}}
{{- .Values.existingSecret | default (include "matchmaker.fullname" .) }}
{{- end }}

{{/* intake's own secrets (CALENDAR_KEY): read by no other pod. */}}
{{- define "matchmaker.intakeSecretName" -}}
{{- .Values.existingIntakeSecret | default (printf "%s-intake" (include "matchmaker.fullname" .)) }}
{{- end }}

{{/*
A value as the services read it: YAML's booleans are the settings' on and
off; whole numbers stay whole (YAML numbers reach templates as floats).
*/}}
{{- define "matchmaker.text" -}}
{{- if kindIs "bool" . }}{{ ternary "on" "off" . }}
{{- else if and (kindIs "float64" .) (eq (. | int64 | float64) .) }}{{ . | int64 }}
{{- else }}{{ . }}
{{- end }}
{{- end }}

{{/* Names that only secrets have: they belong in the Secret. */}}
{{- define "matchmaker.refuseSecrets" -}}
{{- range $name, $_ := .settings }}
{{- if or (has $name (list "SECRET_KEY" "DATABASE_URL" "API_TOKENS")) (regexMatch "PASSWORD|TOKEN|SECRET" $name) }}
{{- fail (printf "%s.%s is a secret: give it in `secrets` (or existingSecret), never in a ConfigMap" $.where $name) }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Every setting of the ConfigMap, as YAML (variable: "text"): what the chart
derives from its structured values, then `settings`. Fails on a missing
required value and on a secret given as a setting.
*/}}
{{- define "matchmaker.settings" -}}
{{- $v := .Values }}
{{- include "matchmaker.refuseSecrets" (dict "settings" $v.settings "where" "settings") }}
{{- $derived := dict
  "BIND_HOST" "0.0.0.0"
  "INTAKE_PORT" $v.intake.port
  "MATCHER_PORT" $v.matcher.port
  "NOTIFIER_PORT" $v.notifier.port
  "KAFKA_BOOTSTRAP_SERVERS" (required "kafka.bootstrapServers is required (host:port,...)" $v.kafka.bootstrapServers)
  "KAFKA_SECURITY_PROTOCOL" $v.kafka.securityProtocol
  "TOPIC_PARTITIONS" $v.kafka.topics.partitions
  "TOPIC_REPLICATION" $v.kafka.topics.replication
  "SMTP_PORT" $v.smtp.port
  "SMTP_SECURITY" $v.smtp.security
  "MAIL_FROM" $v.smtp.from
  "PUBLIC_BASE_URL" $v.publicBaseUrl
}}
{{- with $v.smtp.host }}{{ $_ := set $derived "SMTP_HOST" . }}{{ end }}
{{- with $v.smtp.user }}{{ $_ := set $derived "SMTP_USER" . }}{{ end }}
{{- if hasPrefix "SASL_" $v.kafka.securityProtocol }}
{{- $_ := set $derived "KAFKA_SASL_MECHANISM" $v.kafka.saslMechanism }}
{{- $_ := set $derived "KAFKA_SASL_USERNAME" (required "kafka.saslUsername is required with a SASL_ protocol" $v.kafka.saslUsername) }}
{{- end }}
{{- if and (hasSuffix "SSL" $v.kafka.securityProtocol) $v.kafka.tls.secret }}
{{- with $v.kafka.tls.caKey }}{{ $_ := set $derived "KAFKA_SSL_CAFILE" (printf "/etc/matchmaker/kafka/%s" .) }}{{ end }}
{{- with $v.kafka.tls.certKey }}{{ $_ := set $derived "KAFKA_SSL_CERTFILE" (printf "/etc/matchmaker/kafka/%s" .) }}{{ end }}
{{- with $v.kafka.tls.keyKey }}{{ $_ := set $derived "KAFKA_SSL_KEYFILE" (printf "/etc/matchmaker/kafka/%s" .) }}{{ end }}
{{- end }}
{{- if $v.sites }}{{ $_ := set $derived "SITES_FILE" "/etc/matchmaker/data/sites.yaml" }}{{ end }}
{{- if $v.fields }}{{ $_ := set $derived "FIELDS_FILE" "/etc/matchmaker/data/fields.yaml" }}{{ end }}
{{- range $name, $_ := $v.settings }}
{{- if hasKey $derived $name }}
{{- fail (printf "settings.%s is set by the chart from its own values (kafka, smtp, publicBaseUrl, the components' ports, sites, fields): change those" $name) }}
{{- end }}
{{- end }}
{{- $all := merge (deepCopy $v.settings) $derived }}
{{- if not $all.AUTH_MODE }}
{{- fail "settings.AUTH_MODE is required: proxy, behind the company's SSO proxy" }}
{{- end }}
{{- range $name := keys $all | sortAlpha }}
{{ $name }}: {{ include "matchmaker.text" (index $all $name) | quote }}
{{- end }}
{{- end }}

{{/* The secrets the chart makes, as YAML (variable: "text"), non-empty only. */}}
{{- define "matchmaker.secretData" -}}
{{- $s := .Values.secrets }}
{{- $_ := required "secrets.SECRET_KEY is required (or name an existingSecret)" $s.SECRET_KEY }}
{{- $_ := required "secrets.DATABASE_URL is required (or name an existingSecret)" $s.DATABASE_URL }}
{{- range $name := keys $s | sortAlpha }}
{{- with index $s $name }}
{{ $name }}: {{ include "matchmaker.text" . | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* Volumes of every pod: /tmp, the certificates, the company's files. */}}
{{- define "matchmaker.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- if .Values.kafka.tls.secret }}
- name: kafka-tls
  secret:
    secretName: {{ .Values.kafka.tls.secret }}
    defaultMode: 288  # 0440: owner and group (fsGroup) read
{{- end }}
{{- if .Values.postgresql.tlsSecret }}
- name: postgresql-tls
  secret:
    secretName: {{ .Values.postgresql.tlsSecret }}
    defaultMode: 288  # 0440: owner and group (fsGroup) read
{{- end }}
{{- if and (not .migration) (or .Values.sites .Values.fields) }}
- name: data
  configMap:
    name: {{ include "matchmaker.fullname" . }}-data
{{- end }}
{{- end }}

{{- define "matchmaker.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.kafka.tls.secret }}
- name: kafka-tls
  mountPath: /etc/matchmaker/kafka
  readOnly: true
{{- end }}
{{- if .Values.postgresql.tlsSecret }}
- name: postgresql-tls
  mountPath: /etc/matchmaker/postgresql
  readOnly: true
{{- end }}
{{- if and (not .migration) (or .Values.sites .Values.fields) }}
- name: data
  mountPath: /etc/matchmaker/data
  readOnly: true
{{- end }}
{{- end }}
