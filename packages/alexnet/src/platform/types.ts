/** What weight files need from the platform: reading and writing whole files by path. */
export interface FileAccess {
  readFile(path: string | URL): Promise<Uint8Array>;
  /** Writes atomically: a temporary file in the same folder, then a rename, so readers never see half a file. */
  writeFile(path: string, data: Uint8Array): Promise<void>;
}
