import TensorCore

/// The parameter gradients of a batched linear layer, `∂L/∂W += dYᵀ · X` and `∂L/∂b += Σ_rows dY`,
/// without packing the (large) input.
///
/// The generic GEMM would pack all of X [rows, in] as its right operand on every call (tens of MB
/// for 30k rows, written serially and page-faulted in). Here X is read in place: rows are split into
/// fixed chunks of `chunkRows`; per chunk dY is copied into a zero-padded scratch (out rounded up to
/// `tileRows`) and 8×32 (or 8×16) register tiles of `dYᵀ·X` accumulate over the chunk's rows,
/// broadcasting dY and loading 16-lane vectors straight from X. Each chunk writes its own partial
/// sums; the partials are then added in chunk order. The partition depends only on `rows`, so the
/// result is deterministic and independent of the thread count. Needs `in % 16 == 0`; other shapes
/// go through `Gemm` (its packed path, also deterministic).
public enum WeightGradient {
    /// Rows per chunk (one task; its X slab and padded dY stay in L2).
    static let chunkRows = 1024
    /// Output features per register tile.
    static let tileRows = 8

    /// `dW[j, i] += Σ_r dY[r, j] · X[r, i]` (dW row-major with leading dimension `ldw`) and, when
    /// `biasGradient` is given, `db[j] += Σ_r dY[r, j]`, for `outputs` j and `inputs` i. dY and X are
    /// row-major with leading dimensions `ldy ≥ outputs`, `ldx ≥ inputs` (so column slices of wider
    /// buffers work). dW must not alias dY or X.
    public static func accumulate(rows: Int, outputs: Int, inputs: Int,
                                  outputGradient dY: UnsafePointer<Float>, ldy: Int,
                                  input x: UnsafePointer<Float>, ldx: Int,
                                  weightGradient dW: UnsafeMutablePointer<Float>, ldw: Int,
                                  biasGradient db: UnsafeMutablePointer<Float>?) {
        guard rows > 0, outputs > 0, inputs > 0 else { return }
        guard inputs % 16 == 0 else {
            Gemm.multiply(m: outputs, n: inputs, k: rows, a: dY, lda: ldy, .transposed, b: x, ldb: ldx,
                          c: dW, ldc: ldw, accumulate: true)
            if let db { for r in 0..<rows { for j in 0..<outputs { db[j] += dY[r * ldy + j] } } }
            return
        }
        let outPad = (outputs + tileRows - 1) / tileRows * tileRows
        let chunks = (rows + chunkRows - 1) / chunkRows
        let partialSize = outPad * inputs + outPad   // weight tile rows, then the bias sums
        let partials = UnsafeMutablePointer<Float>.allocate(capacity: chunks * partialSize)
        defer { partials.deallocate() }
        parallelFor(0..<chunks, chunk: 1) { range in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: chunkRows * outPad)
            defer { scratch.deallocate() }
            for ch in range {
                let r0 = ch * chunkRows, count = min(chunkRows, rows - r0)
                let part = partials + ch * partialSize, biasPart = part + outPad * inputs
                // Padded copy of dY (memcpy per row), then the bias sums over it, 8 lanes at a time
                // (row order per column, as a scalar loop would add them).
                for r in 0..<count {
                    let dst = scratch + r * outPad
                    dst.update(from: dY + (r0 + r) * ldy, count: outputs)
                    if outPad > outputs { (dst + outputs).update(repeating: 0, count: outPad - outputs) }
                }
                var j = 0
                while j < outPad {
                    var acc = SIMD8<Float>()
                    var src = UnsafeRawPointer(scratch + j)
                    for _ in 0..<count { acc += src.loadUnaligned(as: SIMD8<Float>.self); src += 4 * outPad }
                    UnsafeMutableRawPointer(biasPart + j).storeBytes(of: acc, as: SIMD8<Float>.self)
                    j += 8
                }
                let xc = x + r0 * ldx
                var i0 = 0
                while i0 + 32 <= inputs {
                    for q in stride(from: 0, to: outPad, by: tileRows) {
                        tile8x32(rows: count, a: scratch + q, lda: outPad, x: xc + i0, ldx: ldx, c: part + q * inputs + i0, ldc: inputs)
                    }
                    i0 += 32
                }
                if i0 < inputs {
                    for q in stride(from: 0, to: outPad, by: tileRows) {
                        tile8x16(rows: count, a: scratch + q, lda: outPad, x: xc + i0, ldx: ldx, c: part + q * inputs + i0, ldc: inputs)
                    }
                }
            }
        }
        for ch in 0..<chunks {
            let part = partials + ch * partialSize
            for j in 0..<outputs {
                let src = part + j * inputs, dst = dW + j * ldw
                for i in 0..<inputs { dst[i] += src[i] }
            }
            if let db { for j in 0..<outputs { db[j] += part[outPad * inputs + j] } }
        }
    }

    /// `c[q, 0..<32] = Σ_r a[r·lda + q] · x[r·ldx + 0..<32]` for q < 8 (stores, not accumulates).
    @inline(__always)
    static func tile8x32(rows: Int, a: UnsafePointer<Float>, lda: Int, x: UnsafePointer<Float>, ldx: Int,
                         c: UnsafeMutablePointer<Float>, ldc: Int) {
        typealias V = SIMD16<Float>
        var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V(), c30 = V(), c31 = V()
        var c40 = V(), c41 = V(), c50 = V(), c51 = V(), c60 = V(), c61 = V(), c70 = V(), c71 = V()
        var ap = a, xp = UnsafeRawPointer(x)
        for _ in 0..<rows {
            let b0 = xp.loadUnaligned(as: V.self), b1 = xp.loadUnaligned(fromByteOffset: 64, as: V.self)
            var s = V(repeating: ap[0]); c00 = c00.addingProduct(s, b0); c01 = c01.addingProduct(s, b1)
            s = V(repeating: ap[1]); c10 = c10.addingProduct(s, b0); c11 = c11.addingProduct(s, b1)
            s = V(repeating: ap[2]); c20 = c20.addingProduct(s, b0); c21 = c21.addingProduct(s, b1)
            s = V(repeating: ap[3]); c30 = c30.addingProduct(s, b0); c31 = c31.addingProduct(s, b1)
            s = V(repeating: ap[4]); c40 = c40.addingProduct(s, b0); c41 = c41.addingProduct(s, b1)
            s = V(repeating: ap[5]); c50 = c50.addingProduct(s, b0); c51 = c51.addingProduct(s, b1)
            s = V(repeating: ap[6]); c60 = c60.addingProduct(s, b0); c61 = c61.addingProduct(s, b1)
            s = V(repeating: ap[7]); c70 = c70.addingProduct(s, b0); c71 = c71.addingProduct(s, b1)
            ap += lda; xp += 4 * ldx
        }
        let out = UnsafeMutableRawPointer(c), stride = 4 * ldc
        out.storeBytes(of: c00, as: V.self); out.storeBytes(of: c01, toByteOffset: 64, as: V.self)
        out.storeBytes(of: c10, toByteOffset: stride, as: V.self); out.storeBytes(of: c11, toByteOffset: stride + 64, as: V.self)
        out.storeBytes(of: c20, toByteOffset: 2 * stride, as: V.self); out.storeBytes(of: c21, toByteOffset: 2 * stride + 64, as: V.self)
        out.storeBytes(of: c30, toByteOffset: 3 * stride, as: V.self); out.storeBytes(of: c31, toByteOffset: 3 * stride + 64, as: V.self)
        out.storeBytes(of: c40, toByteOffset: 4 * stride, as: V.self); out.storeBytes(of: c41, toByteOffset: 4 * stride + 64, as: V.self)
        out.storeBytes(of: c50, toByteOffset: 5 * stride, as: V.self); out.storeBytes(of: c51, toByteOffset: 5 * stride + 64, as: V.self)
        out.storeBytes(of: c60, toByteOffset: 6 * stride, as: V.self); out.storeBytes(of: c61, toByteOffset: 6 * stride + 64, as: V.self)
        out.storeBytes(of: c70, toByteOffset: 7 * stride, as: V.self); out.storeBytes(of: c71, toByteOffset: 7 * stride + 64, as: V.self)
    }

    /// As `tile8x32` for a 16-column tail.
    @inline(__always)
    static func tile8x16(rows: Int, a: UnsafePointer<Float>, lda: Int, x: UnsafePointer<Float>, ldx: Int,
                         c: UnsafeMutablePointer<Float>, ldc: Int) {
        typealias V = SIMD16<Float>
        var c0 = V(), c1 = V(), c2 = V(), c3 = V(), c4 = V(), c5 = V(), c6 = V(), c7 = V()
        var ap = a, xp = UnsafeRawPointer(x)
        for _ in 0..<rows {
            let b = xp.loadUnaligned(as: V.self)
            c0 = c0.addingProduct(V(repeating: ap[0]), b); c1 = c1.addingProduct(V(repeating: ap[1]), b)
            c2 = c2.addingProduct(V(repeating: ap[2]), b); c3 = c3.addingProduct(V(repeating: ap[3]), b)
            c4 = c4.addingProduct(V(repeating: ap[4]), b); c5 = c5.addingProduct(V(repeating: ap[5]), b)
            c6 = c6.addingProduct(V(repeating: ap[6]), b); c7 = c7.addingProduct(V(repeating: ap[7]), b)
            ap += lda; xp += 4 * ldx
        }
        let out = UnsafeMutableRawPointer(c), stride = 4 * ldc
        out.storeBytes(of: c0, as: V.self); out.storeBytes(of: c1, toByteOffset: stride, as: V.self)
        out.storeBytes(of: c2, toByteOffset: 2 * stride, as: V.self); out.storeBytes(of: c3, toByteOffset: 3 * stride, as: V.self)
        out.storeBytes(of: c4, toByteOffset: 4 * stride, as: V.self); out.storeBytes(of: c5, toByteOffset: 5 * stride, as: V.self)
        out.storeBytes(of: c6, toByteOffset: 6 * stride, as: V.self); out.storeBytes(of: c7, toByteOffset: 7 * stride, as: V.self)
    }
}
