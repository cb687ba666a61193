/**
 * `@peculiar/x509`, loaded after the Reflect metadata shim it needs and wired to node:crypto's
 * WebCrypto. Everything in Weft imports the library through this module.
 */
import './reflect-shim.js';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export * from '@peculiar/x509';
