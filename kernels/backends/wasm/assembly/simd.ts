// f64x2 helpers shared by the kernels. `madd` is a fused multiply-add where the build enables
// relaxed SIMD (one instruction, the FMA units) and a multiply then an add otherwise.

/** c + a·b, lane-wise. */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.relaxed_madd(a, b, c);
  return f64x2.add(c, f64x2.mul(a, b));
}

/** Smaller of two i32. */
@inline export function imin(a: i32, b: i32): i32 {
  return a < b ? a : b;
}

/** Byte address of element (r, c) of a column-major matrix at `p` with leading dimension `ld`. */
@inline export function at(p: usize, ld: i32, r: i32, c: i32): usize {
  return p + ((<usize>r + <usize>c * <usize>ld) << 3);
}

/** y[0..n) += s·x[0..n) (contiguous). */
export function axpy(n: i32, s: f64, x: usize, y: usize): void {
  const vs = f64x2.splat(s);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 3;
    v128.store(y + o, madd(v128.load(x + o), vs, v128.load(y + o)));
    v128.store(y + o, madd(v128.load(x + o, 16), vs, v128.load(y + o, 16)), 16);
  }
  for (; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(y + o, load<f64>(y + o) + s * load<f64>(x + o));
  }
}

/** x[0..n) *= s (contiguous). */
export function scal(n: i32, s: f64, x: usize): void {
  const vs = f64x2.splat(s);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = <usize>i << 3;
    v128.store(x + o, f64x2.mul(v128.load(x + o), vs));
  }
  if (i < n) store<f64>(x + (<usize>i << 3), load<f64>(x + (<usize>i << 3)) * s);
}

/** Σ x[i]·y[i] over [0, n) (contiguous). */
export function dot(n: i32, x: usize, y: usize): f64 {
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 3;
    s0 = madd(v128.load(x + o), v128.load(y + o), s0);
    s1 = madd(v128.load(x + o, 16), v128.load(y + o, 16), s1);
  }
  s0 = f64x2.add(s0, s1);
  let s = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1);
  for (; i < n; i++) {
    const o = <usize>i << 3;
    s += load<f64>(x + o) * load<f64>(y + o);
  }
  return s;
}

/** Copies an m×n column-major matrix (src, lds) into (dst, ldd). */
export function copyMatrix(m: i32, n: i32, src: usize, lds: i32, dst: usize, ldd: i32): void {
  for (let j = 0; j < n; j++) memory.copy(at(dst, ldd, 0, j), at(src, lds, 0, j), <usize>m << 3);
}

/** dst (n×m, ldd) = srcᵀ where src is m×n (lds); blocked for cache locality. */
export function transpose(m: i32, n: i32, src: usize, lds: i32, dst: usize, ldd: i32): void {
  const B = 16;
  for (let j0 = 0; j0 < n; j0 += B) {
    const j1 = imin(j0 + B, n);
    for (let i0 = 0; i0 < m; i0 += B) {
      const i1 = imin(i0 + B, m);
      for (let j = j0; j < j1; j++) {
        for (let i = i0; i < i1; i++) store<f64>(at(dst, ldd, j, i), load<f64>(at(src, lds, i, j)));
      }
    }
  }
}

/** Scales an m×n matrix by s; s = 0 writes zeros (BLAS: the old values are not read). */
export function scaleMatrix(m: i32, n: i32, s: f64, p: usize, ld: i32): void {
  if (s == 1) return;
  for (let j = 0; j < n; j++) {
    if (s == 0) memory.fill(at(p, ld, 0, j), 0, <usize>m << 3);
    else scal(m, s, at(p, ld, 0, j));
  }
}

/** y[0..n) += x[0..n) (contiguous). */
export function vadd(n: usize, x: usize, y: usize): void {
  let i: usize = 0;
  for (; i + 4 <= n; i += 4) {
    const o = i << 3;
    v128.store(y + o, f64x2.add(v128.load(y + o), v128.load(x + o)));
    v128.store(y + o, f64x2.add(v128.load(y + o, 16), v128.load(x + o, 16)), 16);
  }
  for (; i < n; i++) store<f64>(y + (i << 3), load<f64>(y + (i << 3)) + load<f64>(x + (i << 3)));
}

/** d[0..n) = a[0..n) − b[0..n) (contiguous; d may alias a or b). */
export function vsub(n: usize, a: usize, b: usize, d: usize): void {
  let i: usize = 0;
  for (; i + 4 <= n; i += 4) {
    const o = i << 3;
    v128.store(d + o, f64x2.sub(v128.load(a + o), v128.load(b + o)));
    v128.store(d + o, f64x2.sub(v128.load(a + o, 16), v128.load(b + o, 16)), 16);
  }
  for (; i < n; i++) store<f64>(d + (i << 3), load<f64>(a + (i << 3)) - load<f64>(b + (i << 3)));
}
