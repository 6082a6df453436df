import Foundation

/// Averages of `FrameMetrics` (and optionally landmark distances) over an evaluation set: what
/// `audioplane eval --json` prints as one line. Every average is the mean of per-frame values (the
/// ER-NeRF / TalkingGaussian convention: PSNR is averaged in dB, not computed from a pooled MSE).
///
/// **Infinity.** An identical frame has PSNR +inf, so the mean is +inf when any frame is identical
/// (in practice only ground truth scored against itself). JSON has no infinity: `jsonLine()`
/// writes it as the string `"inf"` (and −inf/NaN as `"-inf"`/`"nan"`), and `init(jsonLine:)` reads
/// those back. Metrics that were not computed (LPIPS without weights, mouth metrics without a lips
/// rectangle, LMD without landmarks) are absent from the JSON.
public struct MetricsReport: Codable, Equatable, Sendable {
    /// Frames evaluated.
    public var frames: Int
    public var psnr: Double
    public var ssim: Double
    public var lpips: Double?
    public var mouthPSNR: Double?
    public var mouthSSIM: Double?
    /// Frames that had a non-empty lips rectangle (the mouth averages' count).
    public var mouthFrames: Int
    /// Landmark distances in pixels (`landmarkDistance`), averaged over `landmarkFrames`.
    public var lmdMouth: Double?
    public var lmdAll: Double?
    public var landmarkFrames: Int

    /// One line of JSON with sorted keys; ±inf and NaN as strings (see the type's comment).
    public func jsonLine() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = Self.nonFinite
        // Encoding plain numbers and strings cannot fail.
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    /// Parses a line written by `jsonLine()`.
    public init(jsonLine: String) throws {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = Self.nonFiniteDecoding
        self = try decoder.decode(Self.self, from: Data(jsonLine.utf8))
    }

    public init(frames: Int, psnr: Double, ssim: Double, lpips: Double? = nil, mouthPSNR: Double? = nil, mouthSSIM: Double? = nil,
                mouthFrames: Int = 0, lmdMouth: Double? = nil, lmdAll: Double? = nil, landmarkFrames: Int = 0) {
        self.frames = frames; self.psnr = psnr; self.ssim = ssim; self.lpips = lpips
        self.mouthPSNR = mouthPSNR; self.mouthSSIM = mouthSSIM; self.mouthFrames = mouthFrames
        self.lmdMouth = lmdMouth; self.lmdAll = lmdAll; self.landmarkFrames = landmarkFrames
    }

    static let nonFinite = JSONEncoder.NonConformingFloatEncodingStrategy.convertToString(
        positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    static let nonFiniteDecoding = JSONDecoder.NonConformingFloatDecodingStrategy.convertFromString(
        positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
}

/// Sums per-frame metrics (in Double) and produces a `MetricsReport`.
public struct MetricsAccumulator: Sendable {
    private var frames = 0, mouthFrames = 0, lpipsFrames = 0, landmarkFrames = 0
    private var psnr = 0.0, ssim = 0.0, lpips = 0.0, mouthPSNR = 0.0, mouthSSIM = 0.0, lmdMouth = 0.0, lmdAll = 0.0

    public init() {}

    /// Adds one frame's image metrics.
    public mutating func add(_ m: FrameMetrics) {
        frames += 1; psnr += m.psnr; ssim += m.ssim
        if let l = m.lpips { lpipsFrames += 1; lpips += l }
        if let p = m.mouthPSNR, let s = m.mouthSSIM { mouthFrames += 1; mouthPSNR += p; mouthSSIM += s }
    }

    /// Adds one frame's landmark distance (prediction's landmarks against the ground truth's).
    public mutating func add(_ d: LandmarkDistance) {
        landmarkFrames += 1; lmdMouth += d.mouth; lmdAll += d.all
    }

    /// Frames added so far.
    public var count: Int { frames }

    /// The averages. With no frames every image average is NaN ("nan" in JSON) and `frames` is 0.
    /// LPIPS is reported only when every frame had it (a partial average would mislead).
    public var report: MetricsReport {
        let n = Double(frames)
        return MetricsReport(
            frames: frames, psnr: psnr / n, ssim: ssim / n,
            lpips: lpipsFrames == frames && frames > 0 ? lpips / n : nil,
            mouthPSNR: mouthFrames > 0 ? mouthPSNR / Double(mouthFrames) : nil,
            mouthSSIM: mouthFrames > 0 ? mouthSSIM / Double(mouthFrames) : nil, mouthFrames: mouthFrames,
            lmdMouth: landmarkFrames > 0 ? lmdMouth / Double(landmarkFrames) : nil,
            lmdAll: landmarkFrames > 0 ? lmdAll / Double(landmarkFrames) : nil, landmarkFrames: landmarkFrames)
    }
}
