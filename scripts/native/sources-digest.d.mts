/** The digest of the addon's sources in `nativeDir` (see sources-digest.mjs). */
export function sourcesDigest(nativeDir: string): string;
