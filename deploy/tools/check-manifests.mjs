// Validates rendered Kubernetes manifests (`kubectl kustomize DIR > out.yaml`):
//   node deploy/tools/check-manifests.mjs out.yaml [more.yaml ...]
// For every object:
//   1. the JSON schema of its kind (kubernetes-models, @kubernetes-models/prometheus-operator:
//      types, required fields, formats);
//   2. TypeScript's check of the object against the same packages' interfaces (unknown
//      fields anywhere, built-in kinds and prometheus-operator's alike);
//   3. unknown fields again, from the Kubernetes OpenAPI field lists of
//      @kubernetes/client-node (built-in kinds);
// then AffectServe's own rules across objects (deploy/k8s/base/deployment.yaml's header):
// probes, grace period vs. preStop + drain timeout, non-root, read-only root filesystem,
// resources, and that Services, the HPA, the PDB and the ServiceMonitor point at the pods.
// Prints one line per problem; exit status 1 when there is any.
import fs from "node:fs";
import { createRequire } from "node:module";
import yaml from "js-yaml";
import { typecheck } from "./typecheck.mjs";

const require = createRequire(import.meta.url);
const clientModels = await import(require.resolve("@kubernetes/client-node/dist/gen/models/all.js"));

// apiVersion/kind -> the module of its model (default export class with validate()), the
// interface name, and the OpenAPI model of @kubernetes/client-node (built-in kinds only).
const KINDS = {
  "apps/v1/Deployment": ["kubernetes-models/apps/v1/Deployment", "IDeployment", "V1Deployment"],
  "v1/Service": ["kubernetes-models/v1/Service", "IService", "V1Service"],
  "v1/Namespace": ["kubernetes-models/v1/Namespace", "INamespace", "V1Namespace"],
  "v1/ConfigMap": ["kubernetes-models/v1/ConfigMap", "IConfigMap", "V1ConfigMap"],
  "policy/v1/PodDisruptionBudget": ["kubernetes-models/policy/v1/PodDisruptionBudget", "IPodDisruptionBudget", "V1PodDisruptionBudget"],
  "autoscaling/v2/HorizontalPodAutoscaler": ["kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler", "IHorizontalPodAutoscaler", "V2HorizontalPodAutoscaler"],
  "monitoring.coreos.com/v1/ServiceMonitor": ["@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor", "IServiceMonitor", null],
  "monitoring.coreos.com/v1/PrometheusRule": ["@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule", "IPrometheusRule", null],
};

const problems = [];
const problem = (where, message) => problems.push(`${where}: ${message}`);

// Walks `value` along client-node's attribute type maps; reports keys the API does not have.
function unknownFields(value, typeName, where) {
  if (value === null || value === undefined) return;
  const arrayMatch = /^Array<(.+)>$/.exec(typeName);
  if (arrayMatch) {
    if (Array.isArray(value)) value.forEach((item, i) => unknownFields(item, arrayMatch[1], `${where}[${i}]`));
    return;
  }
  const mapMatch = /^\{ \[key: string\]: (.+); \}$/.exec(typeName);
  if (mapMatch) {
    if (typeof value === "object") for (const [k, v] of Object.entries(value)) unknownFields(v, mapMatch[1], `${where}.${k}`);
    return;
  }
  const model = clientModels[typeName];
  if (!model || typeof model.getAttributeTypeMap !== "function" || typeof value !== "object") return;
  const fields = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  for (const [key, child] of Object.entries(value)) {
    if (!fields.has(key)) {
      problem(where, `unknown field '${key}' (${typeName} has: ${[...fields.keys()].join(", ")})`);
    } else {
      unknownFields(child, fields.get(key), `${where}.${key}`);
    }
  }
}

const objects = [];
for (const file of process.argv.slice(2)) {
  for (const doc of yaml.loadAll(fs.readFileSync(file, "utf8"))) {
    if (doc) objects.push(doc);
  }
}
if (objects.length === 0) problem("input", "no objects (give the rendered YAML files)");

const typed = [];
for (const object of objects) {
  const where = `${object.kind}/${object.metadata?.name}`;
  const entry = KINDS[`${object.apiVersion}/${object.kind}`];
  if (!entry) {
    problem(where, `no schema for apiVersion ${object.apiVersion} kind ${object.kind}`);
    continue;
  }
  const [modulePath, iface, clientModel] = entry;
  const Model = (await import(modulePath))[object.kind];
  try {
    new Model(object).validate();
  } catch (error) {
    problem(where, `schema: ${error.message}`);
  }
  if (clientModel) unknownFields(object, clientModel, where);
  typed.push({ label: where, type: iface, from: modulePath, value: object });
}
for (const { label, message } of typecheck(typed)) problem(label, `type: ${message}`);

// --- AffectServe's rules across objects ---
const byKind = (kind) => objects.filter((o) => o.kind === kind);
const matches = (selector, labels) =>
  selector && Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([k, v]) => labels?.[k] === v);
const seconds = (text) => {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text ?? "");
  if (!m) return NaN;
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60 }[m[2]];
};

