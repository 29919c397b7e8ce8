;; The two passes of Pillow's convolution resize (libImaging/Resample.c) on 8-bit RGB, with WebAssembly SIMD.
;; Bit for bit Pillow's arithmetic: 22-bit fixed-point coefficients, a rounding half added to each sum, the sum
;; shifted down and clamped to 0..255 after each pass. The coefficients and bounds come from JavaScript
;; (resample.ts); these functions only run the sums. Assembled into resample-wasm.ts by scripts/build-wasm.mjs.
;;
;; Clamping: Pillow's clip8 gives 255 for a sum >= 2^30, 0 for a sum <= 0, else sum >> 22. Here the sum is
;; shifted arithmetically and narrowed with saturation, first to signed 16 bits, then to unsigned 8 bits: the
;; same values (a sum below 2^31 shifts to at most 511; a negative one to at most 0).
;;
;; Callers leave 16 bytes of slack after every buffer: a pixel is read and written as 4 bytes, a vertical
;; chunk as 16.
(module
  (memory (export "memory") 1)

  ;; Horizontal pass. For each of `rows` source rows (`stride` bytes apart from `src`), each of `cols` output
  ;; pixels: the sum of bounds[2x+1] source pixels from column bounds[2x], weighted by kk[x * ksize + t].
  ;; Output rows are packed (cols * 3 bytes) from `dst`.
  (func (export "horizontal")
    (param $src i32) (param $stride i32) (param $rows i32) (param $dst i32) (param $cols i32)
    (param $kk i32) (param $bounds i32) (param $ksize i32)
    (local $y i32) (local $x i32) (local $t i32) (local $taps i32)
    (local $row i32) (local $p i32) (local $k i32) (local $b i32) (local $out i32)
    (local $acc v128)
    (local.set $out (local.get $dst))
    (block $rows_done
      (loop $row_loop
        (br_if $rows_done (i32.ge_u (local.get $y) (local.get $rows)))
        (local.set $row (i32.add (local.get $src) (i32.mul (local.get $y) (local.get $stride))))
        (local.set $k (local.get $kk))
        (local.set $b (local.get $bounds))
        (local.set $x (i32.const 0))
        (block $cols_done
          (loop $col_loop
            (br_if $cols_done (i32.ge_u (local.get $x) (local.get $cols)))
            (local.set $p (i32.add (local.get $row) (i32.mul (i32.load (local.get $b)) (i32.const 3))))
            (local.set $taps (i32.load offset=4 (local.get $b)))
            (local.set $acc (i32x4.splat (i32.const 0x200000)))
            (local.set $t (i32.const 0))
            (block $taps_done
              (loop $tap_loop
                (br_if $taps_done (i32.ge_u (local.get $t) (local.get $taps)))
                (local.set $acc
                  (i32x4.add (local.get $acc)
                    (i32x4.mul
                      (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (v128.load32_zero (local.get $p))))
                      (i32x4.splat (i32.load (i32.add (local.get $k) (i32.shl (local.get $t) (i32.const 2))))))))
                (local.set $p (i32.add (local.get $p) (i32.const 3)))
                (local.set $t (i32.add (local.get $t) (i32.const 1)))
                (br $tap_loop)))
            ;; Four bytes stored: the fourth is overwritten by the next pixel (or lands in the slack).
            (v128.store32_lane 0 (local.get $out)
              (i8x16.narrow_i16x8_u
                (i16x8.narrow_i32x4_s (i32x4.shr_s (local.get $acc) (i32.const 22)) (v128.const i32x4 0 0 0 0))
                (v128.const i32x4 0 0 0 0)))
            (local.set $out (i32.add (local.get $out) (i32.const 3)))
            (local.set $k (i32.add (local.get $k) (i32.shl (local.get $ksize) (i32.const 2))))
            (local.set $b (i32.add (local.get $b) (i32.const 8)))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $col_loop)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $row_loop))))

  ;; Vertical pass. Rows of `row_len` bytes, packed from `src`; for each of `rows` output rows y: the sum of
  ;; bounds[2y+1] source rows from row bounds[2y], weighted by kk[y * ksize + t]. Sixteen bytes at a time (the
  ;; last chunk of a row reads and writes past its end: into the next row, which is rewritten, or the slack).
  (func (export "vertical")
    (param $src i32) (param $row_len i32) (param $rows i32) (param $dst i32)
    (param $kk i32) (param $bounds i32) (param $ksize i32)
    (local $y i32) (local $i i32) (local $t i32) (local $taps i32)
    (local $first i32) (local $p i32) (local $k i32) (local $out i32)
    (local $v v128) (local $lo v128) (local $hi v128) (local $w v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (block $rows_done
      (loop $row_loop
        (br_if $rows_done (i32.ge_u (local.get $y) (local.get $rows)))
        (local.set $first
          (i32.add (local.get $src)
            (i32.mul (i32.load (i32.add (local.get $bounds) (i32.shl (local.get $y) (i32.const 3))))
              (local.get $row_len))))
        (local.set $taps (i32.load offset=4 (i32.add (local.get $bounds) (i32.shl (local.get $y) (i32.const 3)))))
        (local.set $k (i32.add (local.get $kk) (i32.shl (i32.mul (local.get $y) (local.get $ksize)) (i32.const 2))))
        (local.set $out (i32.add (local.get $dst) (i32.mul (local.get $y) (local.get $row_len))))
        (local.set $i (i32.const 0))
        (block $chunks_done
          (loop $chunk_loop
            (br_if $chunks_done (i32.ge_u (local.get $i) (local.get $row_len)))
            (local.set $a0 (i32x4.splat (i32.const 0x200000)))
            (local.set $a1 (local.get $a0))
            (local.set $a2 (local.get $a0))
            (local.set $a3 (local.get $a0))
            (local.set $p (i32.add (local.get $first) (local.get $i)))
            (local.set $t (i32.const 0))
            (block $taps_done
              (loop $tap_loop
                (br_if $taps_done (i32.ge_u (local.get $t) (local.get $taps)))
                (local.set $w (i32x4.splat (i32.load (i32.add (local.get $k) (i32.shl (local.get $t) (i32.const 2))))))
                (local.set $v (v128.load (local.get $p)))
                (local.set $lo (i16x8.extend_low_i8x16_u (local.get $v)))
                (local.set $hi (i16x8.extend_high_i8x16_u (local.get $v)))
                (local.set $a0 (i32x4.add (local.get $a0) (i32x4.mul (i32x4.extend_low_i16x8_u (local.get $lo)) (local.get $w))))
                (local.set $a1 (i32x4.add (local.get $a1) (i32x4.mul (i32x4.extend_high_i16x8_u (local.get $lo)) (local.get $w))))
                (local.set $a2 (i32x4.add (local.get $a2) (i32x4.mul (i32x4.extend_low_i16x8_u (local.get $hi)) (local.get $w))))
                (local.set $a3 (i32x4.add (local.get $a3) (i32x4.mul (i32x4.extend_high_i16x8_u (local.get $hi)) (local.get $w))))
                (local.set $p (i32.add (local.get $p) (local.get $row_len)))
                (local.set $t (i32.add (local.get $t) (i32.const 1)))
                (br $tap_loop)))
            (v128.store (i32.add (local.get $out) (local.get $i))
              (i8x16.narrow_i16x8_u
                (i16x8.narrow_i32x4_s (i32x4.shr_s (local.get $a0) (i32.const 22)) (i32x4.shr_s (local.get $a1) (i32.const 22)))
                (i16x8.narrow_i32x4_s (i32x4.shr_s (local.get $a2) (i32.const 22)) (i32x4.shr_s (local.get $a3) (i32.const 22)))))
            (local.set $i (i32.add (local.get $i) (i32.const 16)))
            (br $chunk_loop)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $row_loop))))
)
