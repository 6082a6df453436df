import DataIO
import Foundation
import Perceptual

/// The image-quality metrics of one frame, prediction against ground truth (higher PSNR/SSIM and
/// lower LPIPS are better). PSNR is in dB for values in [0, 1], +inf for identical images.
public struct FrameMetrics: Equatable, Sendable {
    /// −10·log10(MSE) over all pixels and channels; +inf when MSE = 0.
    public var psnr: Double
    /// Mean SSIM (3DGS's 11×11 σ = 1.5 Gaussian window, `SSIM`), 1 for identical images.
    public var ssim: Double
    /// LPIPS v0.1 AlexNet distance; nil when the weights are not installed or a side is < 31 px.
    public var lpips: Double?
    /// PSNR and SSIM over the lips rectangle only; nil when the rectangle is empty or not given.
    public var mouthPSNR: Double?
    public var mouthSSIM: Double?

    public init(psnr: Double, ssim: Double, lpips: Double? = nil, mouthPSNR: Double? = nil, mouthSSIM: Double? = nil) {
        self.psnr = psnr; self.ssim = ssim; self.lpips = lpips; self.mouthPSNR = mouthPSNR; self.mouthSSIM = mouthSSIM
    }
}

/// Computes `FrameMetrics` for image pairs `[H, W, 3]` in [0, 1] — the evaluation of talking-head
/// papers (ER-NeRF, TalkingGaussian, Audio-Plane Table 1): PSNR, SSIM, LPIPS over the whole frame,
/// and PSNR/SSIM inside ER-NeRF's square lips rectangle (`Landmarks.lipsRectangle`, from the
/// ground truth's landmarks 48–59) where lip-sync errors concentrate.
///
/// Holds scratch buffers (SSIM maps, LPIPS activations) for one image size: one instance per
/// evaluation job, reused across frames; not thread-safe.
public final class ImageMetrics {
    private let fullSSIM = SSIM()
    private let mouthSSIM = SSIM()
    private let lpips: LPIPSSession?

    /// `lpips` nil: LPIPS is not computed (reported absent).
    public init(lpips: LPIPS?) {
        self.lpips = lpips.map { LPIPSSession(network: $0) }
    }

    /// With the installed LPIPS weights when present (`LPIPS.loadInstalled()`), without otherwise.
    /// Throws only when an installed weights file is broken.
    public static func withInstalledLPIPS() throws -> ImageMetrics {
        ImageMetrics(lpips: try LPIPS.loadInstalled())
    }

    /// True when LPIPS is computed.
    public var hasLPIPS: Bool { lpips != nil }

    /// Metrics of `prediction` against `truth`, both `[height, width, 3]` in [0, 1]; `lips` is the
    /// mouth rectangle in pixels (half-open, clipped to the image), nil to skip the mouth metrics.
    public func evaluate(_ prediction: [Float], _ truth: [Float], width: Int, height: Int, lips: PixelRect? = nil) -> FrameMetrics {
        precondition(prediction.count == width * height * 3 && truth.count == prediction.count,
                     "ImageMetrics: images must both be [\(height), \(width), 3]")
        var metrics = FrameMetrics(
            psnr: ImageLosses.psnr(prediction, truth),
            ssim: Double(fullSSIM.evaluate(prediction, truth, width: width, height: height, channels: 3, wantGradient: false).ssim))
        if let lpips, min(width, height) >= LPIPS.minimumSize {
            metrics.lpips = Double(lpips.distance(prediction, truth, height: height, width: width))
        }
        if let rect = lips.map({ Self.clip($0, width: width, height: height) }), !rect.isEmpty {
            let p = Self.crop(prediction, width: width, rect: rect), t = Self.crop(truth, width: width, rect: rect)
            let w = rect.colMax - rect.colMin, h = rect.rowMax - rect.rowMin
            metrics.mouthPSNR = ImageLosses.psnr(p, t)
            metrics.mouthSSIM = Double(mouthSSIM.evaluate(p, t, width: w, height: h, channels: 3, wantGradient: false).ssim)
        }
        return metrics
    }

    /// 8-bit form: converts both images (`channels` 3) to [0, 1] Floats first.
    public func evaluate(_ prediction: Image8, _ truth: Image8, lips: PixelRect? = nil) -> FrameMetrics {
        precondition(prediction.width == truth.width && prediction.height == truth.height)
        return evaluate(prediction.rgbFloats, truth.rgbFloats, width: truth.width, height: truth.height, lips: lips)
    }

    /// The pixels of `rect` from an `[H, W, 3]` image, as `[rect rows, rect columns, 3]`.
    public static func crop(_ image: [Float], width: Int, rect: PixelRect) -> [Float] {
        let w = rect.colMax - rect.colMin
        var out = [Float](repeating: 0, count: max(0, (rect.rowMax - rect.rowMin) * w * 3))
        var o = 0
        for row in rect.rowMin..<rect.rowMax {
            let start = (row * width + rect.colMin) * 3
            for i in 0..<(3 * w) { out[o + i] = image[start + i] }
            o += 3 * w
        }
        return out
    }

    /// `rect` clipped to a `width`×`height` image.
    static func clip(_ rect: PixelRect, width: Int, height: Int) -> PixelRect {
        PixelRect(rowMin: max(0, rect.rowMin), rowMax: min(height, rect.rowMax),
                  colMin: max(0, rect.colMin), colMax: min(width, rect.colMax))
    }
}
