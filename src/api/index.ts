// The api layer's public surface: the one served version, etcdconfig.dev/v1alpha1.
export * from './v1alpha1/index.js';
