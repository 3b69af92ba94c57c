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
