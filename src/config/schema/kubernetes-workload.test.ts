import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { deploymentKind, type DeploymentSpec } from './kubernetes-workload.js';
import { formatPath } from '../diagnostic.js';
import type { SchemaIssue, ValidationResult } from '../kind-info.js';

function validate(docYaml: string): ValidationResult<DeploymentSpec> {
  const doc = parse(docYaml) as { spec?: unknown };
  return deploymentKind.validate(doc.spec ?? {}, { name: 'x', namespace: 'default' });
}

function assertIssue(r: ValidationResult<unknown>, path: string, fragment: string, level: SchemaIssue['level'] = 'Error'): void {
  const found = r.issues.find((i) => formatPath(i.path) === path && i.message.includes(fragment) && i.level === level);
  assert.ok(found, `expected ${level} at ${path} containing "${fragment}", got ${JSON.stringify(r.issues)}`);
  if (level === 'Error') assert.equal(r.spec, undefined);
}

/** Bookinfo's reviews-v1 Deployment as Istio ships it in samples/bookinfo/platform/kube/bookinfo.yaml. */
const REVIEWS_V1 = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: reviews-v1
  labels:
    app: reviews
    version: v1
spec:
  replicas: 1
  selector:
    matchLabels:
      app: reviews
      version: v1
  template:
    metadata:
      labels:
        app: reviews
        version: v1
    spec:
      serviceAccountName: bookinfo-reviews
      containers:
      - name: reviews
        image: docker.io/istio/examples-bookinfo-reviews-v1:1.20.1
        imagePullPolicy: IfNotPresent
        env:
        - name: LOG_DIR
          value: "/tmp/logs"
        ports:
        - containerPort: 9080
        volumeMounts:
        - name: tmp
          mountPath: /tmp
        - name: wlp-output
          mountPath: /opt/ibm/wlp/output
      volumes:
      - name: wlp-output
        emptyDir: {}
      - name: tmp
        emptyDir: {}
`;

/** Bookinfo's productpage-v1 Deployment (template annotations). */
const PRODUCTPAGE_V1 = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: productpage-v1
  labels:
    app: productpage
    version: v1
spec:
  replicas: 1
  selector:
    matchLabels:
      app: productpage
      version: v1
  template:
    metadata:
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: "9080"
        prometheus.io/path: "/metrics"
      labels:
        app: productpage
        version: v1
    spec:
      serviceAccountName: bookinfo-productpage
      containers:
      - name: productpage
        image: docker.io/istio/examples-bookinfo-productpage-v1:1.20.1
        imagePullPolicy: IfNotPresent
        ports:
        - containerPort: 9080
        volumeMounts:
        - name: tmp
          mountPath: /tmp
      volumes:
      - name: tmp
        emptyDir: {}
`;

const deploy = (podSpec: string, extra = '') => validate(`spec:
  selector: {matchLabels: {app: web}}
${extra}  template:
    metadata: {labels: {app: web}}
    spec:
${podSpec}`);
const container = (fields: string) => deploy(`      containers:\n      - name: web\n${fields}`);

describe('Deployment: Bookinfo as Istio ships it', () => {
  it('accepts reviews-v1 (env, volumes, volumeMounts, imagePullPolicy)', () => {
    const r = validate(REVIEWS_V1);
    assert.deepEqual(r.issues, []);
    const c = r.spec?.template.spec.containers[0];
    assert.equal(c?.name, 'reviews');
    assert.deepEqual(c?.env, [{ name: 'LOG_DIR', value: '/tmp/logs' }]);
    assert.equal(c?.ports?.[0]?.containerPort, 9080);
    assert.equal(r.spec?.template.spec.serviceAccountName, 'bookinfo-reviews');
  });
  it('accepts productpage-v1 (template annotations)', () => {
    const r = validate(PRODUCTPAGE_V1);
    assert.deepEqual(r.issues, []);
    assert.equal(r.spec?.template.metadata?.annotations?.['prometheus.io/port'], '9080');
  });
  it('accepts a manifest with probes, resources, securityContext, strategy and init containers', () => {
    const r = deploy(`      serviceAccount: web
      securityContext: {runAsNonRoot: true}
      terminationGracePeriodSeconds: 30
      initContainers:
      - name: init
        command: [sh, -c, "echo hi"]
      containers:
      - name: web
        image: example/web:1
        command: [node]
        args: [server.js]
        workingDir: /app
        env:
        - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
        - {name: TOKEN, valueFrom: {secretKeyRef: {name: web, key: token, optional: true}}}
        envFrom: [{configMapRef: {name: web}}]
        ports:
        - {name: http, containerPort: 8080, protocol: TCP}
        readinessProbe:
          httpGet: {path: /ready, port: http}
          periodSeconds: 5
        livenessProbe:
          httpGet: {path: /healthz, port: 8080, scheme: HTTP, httpHeaders: [{name: X-Probe, value: "1"}]}
          initialDelaySeconds: 3
        resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {memory: 128Mi}}
        securityContext: {allowPrivilegeEscalation: false}
`, `  replicas: 3
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 25%, maxUnavailable: 0}}
  revisionHistoryLimit: 5
`);
    assert.deepEqual(r.issues, []);
    assert.equal(r.spec?.template.spec.serviceAccountName, 'web', 'deprecated serviceAccount is normalized');
    assert.equal(r.spec?.template.spec.containers[0]?.readinessProbe?.httpGet?.port, 'http');
  });
});