const deployments = byKind("Deployment");
if (deployments.length !== 1) problem("Deployment", `expected one Deployment, found ${deployments.length}`);
for (const deployment of deployments) {
  const where = `Deployment/${deployment.metadata.name}`;
  const pod = deployment.spec?.template?.spec ?? {};
  const podLabels = deployment.spec?.template?.metadata?.labels ?? {};
  if (!matches(deployment.spec?.selector?.matchLabels, podLabels)) problem(where, "selector does not match the pod labels");
  const container = (pod.containers ?? []).find((c) => c.name === "affect-server");
  if (!container) {
    problem(where, "no container named affect-server");
    continue;
  }
  const grpcPort = (container.ports ?? []).find((p) => p.name === "grpc")?.containerPort;
  for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
    const spec = container[probe];
    if (!spec?.grpc) problem(where, `${probe} must be a native gRPC probe (grpc.health.v1)`);
    else if (Number(spec.grpc.port) !== Number(grpcPort)) problem(where, `${probe} checks port ${spec.grpc.port}, the gRPC port is ${grpcPort}`);
  }
  const startup = container.startupProbe;
  if (startup && (startup.periodSeconds ?? 10) * (startup.failureThreshold ?? 3) < 120) {
    problem(where, "startupProbe allows less than 120 s for the models to load and warm up");
  }
  if (pod.securityContext?.runAsNonRoot !== true) problem(where, "pod securityContext.runAsNonRoot must be true");
  if (container.securityContext?.readOnlyRootFilesystem !== true) problem(where, "readOnlyRootFilesystem must be true");
  if (container.securityContext?.allowPrivilegeEscalation !== false) problem(where, "allowPrivilegeEscalation must be false");
  for (const kind of ["requests", "limits"]) {
    for (const resource of ["cpu", "memory"]) {
      if (container.resources?.[kind]?.[resource] === undefined) problem(where, `resources.${kind}.${resource} is missing`);
    }
  }
  // Grace period > preStop sleep + the server's --drain_timeout (from the flags ConfigMap).
  const preStop = container.lifecycle?.preStop?.exec?.command ?? [];
  const sleepSeconds = /sleep$/.test(preStop[0] ?? "") ? Number(preStop[1]) : NaN;
  if (!(sleepSeconds > 0)) problem(where, "preStop must sleep (so endpoints drop the pod before SIGTERM)");
  const flagfileArg = (container.args ?? []).find((a) => a.startsWith("--flagfile="));
  const flagsMap = byKind("ConfigMap").find((c) =>
    (pod.volumes ?? []).some((v) => v.configMap?.name === c.metadata.name && c.data?.["flags.txt"]));
  const drainLine = /^--drain_timeout=(\S+)$/m.exec(flagsMap?.data?.["flags.txt"] ?? "");
  if (!flagfileArg || !flagsMap) problem(where, "no --flagfile argument backed by a ConfigMap with flags.txt");
  if (!drainLine) problem(where, "flags.txt sets no --drain_timeout");
  const drainSeconds = seconds(drainLine?.[1]);
  const grace = pod.terminationGracePeriodSeconds ?? 30;
  if (!(grace > sleepSeconds + drainSeconds)) {
    problem(where, `terminationGracePeriodSeconds (${grace}) must exceed the preStop sleep (${sleepSeconds} s) plus --drain_timeout (${drainSeconds} s)`);
  }
  for (const service of byKind("Service")) {
    if (!matches(service.spec?.selector, podLabels)) problem(`Service/${service.metadata.name}`, "selector does not match the pods");
    for (const port of service.spec?.ports ?? []) {
      if (!(container.ports ?? []).some((p) => p.name === port.targetPort || p.containerPort === port.targetPort)) {
        problem(`Service/${service.metadata.name}`, `targetPort ${port.targetPort} is not a container port`);
      }
    }
  }
  if (!byKind("Service").some((s) => s.spec?.clusterIP === "None")) problem(where, "no headless Service for client-side load balancing");
  for (const pdb of byKind("PodDisruptionBudget")) {
    if (!matches(pdb.spec?.selector?.matchLabels, podLabels)) problem(`PodDisruptionBudget/${pdb.metadata.name}`, "selector does not match the pods");
  }
  for (const hpa of byKind("HorizontalPodAutoscaler")) {
    const ref = hpa.spec?.scaleTargetRef;
    if (ref?.kind !== "Deployment" || ref?.name !== deployment.metadata.name) problem(`HorizontalPodAutoscaler/${hpa.metadata.name}`, "scaleTargetRef is not the Deployment");
  }
  for (const monitor of byKind("ServiceMonitor")) {
    const service = byKind("Service").find((s) => matches(monitor.spec?.selector?.matchLabels, s.metadata?.labels));
    if (!service) problem(`ServiceMonitor/${monitor.metadata.name}`, "selects no Service");
    for (const endpoint of monitor.spec?.endpoints ?? []) {
      if (service && !(service.spec?.ports ?? []).some((p) => p.name === endpoint.port)) {
        problem(`ServiceMonitor/${monitor.metadata.name}`, `port '${endpoint.port}' is not a port of Service/${service.metadata.name}`);
      }
    }
  }
}
for (const kind of ["Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "ServiceMonitor", "PrometheusRule", "ConfigMap"]) {
  if (byKind(kind).length === 0) problem(kind, "missing");
}

for (const line of problems) console.log(`check-manifests: ${line}`);
console.log(`check-manifests: ${objects.length} objects, ${problems.length} problems`);
process.exit(problems.length === 0 ? 0 : 1);
