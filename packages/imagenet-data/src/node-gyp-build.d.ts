// node-gyp-build ships no types: its loader and the resolve call this package uses.
declare module 'node-gyp-build' {
  /** Loads the addon found in `dir` (see {@link nodeGypBuild.resolve}). */
  function nodeGypBuild(dir?: string): unknown;
  namespace nodeGypBuild {
    /**
     * The addon's path: the first `.node` file in `dir`/build/Release (or build/Debug), else the best match for this
     * platform, architecture, runtime and libc among `dir`/prebuilds/<platform>-<arch>/*.node. Throws where none fits.
     */
    function resolve(dir?: string): string;
  }
  export = nodeGypBuild;
}
