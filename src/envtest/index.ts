// Test environments (DESIGN.md §2, beside the layers): real etcd and the Kubernetes API simulator, for
// tests, benchmarks and `demo` — never for the operator itself.
export * from './etcd/index.js';
export * from './kube-sim/index.js';
