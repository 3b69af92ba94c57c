{{/* Chart name, truncated to the 63 characters a label value allows. */}}
{{- define "eco.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Full name: <release>-<chart>, or the release name when it already contains the chart name. */}}
{{- define "eco.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "eco.selectorLabels" -}}
app.kubernetes.io/name: {{ include "eco.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "eco.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "eco.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "eco.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "eco.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "eco.leaseName" -}}
{{- default (include "eco.fullname" .) .Values.leaderElection.leaseName -}}
{{- end -}}

{{/* defaultSource.endpoints as a list: `--set defaultSource.endpoints=a:2379,b:2379` gives a string. */}}
{{- define "eco.endpoints" -}}
{{- $e := .Values.defaultSource.endpoints -}}
{{- if kindIs "string" $e -}}
{{- toJson (splitList "," $e | compact) -}}
{{- else -}}
{{- toJson (default (list) $e) -}}
{{- end -}}
{{- end -}}

{{/*
A duration of values.schema.json's form (1m30s, 10s, 500ms, 1.5h) in milliseconds, as a number.
*/}}
{{- define "etcd-config-operator.durationMs" -}}
{{- $total := 0.0 -}}
{{- $units := dict "ms" 1.0 "s" 1000.0 "m" 60000.0 "h" 3600000.0 -}}
{{- range regexFindAll "[0-9]+(\\.[0-9]+)?(ms|s|m|h)" (toString .) -1 -}}
{{- $unit := regexFind "(ms|s|m|h)$" . -}}
{{- $total = addf $total (mulf (float64 (trimSuffix $unit .)) (get $units $unit)) -}}
{{- end -}}
{{- $total -}}
{{- end }}

{{/*
The V8 heap limit in MiB: heapPercentOfMemoryLimit of resources.limits.memory (in Mi or Gi); empty when
either is unset, so that Node sizes its heap itself.
*/}}
{{- define "eco.heapLimitMiB" -}}
{{- $limit := toString (dig "limits" "memory" "" (.Values.resources | default dict)) -}}
{{- $percent := int (.Values.heapPercentOfMemoryLimit | default 0) -}}
{{- $mib := 0 -}}
{{- if hasSuffix "Gi" $limit -}}
{{- $mib = mul (atoi (trimSuffix "Gi" $limit)) 1024 -}}
{{- else if hasSuffix "Mi" $limit -}}
{{- $mib = atoi (trimSuffix "Mi" $limit) -}}
{{- end -}}
{{- if and (gt $percent 0) (gt (int $mib) 0) -}}
{{- div (mul $mib $percent) 100 -}}
{{- end -}}
{{- end -}}
