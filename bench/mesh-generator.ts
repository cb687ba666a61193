/**
 * Generates a synthetic mesh for benchmarks: N services in a few namespaces, each with a Deployment
 * of R replicas (two versions), a VirtualService (header match + 90/10 split, timeout, retries) and a
 * DestinationRule (subsets, connection pool, outlier detection), as Istio users write them.
 */

/** Options of the generated mesh. */
export interface MeshShape {
  readonly services: number;
  readonly replicas: number;
  readonly namespaces: number;
}

/** Returns the mesh as one multi-document YAML text. */
export function generateMeshYaml(shape: MeshShape): string {
  const docs: string[] = [];
  for (let i = 0; i < shape.services; i++) {
    const ns = `ns${i % shape.namespaces}`;
    const name = `svc${i}`;
    docs.push(`apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${ns}, labels: {app: ${name}}}
spec:
  selector: {app: ${name}}
  ports:
  - {name: http, port: 8080, targetPort: 8080}`);
    for (const [version, replicas] of [['v1', Math.ceil(shape.replicas / 2)], ['v2', Math.floor(shape.replicas / 2)]] as const) {
      docs.push(`apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}-${version}, namespace: ${ns}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}, version: ${version}}}
  template:
    metadata: {labels: {app: ${name}, version: ${version}}}
    spec:
      containers:
      - name: app
        image: example/app
        command: [node, app.js]
        ports: [{containerPort: 8080}]`);
    }
    docs.push(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}, namespace: ${ns}}
spec:
  hosts: [${name}]
  http:
  - match:
    - headers: {end-user: {exact: jason}}
    route:
    - destination: {host: ${name}, subset: v2}
  - route:
    - destination: {host: ${name}, subset: v1}
      weight: 90
    - destination: {host: ${name}, subset: v2}
      weight: 10
    timeout: 5s
    retries: {attempts: 3, perTryTimeout: 2s, retryOn: "5xx,connect-failure"}`);
    docs.push(`apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${name}, namespace: ${ns}}
spec:
  host: ${name}
  trafficPolicy:
    connectionPool:
      tcp: {maxConnections: 100}
      http: {http1MaxPendingRequests: 100, maxRequestsPerConnection: 10}
    outlierDetection: {consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s}
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}`);
  }
  return docs.join('\n---\n') + '\n';
}
