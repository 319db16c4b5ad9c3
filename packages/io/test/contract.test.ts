// The contract suite against the two backends this package holds.
import { createMemoryNetwork, dgramBackend } from '@bond/io';
import { hasIpv6Loopback, runContractSuite } from '@bond/io/testing';

const ipv6 = await hasIpv6Loopback();

runContractSuite({
  title: 'memory backend',
  backend: () => network.backend,
  expectedName: 'memory',
  ipv6: true,
  reportsTruncation: true,
});
const network = createMemoryNetwork();

runContractSuite({
  title: 'dgram backend',
  backend: () => dgramBackend,
  expectedName: 'dgram',
  ipv6,
  reportsTruncation: true,
});
