/**
 * The environment variables of the weights cache, in one place: the Node.js platform reads them, and messages and
 * docs name them.
 */
export const WEIGHTS_ENV = Object.freeze({
  /** The cache root (weight files go in its `weights/` folder); default `$XDG_CACHE_HOME/alexnet`. */
  cache: 'ALEXNET_CACHE',
  /** `1` (or `true`, `yes`, `on`): use cached files only, never the network. */
  offline: 'ALEXNET_OFFLINE',
  /** A mirror: the table's file names are fetched from under this URL instead of the publisher's. */
  baseUrl: 'ALEXNET_WEIGHTS_BASE_URL',
});
