export { EtcdCluster } from './etcd-cluster.js';
export type { EtcdClusterOptions, EtcdRoleSpec, EtcdUserSpec } from './etcd-cluster.js';
export { EtcdMember, PortInUseError } from './etcd-member.js';
export type { EtcdMemberState, EtcdServerTls } from './etcd-member.js';
export { freeLoopbackPorts } from './free-ports.js';
export { createTestCertificates } from './test-certificates.js';
export type { TestCertificates, TestCertificateOptions } from './test-certificates.js';
export { etcdVersionsUnderTest } from './etcd-versions.js';
export type { EtcdBinaries } from './etcd-versions.js';