describe('Deployment: checks', () => {
  it('requires the selector to match the template labels', () => {
    const r = validate(REVIEWS_V1.replace('      version: v1\n  template', '      version: v2\n  template'));
    assertIssue(r, 'spec.template.metadata.labels', '`selector` does not match template `labels`');
  });
  it('rejects an empty selector and a missing template', () => {
    assertIssue(validate('spec:\n  selector: {}\n  template: {metadata: {labels: {a: b}}, spec: {containers: [{name: a}]}}\n'), 'spec.selector', 'empty selector');
    assertIssue(validate('spec:\n  selector: {matchLabels: {a: b}}\n'), 'spec.template', 'expected object');
  });
  it('rejects negative replicas', () => {
    assertIssue(deploy('      containers: [{name: web}]\n', '  replicas: -1\n'), 'spec.replicas', 'greater than or equal to 0');
  });
  it('rejects a Recreate strategy with rollingUpdate, and a zero/zero rolling update', () => {
    assertIssue(deploy('      containers: [{name: web}]\n', '  strategy: {type: Recreate, rollingUpdate: {maxSurge: 1}}\n'), 'spec.strategy.rollingUpdate', "'Recreate'");
    assertIssue(deploy('      containers: [{name: web}]\n', '  strategy: {rollingUpdate: {maxSurge: 0, maxUnavailable: "0%"}}\n'), 'spec.strategy.rollingUpdate.maxUnavailable', 'may not be 0');
  });
  it('rejects bad selector expressions', () => {
    assertIssue(validate(`spec:
  selector: {matchExpressions: [{key: app, operator: In}]}
  template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web}]}}
`), 'spec.selector.matchExpressions[0].values', 'must be specified when operator is In');
  });
  it('requires at least one container, with unique DNS-label names', () => {
    assertIssue(deploy('      containers: []\n'), 'spec.template.spec.containers', 'at least one container');
    assertIssue(deploy('      containers: [{name: Web}]\n'), 'spec.template.spec.containers[0].name', 'RFC 1123 label');
    assertIssue(deploy('      initContainers: [{name: web}]\n      containers: [{name: web}]\n'), 'spec.template.spec.containers[0].name', 'duplicate container name');
  });
  it('rejects unknown pod and container fields (typos still fail)', () => {
    assertIssue(deploy('      serviceAccountname: web\n      containers: [{name: web}]\n'), 'spec.template.spec.serviceAccountname', 'unknown field');
    assertIssue(container('        imagePullPolcy: Always\n'), 'spec.template.spec.containers[0].imagePullPolcy', 'unknown field');
  });
  it('checks container ports', () => {
    assertIssue(container('        ports: [{containerPort: 0}]\n'), 'spec.template.spec.containers[0].ports[0].containerPort', 'range 1-65535');
    assertIssue(container('        ports: [{containerPort: 80, name: http_web}]\n'), 'spec.template.spec.containers[0].ports[0].name', 'invalid port name');
    assertIssue(container('        ports: [{containerPort: 80, name: web}, {containerPort: 81, name: web}]\n'), 'spec.template.spec.containers[0].ports[1].name', 'duplicate port name');
    assertIssue(container('        ports: [{port: 80}]\n'), 'spec.template.spec.containers[0].ports[0].port', 'unknown field');
  });
  it('checks env vars', () => {
    assertIssue(container('        env: [{name: "A=B", value: x}]\n'), 'spec.template.spec.containers[0].env[0].name', 'invalid environment variable name');
    assertIssue(container('        env: [{name: A, value: x, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]\n'), 'spec.template.spec.containers[0].env[0].valueFrom', 'may not be specified');
    assertIssue(container('        env: [{name: A, value: 3}]\n'), 'spec.template.spec.containers[0].env[0].value', 'expected string');
  });
  it('checks probes', () => {
    assertIssue(container('        readinessProbe: {periodSeconds: 5}\n'), 'spec.template.spec.containers[0].readinessProbe', 'must specify a handler type');
    assertIssue(container('        readinessProbe: {httpGet: {path: /, port: 8080}, tcpSocket: {port: 8080}}\n'), 'spec.template.spec.containers[0].readinessProbe.tcpSocket', 'more than 1 handler');
    assertIssue(container('        livenessProbe: {httpGet: {path: /, port: 0}}\n'), 'spec.template.spec.containers[0].livenessProbe.httpGet.port', 'range 1-65535');
    assertIssue(container('        livenessProbe: {httpGet: {path: /, port: 80, schema: HTTP}}\n'), 'spec.template.spec.containers[0].livenessProbe.httpGet.schema', 'unknown field');
  });
  it('rejects a restartPolicy other than Always', () => {
    assertIssue(deploy('      restartPolicy: Never\n      containers: [{name: web}]\n'), 'spec.template.spec.restartPolicy', 'only supports restartPolicy Always');
  });
  it('checks template labels', () => {
    assertIssue(validate(`spec:
  selector: {matchLabels: {app: web}}
  template: {metadata: {labels: {app: web, "bad key!": x}}, spec: {containers: [{name: web}]}}
`), 'spec.template.metadata.labels.bad key!', 'invalid label key');
  });
});
