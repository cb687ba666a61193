/**
 * Public surface of the proxy's load-balancing layer, for the cluster manager and router: hosts
 * and host-set snapshots, the LoadBalancer interface and its factory, route hash policies, errors.
 */

export { LbError, LbErrorCode } from './errors.js';
export { HashPolicy, type HashPolicyConfig, type HashPolicyResult, type HashRequestView } from './hash-policy.js';
export { Host, HostSet, formatAddress, type HostInit, type HostStats } from './host.js';
export { DEFAULT_HEALTHY_PANIC_THRESHOLD } from './lb-util.js';
export { createLoadBalancer, isHashPolicy, type LbContext, type LbPolicy, type LoadBalancer, type LoadBalancerOptions } from './load-balancer.js';
